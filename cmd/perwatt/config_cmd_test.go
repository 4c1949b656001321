package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// config check shows where points go but never a password written into
// influx.url, in text or JSON.
func TestConfigCheckHidesURLPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "perwatt.toml")
	cfg := "[influx]\nurl = \"http://writer:Hunter2Secret@influx.example:8086\"\nbucket = \"telegraf/autogen\"\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"config", "check", path}, {"--output", "json", "config", "check", path}} {
		out, errOut, code := perwatt(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if strings.Contains(out+errOut, "Hunter2Secret") {
			t.Fatalf("%v: password printed:\n%s%s", args, out, errOut)
		}
		if !strings.Contains(out, "influx.example:8086") || !strings.Contains(out, "writer") {
			t.Fatalf("%v: destination not shown:\n%s", args, out)
		}
	}
}
