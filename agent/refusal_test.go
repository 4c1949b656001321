package agent

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A fault that repeats every round is logged once, then summarised once
// per period, then its end is logged.
func TestFaultLogRateLimits(t *testing.T) {
	var buf bytes.Buffer
	f := newFaultLog(slog.New(slog.NewTextHandler(&buf, nil)), "spool refused points")
	t0 := time.Unix(0, 0)
	for i := range 416 {
		f.failed(t0.Add(time.Duration(i)*time.Second), 10, errors.New("no space left on device"))
	}
	f.ok(t0.Add(416*time.Second), "spool accepts points again")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// first + one summary per 30 s over 415 s + the end
	if want := 1 + 415/30 + 1; len(lines) != want {
		t.Fatalf("%d log lines for 416 refusals, want %d:\n%s", len(lines), want, buf.String())
	}
	if !strings.Contains(lines[len(lines)-1], "points_affected=4160") {
		t.Fatalf("end line does not count the points: %s", lines[len(lines)-1])
	}
	if !strings.Contains(lines[1], "failures=30 points=300") {
		t.Fatalf("summary does not count what it held back: %s", lines[1])
	}
}
