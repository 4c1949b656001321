package collectors

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeBMC serves a Redfish tree from testdata/redfish/<mockup> (one
// index.json per resource, as DMTF's mockups are laid out) over TLS, with
// the session service and basic auth a real BMC has.
type fakeBMC struct {
	srv       *httptest.Server
	root      string
	user, pw  string
	basicOnly bool // no SessionService (login answers 404)

	mu       sync.Mutex
	sessions map[string]bool
	override map[string]string // path -> body to serve instead of the file
	failing  atomic.Bool       // every GET answers 503
	logins   atomic.Int64
	logouts  atomic.Int64
	gets     atomic.Int64
}

func newFakeBMC(t *testing.T, mockup string) *fakeBMC {
	t.Helper()
	f := &fakeBMC{root: filepath.Join("testdata", "redfish", mockup), user: "root", pw: "calvin-9",
		sessions: map[string]bool{}, override: map[string]string{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// caFile writes the server's certificate for tls_ca.
func (f *fakeBMC) caFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bmc-ca.pem")
	block := "-----BEGIN CERTIFICATE-----\n"
	enc := base64Lines(f.srv.Certificate().Raw)
	if err := os.WriteFile(p, []byte(block+enc+"-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fakeBMC) expireSessions() {
	f.mu.Lock()
	clear(f.sessions)
	f.mu.Unlock()
}

func (f *fakeBMC) setBody(path, body string) {
	f.mu.Lock()
	f.override[path] = body
	f.mu.Unlock()
}

func (f *fakeBMC) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("OData-Version", "4.0")
	if r.URL.Path == "/redfish/v1/SessionService/Sessions" && r.Method == http.MethodPost {
		if f.basicOnly {
			http.NotFound(w, r)
			return
		}
		var body struct{ UserName, Password string }
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.UserName != f.user || body.Password != f.pw {
			redfishError(w, http.StatusUnauthorized, "The credentials supplied are not valid.")
			return
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		tok := hex.EncodeToString(b)
		f.mu.Lock()
		f.sessions[tok] = true
		f.mu.Unlock()
		f.logins.Add(1)
		w.Header().Set("X-Auth-Token", tok)
		w.Header().Set("Location", "/redfish/v1/SessionService/Sessions/"+tok[:8])
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"@odata.type":"#Session.v1_6_0.Session","UserName":"` + body.UserName + `"}`))
		return
	}
	if !f.authorised(r) {
		redfishError(w, http.StatusUnauthorized, "Access denied: no valid session or credentials.")
		return
	}
	if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/redfish/v1/SessionService/Sessions/") {
		f.mu.Lock()
		delete(f.sessions, r.Header.Get("X-Auth-Token"))
		f.mu.Unlock()
		f.logouts.Add(1)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodGet {
		redfishError(w, http.StatusMethodNotAllowed, "Method not allowed.")
		return
	}
	f.gets.Add(1)
	if f.failing.Load() {
		redfishError(w, http.StatusServiceUnavailable, "The service is temporarily unavailable.")
		return
	}
	f.mu.Lock()
	body, ok := f.override[r.URL.Path]
	f.mu.Unlock()
	if !ok {
		b, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/")), "index.json"))
		if err != nil {
			redfishError(w, http.StatusNotFound, "The resource "+r.URL.Path+" was not found.")
			return
		}
		body = string(b)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
}

func (f *fakeBMC) authorised(r *http.Request) bool {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.sessions[tok]
	}
	u, p, ok := r.BasicAuth()
	return ok && u == f.user && p == f.pw
}

// redfishError answers in the Redfish error shape (DSP0266 section 9.6).
func redfishError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": "Base.1.8.GeneralError", "message": "A general error has occurred.",
		"@Message.ExtendedInfo": []map[string]string{{"MessageId": "Base.1.8.GeneralError", "Message": msg}},
	}})
}
