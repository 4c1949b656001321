package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// perwatt runs the CLI in-process the way main does.
func perwatt(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestNoArgsPrintsHelp(t *testing.T) {
	out, _, code := perwatt(t, nil)
	if code != exitOK || !strings.Contains(out, "Available Commands") || !strings.Contains(out, "bench") {
		t.Fatalf("code %d, out:\n%s", code, out)
	}
}

func TestUsageErrorsAreOneLineExit2(t *testing.T) {
	for _, args := range [][]string{
		{"--no-such-flag"},
		{"version", "--bogus"},
		{"no-such-command"},
		{"--output", "xml", "version"},
		{"--log-level", "loud", "version"},
		{"config", "check"},
	} {
		out, errOut, code := perwatt(t, nil, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
			t.Errorf("%v: error is %d lines, want one:\n%s", args, n+1, errOut)
		}
		if out != "" {
			t.Errorf("%v: wrote to stdout: %q", args, out)
		}
	}
}

func TestVersionJSONHasCommitAndDate(t *testing.T) {
	out, _, code := perwatt(t, nil, "version", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"version", "commit", "go_version", "platform"} {
		if _, ok := v[k]; !ok {
			t.Errorf("version JSON lacks %q: %s", k, out)
		}
	}
}

func TestOutputLPIsLineProtocol(t *testing.T) {
	out, _, code := perwatt(t, nil, "version", "--output", "lp")
	if code != 0 || !strings.HasPrefix(out, "perwatt_version,host=") || !strings.Contains(out, ",version=") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

func TestJSONConflictsWithOtherOutput(t *testing.T) {
	_, _, code := perwatt(t, nil, "version", "--json", "--output", "lp")
	if code != exitUsage {
		t.Fatalf("exit %d, want 2", code)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[agent]\nintervall = \"1s\"\n\n[spool]\nsync = \"often\"\n"), 0o600)
	_, errOut, code := perwatt(t, nil, "config", "check", bad)
	if code != exitError {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{bad + ":2: agent.intervall: unknown key", bad + ":5: spool.sync:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("missing %q in:\n%s", want, errOut)
		}
	}

	good := filepath.Join(dir, "good.toml")
	tok := filepath.Join(dir, "tok")
	os.WriteFile(tok, []byte("tok-SECRET-123"), 0o600)
	os.WriteFile(good, []byte("[influx]\nurl = \"http://127.0.0.1:8086\"\nbucket = \"perwatt/autogen\"\ntoken_file = \""+tok+"\"\n"), 0o600)
	for _, format := range []string{"table", "json"} {
		out, errOut, code := perwatt(t, map[string]string{"PERWATT_INFLUX_TOKEN": "env-SECRET-456"}, "config", "check", "--output", format, good)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		if strings.Contains(out+errOut, "SECRET") {
			t.Fatalf("%s: token printed:\n%s%s", format, out, errOut)
		}
		if !strings.Contains(out, "valid") {
			t.Fatalf("%s: output %q", format, out)
		}
	}
}

func TestBadConfigFileStopsCommands(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[nonsense]\n"), 0o600)
	_, errOut, code := perwatt(t, nil, "--config", bad, "collect")
	if code != exitError || !strings.Contains(errOut, "nonsense: unknown key") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
}
