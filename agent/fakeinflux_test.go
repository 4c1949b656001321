package agent_test

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeInflux is an InfluxDB write endpoint that records every line it
// stores, duplicates included, and answers as the test tells it.
type fakeInflux struct {
	srv *httptest.Server

	mu       sync.Mutex
	points   map[string][]string // series+time -> field sets, one per store
	requests int
	respond  func(lines []string) reply
}

// reply says what the server does with one request.
type reply struct {
	store      []bool // which lines to store; nil = all when status is 2xx, none otherwise
	status     int    // 0 = 204
	body       string
	retryAfter string
	hangUp     bool // store, then drop the connection without an answer (ambiguous ack)
	// errorKey answers {"error": body} without X-Influxdb-Error, as
	// InfluxDB 1.x and 3.x bodies reach a client through a proxy that
	// drops the header, instead of 2.x's {"code","message"}.
	errorKey bool
}

func newFakeInflux(t *testing.T) *fakeInflux {
	t.Helper()
	f := &fakeInflux{points: map[string][]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeInflux) URL() string { return f.srv.URL }

// set changes how later requests are answered.
func (f *fakeInflux) set(respond func(lines []string) reply) {
	f.mu.Lock()
	f.respond = respond
	f.mu.Unlock()
}

func (f *fakeInflux) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ping" || r.URL.Path == "/health" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.URL.Path != "/api/v2/write" {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	var lines []string
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	f.mu.Lock()
	f.requests++
	rep := reply{}
	if f.respond != nil {
		rep = f.respond(lines)
	}
	ok := rep.status == 0 || rep.status/100 == 2
	for i, l := range lines {
		if (rep.store == nil && ok) || (rep.store != nil && rep.store[i]) || (rep.hangUp && rep.store == nil) {
			key, fields := splitLine(l)
			f.points[key] = append(f.points[key], fields)
		}
	}
	f.mu.Unlock()
	if rep.hangUp {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	if rep.status == 0 {
		rep.status = http.StatusNoContent
	}
	if rep.body != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		if rep.errorKey {
			fmt.Fprintf(w, `{"error":%q}`, rep.body)
			return
		}
		fmt.Fprintf(w, `{"code":"invalid","message":%q}`, rep.body)
		return
	}
	w.WriteHeader(rep.status)
}

// splitLine cuts a line into "series timestamp" and its field set.
func splitLine(l string) (key, fields string) {
	// Series ends at the first space not escaped; fields end at the last space.
	i := 0
	for i < len(l) {
		if l[i] == '\\' {
			i += 2
			continue
		}
		if l[i] == ' ' {
			break
		}
		i++
	}
	j := strings.LastIndexByte(l, ' ')
	if j <= i {
		return l, ""
	}
	return l[:i] + " " + l[j+1:], l[i+1 : j]
}

// snapshot returns a copy of what was stored.
func (f *fakeInflux) snapshot() map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string][]string, len(f.points))
	for k, v := range f.points {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// count returns how many distinct points whose series starts with prefix are stored.
func (f *fakeInflux) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k := range f.points {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}
