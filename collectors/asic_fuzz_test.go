package collectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzHTTPNormalize feeds any reply through the parser and every HTTP and
// API v3 normaliser: none may panic, and whatever comes out must be
// writable to InfluxDB. Seeds: every HTTP and v3 fixture plus
// testdata/fuzz/FuzzHTTPNormalize (HTML pages, NULs, wrong types).
func FuzzHTTPNormalize(f *testing.F) {
	for _, glob := range []string{"testdata/asic/http/*/*.json", "testdata/asic/whatsminer_v3/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseReply(b)
		if err != nil {
			return
		}
		at := time.Unix(1700000000, 0)
		readings := make([]ASICReading, 6)
		normalizeAxeOS(&readings[0], o)
		normalizeVNish(&readings[1], o, o)
		normalizeEPIC(&readings[2], o, o)
		normalizeAntminerWeb(&readings[3], map[string]map[string]any{
			"/cgi-bin/stats.cgi": o, "/cgi-bin/summary.cgi": o, "/cgi-bin/pools.cgi": o,
			"/cgi-bin/get_blink_status.cgi": o, "/cgi-bin/get_system_info.cgi": o})
		normalizeWhatsminerV3(&readings[4], obj(o, "msg", "summary"), section(obj(o, "msg"), "edevs"), section(obj(o, "msg"), "pools"), obj(o, "msg"))
		normalizeWhatsminerV3(&readings[5], o, section(o, "edevs"), section(o, "pools"), o)
		for i := range readings {
			r := &readings[i]
			r.Address, r.At, r.Up = "10.0.0.1:80", at, true
			r.finish(1000)
			for _, p := range r.points() {
				if err := p.Validate(); err != nil {
					t.Fatalf("normaliser %d: point not writable: %v", i, err)
				}
			}
			_ = r.appraisalReading()
		}
	})
}

// FuzzASICRange: a range spec either parses into a bounded, ordered list
// of IPv4 addresses or is refused with an error naming it.
func FuzzASICRange(f *testing.F) {
	for _, s := range []string{"10.0.0.0/24", "10.0.0.1-10.0.0.9", "10.0.0.9", "127.1.0.1-127.1.39.16", "::1/128", "10.0.0.0/0", "1.2.3.4-1.2.3.4-1.2.3.5", " 10.0.0.0/31 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		addrs, err := ParseASICRange(spec)
		if err != nil {
			if !strings.Contains(err.Error(), "range") && !strings.Contains(err.Error(), "want") {
				t.Fatalf("error does not say what was wrong: %v", err)
			}
			return
		}
		if len(addrs) == 0 || len(addrs) > maxRangeAddresses {
			t.Fatalf("%q: %d addresses", spec, len(addrs))
		}
		for i := 1; i < len(addrs); i++ {
			if !addrs[i-1].Less(addrs[i]) || !addrs[i].Is4() {
				t.Fatalf("%q: addresses out of order at %d", spec, i)
			}
		}
	})
}

// FuzzDigestChallenge: any WWW-Authenticate header yields an answer or an
// error, never a panic, and never echoes the password.
func FuzzDigestChallenge(f *testing.F) {
	for _, s := range []string{`Digest realm="antMiner Configuration", nonce="abc", qop="auth"`, `Digest realm=x, nonce=y`, `Digest `, `Digest realm="unterminated`, `Digest algorithm=SHA-256, realm="r"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, chal string) {
		if !strings.HasPrefix(strings.ToLower(chal), "digest ") {
			return
		}
		h, err := digestAuth(chal, ASICCredentials{User: "root", Password: "pw-NEVER-SHOWN"}, "GET", "/cgi-bin/stats.cgi", 1)
		if err == nil && strings.Contains(h, "pw-NEVER-SHOWN") {
			t.Fatalf("password in the header: %s", h)
		}
	})
}
