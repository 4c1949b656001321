package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Settings the runner cannot measure are refused up front, in one line,
// exit 2: no goroutine dump, no 5,000 idle threads, no GH/s from 1 ns.
func TestBenchSHA256RefusesWhatItCannotMeasure(t *testing.T) {
	for _, tc := range []struct{ args []string }{
		{[]string{"--threads", "100000"}},
		{[]string{"--threads", "5000"}},
		{[]string{"--window", "1ns"}},
		{[]string{"--duration", "1ns"}},
	} {
		out, errOut, code := perwatt(t, nil, append([]string{"bench", "sha256", "--market", "none"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.args[0]+" "+tc.args[1]+": want") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 || out != "" {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q", tc.args, code, out, errOut)
		}
	}
}

// bench all checks every flag before it fetches or measures anything, and
// takes the market from the embedded snapshot unless told otherwise.
func TestBenchAllValidatesBeforeFetching(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "p.toml")
	body := "[economics]\nmempool_url = \"" + srv.URL + "\"\nblockchain_url = \"" + srv.URL + "\"\ncache_file = \"" + filepath.Join(t.TempDir(), "cache.json") + "\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--kernel", "foo"},
		{"--duration", "1ns"},
		{"--market", "moon"},
		{"--gpu-duration", "-1s"},
		{"--market", "live", "--offline"},
	} {
		_, errOut, code := perwatt(t, nil, append([]string{"--config", cfg, "bench", "all", "--market", "live"}, args...)...)
		if code != exitUsage || !strings.Contains(errOut, args[0]) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("bench all fetched market data %d time(s) before refusing its flags", n)
	}
}
