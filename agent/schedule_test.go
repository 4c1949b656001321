package agent_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/metric"
)

// fakeCollector answers from a function and counts its calls.
type fakeCollector struct {
	name  string
	calls atomic.Int64
	fn    func(ctx context.Context, call int64) ([]metric.Point, error)
}

func (f *fakeCollector) Name() string { return f.name }
func (f *fakeCollector) Collect(ctx context.Context) ([]metric.Point, error) {
	return f.fn(ctx, f.calls.Add(1))
}

// recordingSink keeps every body it was given.
type recordingSink struct {
	lines atomic.Pointer[[]string]
}

func (s *recordingSink) WriteBody(_ context.Context, body string) error {
	for {
		old := s.lines.Load()
		var next []string
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, strings.Split(body, "\n")...)
		if s.lines.CompareAndSwap(old, &next) {
			return nil
		}
	}
}

func (s *recordingSink) all() []string {
	if p := s.lines.Load(); p != nil {
		return *p
	}
	return nil
}

func startAgent(t *testing.T, s agent.Settings) (*agent.Agent, *memQueue, context.CancelFunc, <-chan error) {
	t.Helper()
	q := newMemQueue()
	dl, _ := agent.OpenDeadLetter(filepath.Join(t.TempDir(), "dead.lp"))
	ag, err := agent.New(agent.Options{Queue: q, DeadLetter: dl, Logger: slog.New(slog.DiscardHandler)}, s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() { done <- ag.Run(ctx); close(finished) }()
	t.Cleanup(func() { cancel(); <-finished })
	return ag, q, cancel, done
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func TestStuckAndFailingCollectorsDoNotBlockOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	stuck := &fakeCollector{name: "stuck", fn: func(ctx context.Context, _ int64) ([]metric.Point, error) {
		<-release // ignores its context on purpose
		return nil, nil
	}}
	failing := &fakeCollector{name: "failing", fn: func(context.Context, int64) ([]metric.Point, error) {
		return nil, errors.New("device went away")
	}}
	good := &fakeCollector{name: "good", fn: func(_ context.Context, call int64) ([]metric.Point, error) {
		return []metric.Point{metric.New("good", map[string]string{"host": "own"}, map[string]any{"n": call}, time.Time{})}, nil
	}}
	sink := &recordingSink{}
	sched := func(c agent.Collector) agent.ScheduledCollector {
		return agent.ScheduledCollector{Collector: c, Interval: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Timeout: 10 * time.Millisecond}
	}
	ag, _, _, _ := startAgent(t, agent.Settings{
		Sink: sink, FlushInterval: 10 * time.Millisecond,
		Tags:       map[string]string{"site": "tx-1", "host": "global"},
		Collectors: []agent.ScheduledCollector{sched(stuck), sched(failing), sched(good)},
	})
	waitFor(t, 10*time.Second, "20 good points shipped", func() bool { return countPrefix(sink.all(), "good,") >= 20 })
	waitFor(t, 10*time.Second, "failing collector retried", func() bool { return failing.calls.Load() >= 5 })
	if n := stuck.calls.Load(); n != 1 {
		t.Errorf("stuck collector was entered %d times while its first call hung; want 1", n)
	}
	snap := ag.Stats().Snapshot(time.Now(), nil)
	if c := snap.Collectors["stuck"]; c.Timeouts != 1 || c.Skipped < 3 {
		t.Errorf("stuck collector: timeouts %d skipped %d, want 1 and several", c.Timeouts, c.Skipped)
	}
	if c := snap.Collectors["failing"]; c.Errors < 5 || c.LastError != "device went away" {
		t.Errorf("failing collector: %+v", c)
	}
	for _, l := range sink.all() {
		if !strings.HasPrefix(l, "good,") {
			continue
		}
		// The point's own host tag wins over the global one; site is added.
		if !strings.HasPrefix(l, "good,host=own,site=tx-1 n=") {
			t.Fatalf("tags not applied as expected: %q", l)
		}
		ts := l[strings.LastIndexByte(l, ' ')+1:]
		if len(ts) < 19 || strings.HasSuffix(ts, "000000000") {
			t.Fatalf("point not stamped at measurement time: %q", l)
		}
	}
}

func TestReloadSwapsCollectorsAndTags(t *testing.T) {
	t.Parallel()
	mk := func(name string) *fakeCollector {
		return &fakeCollector{name: name, fn: func(context.Context, int64) ([]metric.Point, error) {
			return []metric.Point{metric.New(name, nil, map[string]any{"v": 1.0}, time.Now())}, nil
		}}
	}
	sink := &recordingSink{}
	base := agent.Settings{Sink: sink, FlushInterval: 10 * time.Millisecond}
	s1 := base
	s1.Tags = map[string]string{"gen": "one"}
	s1.Collectors = []agent.ScheduledCollector{{Collector: mk("first"), Interval: 10 * time.Millisecond}}
	ag, _, _, _ := startAgent(t, s1)
	waitFor(t, 10*time.Second, "first collector ran", func() bool { return countPrefix(sink.all(), "first,gen=one") > 0 })
	s2 := base
	s2.Tags = map[string]string{"gen": "two"}
	s2.Collectors = []agent.ScheduledCollector{{Collector: mk("second"), Interval: 10 * time.Millisecond}}
	if err := ag.Reload(context.Background(), s2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "second collector ran", func() bool { return countPrefix(sink.all(), "second,gen=two") > 0 })
	before := countPrefix(sink.all(), "first,")
	time.Sleep(100 * time.Millisecond)
	if after := countPrefix(sink.all(), "first,"); after != before {
		t.Errorf("old collector still running after reload: %d -> %d points", before, after)
	}
}

// blockingSink never answers until its context ends: a server that hangs.
type blockingSink struct{}

func (blockingSink) WriteBody(ctx context.Context, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestShutdownIsBoundedWhenTheSinkHangs(t *testing.T) {
	t.Parallel()
	c := &fakeCollector{name: "c", fn: func(context.Context, int64) ([]metric.Point, error) {
		return []metric.Point{metric.New("c", nil, map[string]any{"v": 1.0}, time.Now())}, nil
	}}
	_, q, cancel, done := startAgent(t, agent.Settings{Sink: blockingSink{}, ShutdownTimeout: 300 * time.Millisecond,
		Collectors: []agent.ScheduledCollector{{Collector: c, Interval: 10 * time.Millisecond}}})
	waitFor(t, 10*time.Second, "points spooled", func() bool { return q.pending() > 0 })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancellation with shutdown_timeout 300ms")
	}
	if q.pending() == 0 {
		t.Error("undelivered points were removed from the spool")
	}
}
