package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -o lp prints what the agent writes: every line carries host and the
// configured [tags], whichever command made it.
func TestLineProtocolCarriesGlobalTags(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "p.toml")
	if err := os.WriteFile(cfg, []byte("[tags]\nhost = \"rig-7\"\nsite = \"tx-1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"econ", "--offline"},
		{"bench", "sha256", "--kernel", "generic", "--threads", "1", "--duration", "100ms", "--warmup", "0s", "--window", "100ms", "--yardstick", "0s", "--market", "none"},
		{"collect", "--only", "host"},
		{"version"},
	} {
		out, errOut, code := perwatt(t, nil, append([]string{"--config", cfg, "-o", "lp"}, args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) == 0 || lines[0] == "" {
			t.Fatalf("%v: no points", args)
		}
		for _, l := range lines {
			key := seriesKey(l)
			if args[0] != "version" && (!strings.Contains(key, ",host=rig-7") || !strings.Contains(key, ",site=tx-1")) {
				t.Errorf("%v: line without the global tags: %s", args, l)
			}
			if args[0] == "version" && !strings.Contains(key, ",host=") {
				t.Errorf("version: line without host: %s", l)
			}
		}
	}
}

// A report that holds no measurement is refused in line protocol, exit 2,
// rather than printing nothing and exiting 0.
func TestLineProtocolRefusesReportsWithoutMeasurements(t *testing.T) {
	for _, args := range [][]string{
		{"config", "check", "../../configs/perwatt.example.toml"},
		{"bench", "sha256", "--list-kernels"},
	} {
		out, errOut, code := perwatt(t, nil, append([]string{"-o", "lp"}, args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "--output lp") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// seriesKey is a line's measurement and tags: up to the first unescaped space.
func seriesKey(line string) string {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case ' ':
			return line[:i]
		}
	}
	return line
}

// Points computed from the embedded synthetic prices are tagged as such;
// points from the operator's own prices are not.
func TestSyntheticPricesAreTaggedInLineProtocol(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "prices.csv")
	rows := "timestamp,usd_per_mwh\n2026-07-06T00:00:00Z,30\n2026-07-06T01:00:00Z,250\n2026-07-06T02:00:00Z,40\n"
	if err := os.WriteFile(csv, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args      []string
		synthetic bool
	}{
		{[]string{"econ", "curtail", "--offline"}, true},
		{[]string{"econ", "site", "--offline", "--prices", "synthetic"}, true},
		{[]string{"econ", "curtail", "--offline", "--prices", csv}, false},
		{[]string{"econ", "site", "--offline", "--prices", csv}, false},
	} {
		out, errOut, code := perwatt(t, nil, append([]string{"-o", "lp"}, tc.args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut)
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if got := strings.Contains(seriesKey(l), ",synthetic=true"); got != tc.synthetic {
				t.Errorf("%v: synthetic tag %v, want %v: %s", tc.args, got, tc.synthetic, l)
			}
		}
	}
}
