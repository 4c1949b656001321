package agent

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// collectResult is one finished collection.
type collectResult struct {
	points []metric.Point
	err    error
	took   time.Duration
}

// runner owns one long-lived goroutine per collector, so a collector that
// ignores its context can only ever hold up itself: the schedule stops
// waiting at the timeout and skips rounds until the stuck call returns.
type runner struct {
	run  chan context.Context
	done chan collectResult
	busy bool
}

func newRunner(c interface {
	Collect(context.Context) ([]metric.Point, error)
}) *runner {
	r := &runner{run: make(chan context.Context), done: make(chan collectResult, 1)}
	go func() {
		for ctx := range r.run {
			start := time.Now()
			pts, err := c.Collect(ctx)
			r.done <- collectResult{points: pts, err: err, took: time.Since(start)}
		}
	}()
	return r
}

func (a *Agent) startSchedules(ctx context.Context, wg *sync.WaitGroup, s Settings) {
	for _, sc := range s.Collectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.scheduleCollector(ctx, sc, s.Tags)
		}()
	}
	if len(s.Benchmarks) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.scheduleBenchmarks(ctx, s.Benchmarks, s.Tags)
		}()
	}
	if s.SelfMetricsInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(s.SelfMetricsInterval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-t.C:
					a.appendSelfMetrics(now)
				}
			}
		}()
	}
}

func (a *Agent) scheduleCollector(ctx context.Context, sc ScheduledCollector, tags map[string]string) {
	name := sc.Collector.Name()
	log := a.log.With("collector", name)
	cs := a.stats.collector(name)
	r := newRunner(sc.Collector)
	// The runner goroutine exits when its channel closes; a stuck Collect
	// keeps it (and only it) until the call returns.
	defer close(r.run)
	interval := max(sc.Interval, 10*time.Millisecond)
	timeout := sc.Timeout
	if timeout <= 0 || timeout > interval {
		timeout = interval
	}
	// Tick on wall-clock multiples of the interval, so restarts and a
	// fleet keep a regular grid; jitter spreads the fleet across it.
	next := nextSlot(time.Now(), interval, sc.Phase)
	timer := time.NewTimer(time.Until(next) + jitter(sc.Jitter))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if r.busy {
			select {
			case <-r.done: // the stuck call finally returned; its result is stale
				r.busy = false
				log.Info("collector returned after being abandoned")
			default:
				cs.skipped.Add(1)
				log.Warn("collector still stuck in an earlier call; round skipped")
			}
		}
		if !r.busy {
			a.collectOnce(ctx, r, log, cs, timeout, tags)
		}
		now := time.Now()
		for !next.After(now) {
			next = next.Add(interval)
		}
		timer.Reset(time.Until(next) + jitter(sc.Jitter))
	}
}

func (a *Agent) collectOnce(ctx context.Context, r *runner, log *slog.Logger, cs *collectorStats, timeout time.Duration, tags map[string]string) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	at := time.Now()
	r.run <- cctx
	r.busy = true
	var res collectResult
	select {
	case res = <-r.done:
		r.busy = false
	case <-cctx.Done():
		if ctx.Err() != nil {
			return
		}
		// Give a collector that honours its context a moment to return.
		select {
		case res = <-r.done:
			r.busy = false
		case <-time.After(50 * time.Millisecond):
			cs.timeouts.Add(1)
			cs.setError("timed out after " + timeout.String())
			log.Warn("collection abandoned: timed out; will retry next round", "timeout", timeout)
			return
		}
	}
	cs.lastDuration.Store(int64(res.took))
	switch {
	case isAbsent(res.err):
		// Hardware this host lacks: said once, with the collector's reason
		// and fix, and never counted as a failure.
		if cs.setAbsent(res.err.Error()) {
			log.Info("source not present on this host; not collected", "reason", res.err.Error())
		}
	case res.err != nil:
		cs.errors.Add(1)
		msg := res.err.Error()
		repeat := cs.lastErrorIs(msg)
		cs.setError(msg)
		if errors.Is(res.err, context.DeadlineExceeded) {
			cs.timeouts.Add(1)
		}
		// Partial results still count: a rig that answered is worth
		// keeping even when another did not. The same error every round
		// (hardware this host lacks) is logged once, then at debug level.
		level := slog.LevelWarn
		if repeat {
			level = slog.LevelDebug
		}
		log.Log(ctx, level, "collection failed; will retry next round", "err", res.err, "points", len(res.points))
	default:
		cs.setError("")
	}
	if len(res.points) == 0 {
		return
	}
	n, err := a.record(res.points, at, tags)
	if err != nil {
		return // counted and logged, rate-limited, by record
	}
	cs.points.Add(int64(n))
}

// nextSlot is the first wall-clock multiple of interval, shifted by phase,
// after now.
func nextSlot(now time.Time, interval, phase time.Duration) time.Time {
	next := now.Truncate(interval).Add(phase % interval)
	for !next.After(now) {
		next = next.Add(interval)
	}
	return next
}

func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

// scheduleBenchmarks runs benchmarks one at a time: two at once would
// measure each other.
func (a *Agent) scheduleBenchmarks(ctx context.Context, bs []ScheduledBenchmark, tags map[string]string) {
	next := make([]time.Time, len(bs))
	now := time.Now()
	for i, b := range bs {
		next[i] = now.Add(b.Every)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		soonest := 0
		for i := range bs {
			if next[i].Before(next[soonest]) {
				soonest = i
			}
		}
		timer.Reset(time.Until(next[soonest]))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		b := bs[soonest]
		next[soonest] = time.Now().Add(b.Every)
		a.runBenchmark(ctx, b, tags)
	}
}

func (a *Agent) runBenchmark(ctx context.Context, b ScheduledBenchmark, tags map[string]string) {
	name := b.Benchmark.Name()
	log := a.log.With("benchmark", name)
	cs := a.stats.collector("bench_" + name)
	if b.Busy != nil {
		busy, why, err := b.Busy(ctx)
		if err != nil {
			log.Warn("benchmark skipped: cannot tell whether the device is busy", "err", err)
			cs.skipped.Add(1)
			return
		}
		if busy {
			log.Info("benchmark skipped: device busy", "why", why)
			cs.skipped.Add(1)
			return
		}
	}
	bctx := ctx
	if b.Timeout > 0 {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(ctx, b.Timeout)
		defer cancel()
	}
	at := time.Now()
	pts, err := b.Benchmark.Run(bctx)
	cs.lastDuration.Store(int64(time.Since(at)))
	if isAbsent(err) {
		if cs.setAbsent(err.Error()) {
			log.Info("benchmark hardware not present on this host; not run", "reason", err.Error())
		}
	} else if err != nil {
		cs.errors.Add(1)
		level := slog.LevelWarn
		if cs.lastErrorIs(err.Error()) {
			level = slog.LevelDebug // absent hardware says so every round
		}
		cs.setError(err.Error())
		log.Log(ctx, level, "benchmark failed", "err", err)
	}
	if len(pts) == 0 {
		return
	}
	n, err := a.record(pts, at, tags)
	if err != nil {
		return // counted and logged, rate-limited, by record
	}
	cs.points.Add(int64(n))
	log.Info("benchmark recorded", "points", n, "took", time.Since(at).Round(time.Millisecond))
}
