package collectors

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// fakeHTTPRig serves testdata/asic/http/<dir>/ one file per path, with
// the malformations firmware web servers send, and optionally digest
// auth as Antminer's lighttpd does.
type fakeHTTPRig struct {
	srv       *httptest.Server
	addr      string
	files     map[string][]byte
	user, pw  string // digest credentials; empty = no auth
	mu        sync.Mutex
	malformed map[string]string // path -> "html", "truncated", "500", "hang"
	paths     []string
	refused   int // 401s sent
}

func startFakeHTTPRig(t *testing.T, dir string) *fakeHTTPRig {
	t.Helper()
	r := &fakeHTTPRig{files: map[string][]byte{}, malformed: map[string]string{}}
	matches, _ := filepath.Glob(filepath.Join("testdata", "asic", "http", dir, "*.json"))
	if len(matches) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	for _, f := range matches {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r.files["/"+strings.ReplaceAll(strings.TrimSuffix(filepath.Base(f), ".json"), "+", "/")] = b
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.addr = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

func (r *fakeHTTPRig) set(path, how string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if how == "" {
		delete(r.malformed, path)
	} else {
		r.malformed[path] = how
	}
}

func (r *fakeHTTPRig) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path)
	how := r.malformed[req.URL.Path]
	user, pw := r.user, r.pw
	r.mu.Unlock()
	if req.Method != http.MethodGet {
		http.Error(w, "read-only fake", http.StatusMethodNotAllowed)
		return
	}
	if user != "" && !checkDigest(req, user, pw) {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Digest realm="antMiner Configuration", nonce="4f1a2b3c", qop="auth"`)
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "<html><body>401 Unauthorized</body></html>")
		return
	}
	body, ok := r.files[req.URL.Path]
	if !ok {
		http.NotFound(w, req)
		return
	}
	switch how {
	case "html":
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Error</title></head><body>cgminer is not running</body></html>")
		return
	case "500":
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	case "truncated":
		body = body[:len(body)/2]
	case "hang":
		<-req.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// checkDigest verifies an RFC 7616 MD5 qop=auth response.
func checkDigest(req *http.Request, user, pw string) bool {
	h := req.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Digest ") {
		return false
	}
	p := parseAuthParams(h[len("Digest "):])
	md := func(s string) string { s2 := md5.Sum([]byte(s)); return hex.EncodeToString(s2[:]) }
	ha1 := md(user + ":antMiner Configuration:" + pw)
	ha2 := md(req.Method + ":" + p["uri"])
	want := md(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":" + p["qop"] + ":" + ha2)
	return p["username"] == user && p["uri"] == req.URL.Path && p["response"] == want
}

var httpGoldenCases = []struct {
	dir, firmware string
	rig           ASICRig
}{
	{"axeos", "axeos", ASICRig{Name: "bitaxe-07", Site: "lab"}},
	{"vnish", "vnish", ASICRig{Name: "vn-1", Site: "dc3"}},
	{"epic", "epic", ASICRig{Name: "ep-3", Site: "dc3"}},
	{"antminer_web", "antminer-web", ASICRig{Site: "dc4", NameplateW: 3000}}, // identified by MAC
}

func TestASICHTTPGolden(t *testing.T) {
	for _, tt := range httpGoldenCases {
		t.Run(tt.dir, func(t *testing.T) {
			srv := startFakeHTTPRig(t, tt.dir)
			if tt.dir == "antminer_web" {
				srv.user, srv.pw = "root", "root"
			}
			rig := tt.rig
			rig.Address, rig.Firmware = srv.addr, tt.firmware
			a := newTestASIC([]ASICRig{rig}, ASICOptions{Credentials: ASICCredentials{User: "root", Password: "root"}})
			points, err := a.Collect(context.Background())
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			checkGolden(t, points, srv.addr, filepath.Join("testdata", "asic", "http", tt.dir, "golden.lp"))
			srv.mu.Lock()
			for _, p := range srv.paths {
				if _, ok := srv.files[p]; !ok {
					t.Errorf("asked %s, which the firmware does not serve", p)
				}
			}
			srv.mu.Unlock()
		})
	}
}

func checkGolden(t *testing.T, points []metric.Point, addr, golden string) {
	t.Helper()
	for _, p := range points {
		if err := p.Validate(); err != nil {
			t.Errorf("invalid point: %v", err)
		}
	}
	got := bytes.ReplaceAll(metric.Lines(points), []byte(addr), []byte("RIGADDR"))
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("line protocol differs from %s\n got:\n%s\nwant:\n%s", golden, got, want)
	}
}

// With no firmware configured, each HTTP API is recognised by the endpoint
// only it serves, after the cgminer API stays silent on the port.
func TestASICHTTPDetection(t *testing.T) {
	for _, tt := range httpGoldenCases {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel() // each waits one timeout for the cgminer API to stay silent
			srv := startFakeHTTPRig(t, tt.dir)
			a := newTestASIC([]ASICRig{{Address: srv.addr, Name: "x"}}, ASICOptions{Timeout: time.Second, RigTimeout: 20 * time.Second,
				Credentials: ASICCredentials{User: "root", Password: "root"}})
			pts, err := a.Collect(context.Background())
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			if got := pts[0].Fields["api"]; got != tt.firmware {
				t.Errorf("api = %v, want %s", got, tt.firmware)
			}
		})
	}
}

// A port that answers HTTP but none of the known APIs is reported as an
// unsupported API, not as a timeout.
func TestASICUnsupportedAPI(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html>router admin</html>")
	}))
	t.Cleanup(web.Close) // after the parallel subtests, unlike defer
	// A binary protocol (Whatsminer API v3 frames, TLS, HTTP/2) answering
	// an HTTP request with bytes that are not HTTP.
	bin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bin.Close() })
	go func() {
		for {
			c, err := bin.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 512)
				_, _ = c.Read(buf)
				_, _ = c.Write([]byte("\x00\x00\x12\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64"))
			}()
		}
	}()
	for name, addr := range map[string]string{"http": strings.TrimPrefix(web.URL, "http://"), "binary": bin.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := newTestASIC([]ASICRig{{Address: addr}}, ASICOptions{Timeout: time.Second, RigTimeout: 20 * time.Second})
			_, err := a.Collect(context.Background())
			if !errors.Is(err, errUnsupportedAPI) || !strings.Contains(err.Error(), "unsupported API") {
				t.Errorf("%s: err = %v, want an unsupported API error", addr, err)
			}
			if errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "cgminer API") {
				t.Errorf("%s: reported as a timeout: %v", addr, err)
			}
		})
	}
}

func TestASICDigestCredentials(t *testing.T) {
	srv := startFakeHTTPRig(t, "antminer_web")
	srv.user, srv.pw = "root", "correct-horse"
	a := newTestASIC([]ASICRig{{Address: srv.addr, Firmware: "antminer-web"}}, ASICOptions{Credentials: ASICCredentials{User: "root", Password: "wrong-battery"}})
	_, err := a.Collect(context.Background())
	if !errors.Is(err, errAuth) {
		t.Fatalf("err = %v, want the credentials refused", err)
	}
	if strings.Contains(err.Error(), "wrong-battery") || strings.Contains(err.Error(), "correct-horse") {
		t.Fatalf("password in the error: %v", err)
	}
	a = newTestASIC([]ASICRig{{Address: srv.addr, Firmware: "antminer-web"}}, ASICOptions{Credentials: ASICCredentials{User: "root", Password: "correct-horse"}})
	if _, err := a.Collect(context.Background()); err != nil {
		t.Fatalf("with the right password: %v", err)
	}
	// The challenge is answered up front from then on: no more 401s.
	srv.mu.Lock()
	before := srv.refused
	srv.mu.Unlock()
	if _, err := a.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.refused != before {
		t.Errorf("%d requests refused on a poll with a known challenge, want 0", srv.refused-before)
	}
}

// Malformed bodies: an HTML error page or a truncated body on the main
// endpoint takes the rig down with a clear error; on a secondary endpoint
// it makes the reading partial. Both clear once the firmware recovers.
func TestASICHTTPMalformed(t *testing.T) {
	srv := startFakeHTTPRig(t, "vnish")
	a := newTestASIC([]ASICRig{{Address: srv.addr, Name: "vn", Firmware: "vnish"}}, ASICOptions{Timeout: 2 * time.Second})
	for _, tc := range []struct{ how, want string }{{"html", "HTML page"}, {"truncated", "truncated"}, {"500", "HTTP 500"}} {
		srv.set("/api/v1/summary", tc.how)
		pts, err := a.Collect(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) || pts[0].Fields["up"] != int64(0) {
			t.Errorf("%s: err = %v up = %v, want down with %q", tc.how, err, pts[0].Fields["up"], tc.want)
		}
	}
	srv.set("/api/v1/summary", "")
	srv.set("/api/v1/info", "html")
	a = newTestASIC([]ASICRig{{Address: srv.addr, Name: "vn", Firmware: "vnish"}}, ASICOptions{Timeout: 2 * time.Second})
	pts, err := a.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := rigPoint(t, pts, "vn"); p.Fields["partial"] != true || p.Fields["failed_commands"] != "/api/v1/info" {
		t.Errorf("partial = %v failed = %v", p.Fields["partial"], p.Fields["failed_commands"])
	}
	srv.set("/api/v1/info", "")
	a = newTestASIC([]ASICRig{{Address: srv.addr, Name: "vn", Firmware: "vnish"}}, ASICOptions{Timeout: 2 * time.Second})
	if pts, err = a.Collect(context.Background()); err != nil || rigPoint(t, pts, "vn").Fields["partial"] != false {
		t.Errorf("after recovery: err %v partial %v", err, rigPoint(t, pts, "vn").Fields["partial"])
	}
}

func TestDigestAuthHeader(t *testing.T) {
	h, err := digestAuth(`Digest realm="r", nonce="n", qop="auth,auth-int", opaque="o"`, ASICCredentials{User: "u", Password: "p"}, "GET", "/x", 1)
	if err != nil {
		t.Fatal(err)
	}
	p := parseAuthParams(strings.TrimPrefix(h, "Digest "))
	if p["username"] != "u" || p["realm"] != "r" || p["qop"] != "auth" || p["opaque"] != "o" || p["uri"] != "/x" || len(p["response"]) != 32 {
		t.Errorf("header %s", h)
	}
	if strings.Contains(h, `"p"`) {
		t.Errorf("password in the header: %s", h)
	}
	if _, err := digestAuth(`Digest realm="r", nonce="n", algorithm=SHA-512-256`, ASICCredentials{}, "GET", "/", 1); !errors.Is(err, errUnsupportedAPI) {
		t.Errorf("unsupported algorithm: %v", err)
	}
}

func TestASICRefusesUnlistedPaths(t *testing.T) {
	srv := startFakeHTTPRig(t, "antminer_web")
	a := newTestASIC(nil, ASICOptions{})
	for _, path := range []string{"/cgi-bin/reboot.cgi", "/cgi-bin/set_miner_conf.cgi", "/api/v1/mining/stop", "/api/system/restart"} {
		if _, err := a.getJSON(context.Background(), srv.addr, path); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("GET %s: err = %v, want refusal", path, err)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.paths) != 0 {
		t.Errorf("rig received %v", srv.paths)
	}
}
