package main

import (
	"strings"
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
