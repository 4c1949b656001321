package agent_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/metric"
)

// absentErr is shaped like collectors.ErrUnavailable: it answers Absent().
type absentErr struct{}

func (absentErr) Error() string { return "unavailable" }
func (absentErr) Absent() bool  { return true }

// logRecorder keeps every record logged through it.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}

func TestAbsentSourceIsInfoOnceAndNotAnError(t *testing.T) {
	t.Parallel()
	// "gpu" is absent for its first 5 calls (driver not installed yet),
	// then appears and works: the state must clear by itself.
	gpu := &fakeCollector{name: "gpu", fn: func(_ context.Context, call int64) ([]metric.Point, error) {
		if call <= 5 {
			return nil, fmt.Errorf("nvml: %w: libnvidia-ml.so.1 not found; install the driver", absentErr{})
		}
		return []metric.Point{metric.New("gpu", nil, map[string]any{"power_w": 300.0}, time.Time{})}, nil
	}}
	// "bmc" exists but fails alongside an absent part: that is a failure.
	bmc := &fakeCollector{name: "bmc", fn: func(context.Context, int64) ([]metric.Point, error) {
		return nil, errors.Join(fmt.Errorf("ipmi: %w: no /dev/ipmi0", absentErr{}), errors.New("redfish: 401 Unauthorized"))
	}}
	rec := &logRecorder{}
	q := newMemQueue()
	dl, _ := agent.OpenDeadLetter(filepath.Join(t.TempDir(), "dead.lp"))
	sched := func(c agent.Collector) agent.ScheduledCollector {
		return agent.ScheduledCollector{Collector: c, Interval: 10 * time.Millisecond, Timeout: 10 * time.Millisecond}
	}
	ag, err := agent.New(agent.Options{Queue: q, DeadLetter: dl, Logger: slog.New(rec)}, agent.Settings{
		Sink: &recordingSink{}, FlushInterval: 10 * time.Millisecond,
		Collectors: []agent.ScheduledCollector{sched(gpu), sched(bmc)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ag.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor(t, 10*time.Second, "absent source reported", func() bool {
		return ag.Stats().Snapshot(time.Now(), nil).Collectors["gpu"].Absent != ""
	})
	snap := ag.Stats().Snapshot(time.Now(), nil)
	if c := snap.Collectors["gpu"]; c.Errors != 0 || c.LastError != "" {
		t.Errorf("absent source counted as failing: %+v", c)
	}
	waitFor(t, 10*time.Second, "source appears and is collected", func() bool {
		c := ag.Stats().Snapshot(time.Now(), nil).Collectors["gpu"]
		return c.Points >= 3 && c.Absent == ""
	})
	if n := rec.count(slog.LevelInfo, "source not present on this host; not collected"); n != 1 {
		t.Errorf("absent source logged %d times at info, want once", n)
	}
	if n := rec.count(slog.LevelWarn, "collection failed; will retry next round"); n != 1 {
		t.Errorf("%d warnings, want exactly one (the failing bmc, once)", n)
	}
	c := ag.Stats().Snapshot(time.Now(), nil).Collectors
	if c["gpu"].Errors != 0 {
		t.Errorf("gpu errors = %d, want 0", c["gpu"].Errors)
	}
	if c["bmc"].Errors == 0 || c["bmc"].Absent != "" {
		t.Errorf("a source that exists and fails must count as an error: %+v", c["bmc"])
	}
}
