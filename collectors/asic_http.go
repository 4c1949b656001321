package collectors

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// errUnsupportedAPI is a port that answers, in a protocol perwatt does not
// read. It is reported at once instead of waiting for a timeout.
var errUnsupportedAPI = errors.New("unsupported API")

// errAuth is a 401/403 after answering the rig's challenge.
var errAuth = errors.New("the rig refused the credentials (set collectors.asic.user and the password in collectors.asic.password_file or PERWATT_ASIC_PASSWORD)")

func newRigHTTPClient(opts ASICOptions) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext: (&net.Dialer{Timeout: opts.Timeout}).DialContext,
			// Keep a connection only for the requests of one poll: idle
			// connections to ten thousand rigs would be ten thousand fds.
			MaxIdleConns:          max(opts.Concurrency, 1),
			MaxIdleConnsPerHost:   1,
			IdleConnTimeout:       5 * time.Second,
			ResponseHeaderTimeout: opts.Timeout,
			DisableCompression:    true,
		},
		// A rig never redirects an API call; a redirect is a login page.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// getJSON fetches one rig endpoint and parses it with the same repairs as
// the TCP API. It answers Digest challenges (Antminer stock web) with the
// configured credentials.
func (a *ASIC) getJSON(ctx context.Context, addr, path string) (map[string]any, error) {
	if !isReadOnlyPath(path) {
		return nil, fmt.Errorf("GET %s is not one of the read-only endpoints perwatt reads; refusing to send it", path)
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	url := "http://" + addr + path
	// A rig's last digest challenge is answered up front (with the next
	// nonce count), so a poll of five endpoints is five requests, not ten.
	auth, err := a.digests.answer(addr, a.opts.Credentials, path)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	resp, err := a.httpDo(ctx, url, auth)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		chal := resp.Header.Get("WWW-Authenticate")
		drain(resp)
		if !strings.HasPrefix(strings.ToLower(chal), "digest ") {
			return nil, fmt.Errorf("GET %s: %w", path, errAuth)
		}
		a.digests.store(addr, chal)
		if auth, err = a.digests.answer(addr, a.opts.Credentials, path); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		if resp, err = a.httpDo(ctx, url, auth); err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			drain(resp)
			a.digests.forget(addr)
			return nil, fmt.Errorf("GET %s: %w", path, errAuth)
		}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(a.opts.MaxReplyBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the body after %d bytes: %w", path, len(body), err)
	}
	if len(body) > a.opts.MaxReplyBytes {
		return nil, fmt.Errorf("GET %s: reply exceeds %d bytes", path, a.opts.MaxReplyBytes)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &httpStatusError{path: path, code: resp.StatusCode}
	}
	if t := bytes.TrimSpace(body); bytes.HasPrefix(t, []byte("<")) {
		return nil, fmt.Errorf("GET %s: HTTP %d with an HTML page, not JSON: %s", path, resp.StatusCode, excerpt(t, 0))
	}
	obj, err := parseReply(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return obj, nil
}

type httpStatusError struct {
	path string
	code int
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("GET %s: HTTP %d", e.path, e.code) }

func (a *ASIC) httpDo(ctx context.Context, url, auth string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, redactURLError(err)
	}
	return resp, nil
}

// redactURLError drops the URL from a *url.Error: perwatt puts no
// credentials in URLs, but the error is worded for the operator and the
// rig's address is already in it.
func redactURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// digestCache keeps each rig's last digest challenge and its nonce count.
type digestCache struct {
	mu    sync.Mutex
	chals map[string]*digestChallenge
}

type digestChallenge struct {
	header string
	nc     uint32
}

func (c *digestCache) store(addr, header string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chals == nil {
		c.chals = map[string]*digestChallenge{}
	}
	c.chals[addr] = &digestChallenge{header: header}
}

func (c *digestCache) forget(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.chals, addr)
}

// answer returns the Authorization header for the next request to addr,
// or "" while no challenge is known.
func (c *digestCache) answer(addr string, cred ASICCredentials, uri string) (string, error) {
	c.mu.Lock()
	ch := c.chals[addr]
	var nc uint32
	if ch != nil {
		ch.nc++
		nc = ch.nc
	}
	c.mu.Unlock()
	if ch == nil {
		return "", nil
	}
	return digestAuth(ch.header, cred, "GET", uri, nc)
}

// digestAuth answers an RFC 7616 challenge with MD5 and qop=auth, what
// Antminer's lighttpd asks for; nc is the count of requests made with the
// challenge's nonce.
func digestAuth(challenge string, cred ASICCredentials, method, uri string, nc uint32) (string, error) {
	p := parseAuthParams(strings.TrimSpace(challenge[len("digest "):]))
	if alg := strings.ToUpper(p["algorithm"]); alg != "" && alg != "MD5" {
		return "", fmt.Errorf("%w: digest algorithm %s", errUnsupportedAPI, alg)
	}
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1 := h(cred.User + ":" + p["realm"] + ":" + cred.Password)
	ha2 := h(method + ":" + uri)
	var b [8]byte
	_, _ = rand.Read(b[:])
	cnonce := hex.EncodeToString(b[:])
	ncs := fmt.Sprintf("%08x", max(nc, 1))
	var resp, qop string
	if strings.Contains(p["qop"], "auth") {
		qop = "auth"
		resp = h(ha1 + ":" + p["nonce"] + ":" + ncs + ":" + cnonce + ":" + qop + ":" + ha2)
	} else {
		resp = h(ha1 + ":" + p["nonce"] + ":" + ha2)
	}
	s := fmt.Sprintf(`Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q`, cred.User, p["realm"], p["nonce"], uri, resp)
	if qop != "" {
		s += fmt.Sprintf(`, qop=%s, nc=%s, cnonce=%q`, qop, ncs, cnonce)
	}
	if o := p["opaque"]; o != "" {
		s += fmt.Sprintf(`, opaque=%q`, o)
	}
	return s + `, algorithm=MD5`, nil
}

// parseAuthParams splits `realm="x", nonce="y", qop="auth"` into a map.
func parseAuthParams(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " ,")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				val, s = s[1:], ""
			} else {
				val, s = s[1:1+end], s[2+end:]
			}
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
		}
		out[key] = val
	}
	return out
}

// httpProbes are the endpoints that tell the HTTP APIs apart, in the order
// tried: each exists on one firmware only.
var httpProbes = []struct{ api, path string }{
	{apiAxeOS, "/api/system/info"},
	{apiVNish, "/api/v1/info"},
	{apiEPIC, "/summary"},
	{apiAntminerWeb, "/cgi-bin/get_system_info.cgi"},
}

// isReadOnlyPath lists every HTTP path perwatt will ever request: the
// probes and each API's endpoints, all GETs that change nothing.
func isReadOnlyPath(path string) bool {
	for _, p := range httpProbes {
		if p.path == path {
			return true
		}
	}
	for _, eps := range httpEndpoints {
		for _, ep := range eps {
			if ep.path == path {
				return true
			}
		}
	}
	return false
}

// detect finds the protocol a rig speaks: the cgminer API first on every
// port but the web ones, then the HTTP APIs.
func (a *ASIC) detect(ctx context.Context, st *rigState) (string, error) {
	addr := st.rig.Address
	if isV3Port(addr) {
		if _, err := a.v3Call(ctx, addr, `{"cmd":"get.miner.status","param":"summary"}`); err != nil {
			return "", fmt.Errorf("whatsminer API v3 on port 4433: %w", err)
		}
		return apiWhatsminerV3, nil
	}
	_, port, _ := net.SplitHostPort(addr)
	var tcpErr error
	if port != "80" && port != "443" && port != "8080" {
		st.summary, tcpErr = a.commandCtx(ctx, addr, "summary") // kept for the poll that follows
		notCgminer := errors.Is(tcpErr, errNotCgminer) || errors.Is(tcpErr, errSilent) || errors.Is(tcpErr, errEmptyReply) || isNotJSON(tcpErr)
		if tcpErr == nil || !notCgminer {
			return apiCgminer, tcpErr
		}
	}
	api, err := a.detectHTTP(ctx, addr)
	switch {
	case err != nil && tcpErr != nil && errors.Is(err, errUnsupportedAPI):
		return "", fmt.Errorf("%w (cgminer API: %v)", err, tcpErr)
	case err != nil && tcpErr != nil:
		return "", fmt.Errorf("%w (no HTTP API either: %v)", tcpErr, err)
	}
	return api, err
}

func isNotJSON(err error) bool { return err != nil && strings.Contains(err.Error(), "not JSON") }

func (a *ASIC) detectHTTP(ctx context.Context, addr string) (string, error) {
	var answered []string
	for _, p := range httpProbes {
		_, err := a.getJSON(ctx, addr, p.path)
		var se *httpStatusError
		switch {
		case err == nil, errors.Is(err, errAuth):
			return p.api, nil // the endpoint exists; a refused login is reported when polling
		case errors.As(err, &se):
			answered = append(answered, fmt.Sprintf("%s: %d", p.path, se.code))
		case ctx.Err() != nil:
			return "", fmt.Errorf("detecting the rig's API: %w", ctx.Err())
		default:
			if len(answered) == 0 && strings.Contains(err.Error(), "malformed HTTP") {
				return "", fmt.Errorf("%w: the port speaks neither the cgminer API nor HTTP/1 (HTTP/2 or gRPC, TLS, or a binary protocol such as Whatsminer API v3): %v", errUnsupportedAPI, err)
			}
			if len(answered) == 0 && !strings.Contains(err.Error(), "GET ") {
				return "", err // nothing speaks HTTP here
			}
			answered = append(answered, err.Error())
		}
	}
	return "", fmt.Errorf("%w: an HTTP server answers but none of AxeOS, VNish, ePIC or Antminer web (%s)", errUnsupportedAPI, strings.Join(answered, "; "))
}
