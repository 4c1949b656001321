package influx

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// bodyReasonHeader carries the server's reason, found in an error reply's
// body, to classify. The client library reads the reason only from a JSON
// "message" or the X-Influxdb-Error header; InfluxDB 1.x and 3.x and many
// proxies answer {"error": "..."} or plain text without that header, and
// the dead-letter file would then say only "Bad Request".
const bodyReasonHeader = "X-Perwatt-Body-Reason"

// maxReasonBody bounds how much of an error reply is read for its reason.
const maxReasonBody = 64 << 10

// reasonTransport copies the reason out of every error reply's body into
// bodyReasonHeader and hands the body on unchanged.
type reasonTransport struct{ next http.RoundTripper }

func (t reasonTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxReasonBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr == nil {
		if r := bodyReason(body); r != "" {
			resp.Header.Set(bodyReasonHeader, r)
		}
	}
	return resp, nil
}

// CloseIdleConnections lets the client's Close reach the real transport.
func (t reasonTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// bodyReason finds the server's words in an error body: the first of
// "message", "error", "detail", "title" in a JSON object (InfluxDB 2.x, 1.x,
// 3.x, RFC 7807 proxies), else the text itself. Empty when there is none.
func bodyReason(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var obj map[string]any
	if body[0] == '{' && json.Unmarshal(body, &obj) == nil {
		for _, k := range []string{"message", "error", "detail", "title"} {
			if s, ok := obj[k].(string); ok && strings.TrimSpace(s) != "" {
				return clip(s)
			}
		}
		return ""
	}
	if bytes.HasPrefix(body, []byte("<")) {
		return "" // an HTML error page says nothing a log line can carry
	}
	return clip(string(body))
}

// clip keeps a reason to one header-safe line of bounded length.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 1024 {
		s = s[:1024] + "…"
	}
	return s
}
