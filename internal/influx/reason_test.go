package influx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A 400 whose reason is only in the body reaches the caller with the
// server's words, whatever shape the body has: InfluxDB 2.x's
// {"code","message"}, 1.x's and 3.x's {"error"} without X-Influxdb-Error
// (as a proxy that strips headers answers), RFC 7807 problem details from
// a gateway, and plain text.
func TestReasonFromBody(t *testing.T) {
	tests := []struct {
		name, ctype, body, header, want string
	}{
		{"influxdb2", "application/json; charset=utf-8", `{"code":"invalid","message":"partial write: field type conflict"}`, "", "partial write: field type conflict"},
		{"influxdb1 no header", "application/json", `{"error":"partial write: field type conflict: input field \"v\" is type float, already exists as type integer dropped=1"}`, "", `partial write: field type conflict: input field "v" is type float, already exists as type integer dropped=1`},
		{"influxdb1 with header", "application/json", `{"error":"unable to parse 'm v=': missing field value"}`, "unable to parse 'm v=': missing field value", "unable to parse 'm v=': missing field value"},
		{"influxdb3", "application/json", `{"error":"parsing failed for write_lp endpoint","data":{"original_line":"m v=","line_number":1,"error_message":"No fields were provided"}}`, "", "parsing failed for write_lp endpoint"},
		{"problem details", "application/problem+json", `{"type":"about:blank","title":"Bad Request","detail":"line 1: invalid field"}`, "", "line 1: invalid field"},
		{"plain text", "text/plain", "bad line protocol at line 1\n", "", "bad line protocol at line 1"},
		{"code only", "application/json", `{"code":"invalid"}`, "", "Bad Request"},
		{"html page", "text/html", "<html><body>400</body></html>", "", "Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				if tt.header != "" {
					w.Header().Set("X-Influxdb-Error", tt.header)
				}
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			sink, err := New(Config{URL: srv.URL, Bucket: "b"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			err = sink.WriteBody(context.Background(), "m v=1 1")
			we, ok := err.(*WriteError)
			if !ok {
				t.Fatalf("err %T %v", err, err)
			}
			if !we.Permanent() || we.Reason() != tt.want {
				t.Fatalf("permanent %v, reason %q; want true, %q", we.Permanent(), we.Reason(), tt.want)
			}
		})
	}
}

func TestBehaviourMethods(t *testing.T) {
	for _, tt := range []struct {
		we                                   WriteError
		tooLarge, permanent, auth, misconfig bool
		wait                                 bool
	}{
		{WriteError{Class: Retry, Wait: 7e9}, false, false, false, false, true},
		{WriteError{Class: TooLarge}, true, false, false, false, false},
		{WriteError{Class: Rejected}, false, true, false, false, false},
		{WriteError{Class: Auth}, false, false, true, true, false},
		{WriteError{Class: NotFound}, false, false, false, true, false},
	} {
		_, wait := tt.we.RetryAfter()
		if tt.we.TooLarge() != tt.tooLarge || tt.we.Permanent() != tt.permanent || tt.we.Auth() != tt.auth ||
			tt.we.Misconfigured() != tt.misconfig || wait != tt.wait {
			t.Errorf("%v: behaviour does not match its class", tt.we.Class)
		}
	}
}
