package main

import (
	"fmt"
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

// A URL that fails validation is not echoed with its password either.
func TestConfigCheckBadURLHidesPassword(t *testing.T) {
	dir := t.TempDir()
	for i, u := range []string{"ftp://writer:Hunter2Secret@influx.example:8086", "http://writer:Hunter2Secret@[bad"} {
		path := filepath.Join(dir, fmt.Sprintf("bad%d.toml", i))
		cfg := fmt.Sprintf("[influx]\nurl = %q\nbucket = \"b\"\n", u)
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := perwatt(t, nil, "config", "check", path)
		if code == 0 || !strings.Contains(errOut, "influx.url") {
			t.Fatalf("%s: exit %d, want a problem with influx.url:\n%s", u, code, errOut)
		}
		if strings.Contains(out+errOut, "Hunter2Secret") {
			t.Fatalf("%s: password printed:\n%s%s", u, out, errOut)
		}
	}
}
