// Package agent is the perwatt daemon: it runs collectors and benchmarks on
// their schedules, stamps every point with the global tags, makes it durable
// in the spool before anything else happens to it, and ships the spool to a
// sink (InfluxDB or a line-protocol writer) with retries, splitting and a
// dead-letter file. Nothing acknowledged by the spool is dropped silently:
// a point either reaches the sink, lands in the dead-letter file with the
// server's reason, or is counted as dropped by the spool's size cap.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// Collector reads one source. Implementations live in collectors/ and never
// import this package.
type Collector interface {
	Name() string
	Collect(ctx context.Context) ([]metric.Point, error)
}

// Benchmark is a measurement that occupies the hardware for a while
// (sha256bench, gpubench); it runs on a slow schedule, one at a time.
type Benchmark interface {
	Name() string
	Run(ctx context.Context) ([]metric.Point, error)
}

// Batch is what the queue hands the shipper: records in append order, each
// one line of line protocol. Token is the queue's own bookkeeping.
type Batch struct {
	Records [][]byte
	Token   any
}

// Queue is the durable spool as the agent uses it.
type Queue interface {
	// Append returns once the records are durable under the configured
	// policy; only then are they acknowledged.
	Append(records [][]byte) error
	// Read blocks until at least one record is available or ctx ends.
	Read(ctx context.Context, maxRecords, maxBytes int) (Batch, error)
	// Commit releases a batch after the sink has dealt with it. An error
	// means the release could not be made durable (a restart would send
	// the batch again); the queue still moves on, so the next batch's
	// Commit follows on from this one.
	Commit(b Batch) error
	Stats() QueueStats
}

// QueueStats is what self-metrics report about the spool.
type QueueStats struct {
	Bytes          int64 `json:"bytes"`
	MaxBytes       int64 `json:"max_bytes"` // the cap in force; 0 if none
	Records        int64 `json:"records"`
	DroppedRecords int64 `json:"dropped_records"`
	CorruptRegions int64 `json:"corrupt_regions"`
}

// Sink receives line protocol. WriteBody is one attempt; its errors say
// what to do next through the behaviour methods in sinkerr.go.
type Sink interface {
	WriteBody(ctx context.Context, body string) error
}

// ScheduledCollector is a collector with its timing.
type ScheduledCollector struct {
	Collector Collector
	Interval  time.Duration
	Jitter    time.Duration // random delay in [0, Jitter) before each run
	// Phase is a fixed offset into each interval: a per-host slot that
	// spreads a fleet's runs of one job across the interval.
	Phase   time.Duration
	Timeout time.Duration
}

// ScheduledBenchmark runs Benchmark every Every; Busy (optional) is asked
// first and a true answer skips this round (a GPU that a tenant is using).
type ScheduledBenchmark struct {
	Benchmark Benchmark
	Every     time.Duration
	Timeout   time.Duration
	Busy      func(ctx context.Context) (busy bool, why string, err error)
}

// Settings is everything SIGHUP may change.
type Settings struct {
	Collectors []ScheduledCollector
	Benchmarks []ScheduledBenchmark
	Tags       map[string]string
	Sink       Sink
	// SinkName describes the sink in logs and /healthz ("influx http://…",
	// "stdout"); never a token.
	SinkName            string
	BatchLines          int           // default 5000
	BatchBytes          int           // default 8 MiB
	FlushInterval       time.Duration // pause after a short batch; default 1s
	MinBackoff          time.Duration // default 500ms
	MaxBackoff          time.Duration // default 30s
	SelfMetricsInterval time.Duration // 0 = no self-metrics
	ShutdownTimeout     time.Duration // default 10s
}

func (s Settings) withDefaults() Settings {
	if s.BatchLines <= 0 {
		s.BatchLines = 5000
	}
	if s.BatchBytes <= 0 {
		s.BatchBytes = 8 << 20
	}
	if s.FlushInterval <= 0 {
		s.FlushInterval = time.Second
	}
	if s.MinBackoff <= 0 {
		s.MinBackoff = 500 * time.Millisecond
	}
	if s.MaxBackoff < s.MinBackoff {
		s.MaxBackoff = max(30*time.Second, s.MinBackoff)
	}
	if s.ShutdownTimeout <= 0 {
		s.ShutdownTimeout = 10 * time.Second
	}
	return s
}

// Options are fixed for the life of an Agent.
type Options struct {
	Queue      Queue
	DeadLetter *DeadLetter
	Logger     *slog.Logger
	// OnAck, if set, sees every point after the spool acknowledged it. The
	// crash tests use it as their oracle.
	OnAck func(points []metric.Point)
}

// Agent is the running daemon.
type Agent struct {
	q      Queue
	dl     *DeadLetter
	log    *slog.Logger
	onAck  func([]metric.Point)
	stats  *Stats
	reload chan Settings
	// refusals and commits report spool faults that repeat every round.
	refusals *faultLog
	commits  *faultLog

	mu       sync.Mutex
	settings Settings
	prom     atomic.Pointer[promStore] // latest readings for /metrics; nil when off
	appendMu sync.Mutex                // one encoder buffer, appends in a stable order
	buf      []byte
	recs     [][]byte
}

// New checks the options; Run starts the work.
func New(opts Options, s Settings) (*Agent, error) {
	var errs []error
	if opts.Queue == nil {
		errs = append(errs, errors.New("agent: no spool"))
	}
	if opts.DeadLetter == nil {
		errs = append(errs, errors.New("agent: no dead-letter file"))
	}
	if s.Sink == nil {
		errs = append(errs, errors.New("agent: no sink"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Agent{
		q: opts.Queue, dl: opts.DeadLetter, log: opts.Logger, onAck: opts.OnAck,
		stats: newStats(time.Now()), reload: make(chan Settings), settings: s.withDefaults(),
		// Not acknowledged, so the collector's caller may not count on
		// them; but bytes of a failed write can still reach the disk and
		// be delivered after a restart.
		refusals: newFaultLog(opts.Logger, "spool refused points: not acknowledged (a restart may still deliver some of them)"),
		commits:  newFaultLog(opts.Logger, "spool commit not saved: delivery goes on; points delivered since would be sent again after a restart"),
	}, nil
}

// Stats exposes the live counters (health endpoint, tests).
func (a *Agent) Stats() *Stats { return a.stats }

func (a *Agent) current() Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings
}

// Reload swaps in new settings: schedules restart with the new collectors,
// the shipper picks up the new sink before its next attempt. It returns
// once the running agent has taken them, or when ctx ends.
func (a *Agent) Reload(ctx context.Context, s Settings) error {
	if s.Sink == nil {
		return errors.New("agent: reload without a sink")
	}
	select {
	case a.reload <- s.withDefaults():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run works until ctx ends, then stops the schedules, gives the shipper
// ShutdownTimeout to deliver what is spooled, and returns. Whatever is not
// delivered by then stays in the spool for the next start.
func (a *Agent) Run(ctx context.Context) error {
	hard, stopShip := context.WithCancel(context.WithoutCancel(ctx))
	defer stopShip()
	stopped := make(chan struct{})
	shipDone := make(chan struct{})
	go func() {
		defer close(shipDone)
		a.ship(ctx, hard, stopped)
	}()

	for {
		schedCtx, stopSched := context.WithCancel(ctx)
		var wg sync.WaitGroup
		a.startSchedules(schedCtx, &wg, a.current())
		select {
		case <-ctx.Done():
			s := a.current()
			deadline := time.NewTimer(s.ShutdownTimeout)
			defer deadline.Stop()
			a.log.Info("stopping: flushing the spool", "timeout", s.ShutdownTimeout)
			stopSched()
			schedDone := make(chan struct{})
			go func() { wg.Wait(); close(schedDone) }()
			select {
			case <-schedDone:
			case <-deadline.C:
				// A benchmark that ignores its context must not hold the
				// exit: its points would be lost anyway.
				a.log.Warn("a schedule did not stop in time; exiting without it")
				deadline.Reset(time.Second)
			}
			a.appendSelfMetrics(time.Now())
			close(stopped)
			select {
			case <-shipDone:
			case <-deadline.C:
				stopShip()
				<-shipDone
			}
			a.log.Info("stopped", "left_in_spool", a.q.Stats().Records)
			return nil
		case s := <-a.reload:
			stopSched()
			wg.Wait()
			a.mu.Lock()
			a.settings = s
			a.mu.Unlock()
			a.log.Info("configuration reloaded", "collectors", len(s.Collectors), "benchmarks", len(s.Benchmarks), "sink", s.SinkName)
		}
	}
}

// record stamps, encodes and spools points; it returns only when the spool
// acknowledged them (or failed, which is logged and counted by the caller).
func (a *Agent) record(points []metric.Point, at time.Time, tags map[string]string) (int, error) {
	a.appendMu.Lock()
	defer a.appendMu.Unlock()
	a.buf = a.buf[:0]
	a.recs = a.recs[:0]
	starts := make([]int, 0, 64)
	n := 0
	for i := range points {
		p := &points[i]
		if p.Time.IsZero() {
			p.Time = at
		}
		if len(tags) > 0 {
			*p = p.WithTags(tags)
		}
		if err := p.Validate(); err != nil {
			a.stats.invalid.Add(1)
			a.log.Warn("point left out", "err", err)
			continue
		}
		starts = append(starts, len(a.buf))
		a.buf = metric.AppendLine(a.buf, *p)
		n++
	}
	if n == 0 {
		return 0, nil
	}
	for i, s := range starts {
		end := len(a.buf)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		a.recs = append(a.recs, a.buf[s:end:end])
	}
	mutant := ackBeforeAppend()
	if mutant && a.onAck != nil {
		a.onAck(points)
	}
	if err := a.q.Append(a.recs); err != nil {
		err = fmt.Errorf("spool append: %w", err)
		a.stats.spoolErrors.Add(1)
		a.stats.refused.Add(int64(n))
		a.stats.refusing.Store(true)
		a.stats.setError(err.Error())
		a.refusals.failed(time.Now(), n, err)
		return 0, err
	}
	if a.stats.refusing.Swap(false) {
		a.refusals.ok(time.Now(), "spool accepts points again")
	}
	a.stats.spooled.Add(int64(n))
	if st := a.prom.Load(); st != nil {
		st.observe(points, at)
	}
	if a.onAck != nil && !mutant {
		a.onAck(points)
	}
	return n, nil
}
