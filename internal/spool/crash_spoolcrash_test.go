//go:build spoolcrash

package spool

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

func TestParseCrashSpec(t *testing.T) {
	for in, want := range map[string]struct {
		point string
		nth   int64
	}{
		"append-before-fsync":        {"append-before-fsync", 1},
		"segment-created:3":          {"segment-created", 3},
		"commit-before-checkpoint:x": {"commit-before-checkpoint", 1},
	} {
		p, n := parseCrashSpec(in)
		if p != want.point || n != want.nth {
			t.Errorf("parseCrashSpec(%q) = %q, %d", in, p, n)
		}
	}
}

// TestEnvCrashHook proves the hook a -tags spoolcrash agent binary uses:
// PERWATT_SPOOL_CRASH kills the process with SIGKILL at the named point,
// and nothing acknowledged before it is lost.
func TestEnvCrashHook(t *testing.T) {
	if dir := os.Getenv(killChildDir); dir != "" {
		killChild(dir, "", 0)
		return
	}
	for _, point := range crashPoints {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			exe, _ := os.Executable()
			cmd := exec.Command(exe, "-test.run=^TestEnvCrashHook$", "-test.count=1")
			cmd.Env = append(os.Environ(), killChildDir+"="+dir, CrashEnv+"="+point+":2")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die by SIGKILL at %s: %v\n%s", point, err, stderr.String())
			}
			o := newOracle()
			if err := o.parseChild(stdout.Bytes()); err != nil {
				t.Fatal(err)
			}
			if err := o.verifyAfterRestart(dir, Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
