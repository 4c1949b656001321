package influx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClassifyServerAnswers(t *testing.T) {
	tests := []struct {
		status     int
		header     map[string]string
		body       string
		want       Class
		retryAfter time.Duration
	}{
		{503, map[string]string{"Retry-After": "7"}, `{"code":"unavailable","message":"down"}`, Retry, 7 * time.Second},
		{429, map[string]string{"Retry-After": "2"}, `{"code":"too many requests","message":"slow down"}`, Retry, 2 * time.Second},
		{500, nil, `{"code":"internal error","message":"boom"}`, Retry, 0},
		{401, nil, `{"code":"unauthorized","message":"unauthorized access"}`, Auth, 0},
		{403, nil, `{"code":"forbidden","message":"no"}`, Auth, 0},
		{413, nil, `{"code":"request too large","message":"too big"}`, TooLarge, 0},
		{404, nil, `{"code":"not found","message":"bucket \"x\" not found"}`, NotFound, 0},
		{400, nil, `{"code":"invalid","message":"partial write: field type conflict dropped=1"}`, Rejected, 0},
		{422, nil, `{"code":"unprocessable entity","message":"failure writing points"}`, Rejected, 0},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if got := r.Header.Get("Authorization"); got != "Token secret-token" {
				t.Errorf("authorization header = %q", got)
			}
			for k, v := range tt.header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tt.status)
			w.Write([]byte(tt.body))
		}))
		sink, err := New(Config{URL: srv.URL, Bucket: "b", Org: "o", Token: "secret-token"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = sink.WriteBody(context.Background(), "m v=1 1")
		srv.Close()
		var we *WriteError
		if !asWriteError(err, &we) {
			t.Fatalf("%d: err %T %v", tt.status, err, err)
		}
		if we.Class != tt.want || we.StatusCode != tt.status || we.Wait != tt.retryAfter {
			t.Errorf("%d: got class %v status %d retry-after %v", tt.status, we.Class, we.StatusCode, we.Wait)
		}
		if strings.Contains(err.Error(), "secret-token") {
			t.Errorf("%d: token in error: %v", tt.status, err)
		}
	}
}

func TestRefusedConnectionIsRetry(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	sink, _ := New(Config{URL: url, Bucket: "b", Token: "secret-token"}, nil)
	err := sink.WriteBody(context.Background(), "m v=1 1")
	if ClassOf(err) != Retry {
		t.Fatalf("class = %v (%v)", ClassOf(err), err)
	}
	if strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("token in error: %v", err)
	}
}

func TestWriteStopsAtFirstFailureAndCountsAccepted(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 3 {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	sink, _ := New(Config{URL: srv.URL, Bucket: "b", BatchLines: 2}, nil)
	lines := []string{"m v=1 1", "m v=2 2", "m v=3 3", "m v=4 4", "m v=5 5", "m v=6 6"}
	n, err := sink.Write(context.Background(), lines)
	if n != 4 || ClassOf(err) != Retry {
		t.Fatalf("accepted %d err %v, want 4 and a retryable error", n, err)
	}
}

func asWriteError(err error, target **WriteError) bool {
	we, ok := err.(*WriteError)
	if ok {
		*target = we
	}
	return ok
}
