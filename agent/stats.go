package agent

import (
	"maps"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// Stats are the agent's own counters, reported as the perwatt_agent and
// perwatt_agent_collector measurements and on /healthz.
type Stats struct {
	started time.Time

	spooled      atomic.Int64 // points acknowledged by the spool
	invalid      atomic.Int64 // points a collector produced that cannot be written
	spoolErrors  atomic.Int64 // appends the spool refused
	refused      atomic.Int64 // points in those appends
	refusing     atomic.Bool  // the last append was refused
	commitErrors atomic.Int64 // commits the spool could not make durable
	commitFail   atomic.Bool  // the last commit failed
	written      atomic.Int64 // points the sink accepted
	requests     atomic.Int64 // write requests that succeeded
	retries      atomic.Int64 // failed attempts that will be retried
	splits       atomic.Int64 // batches halved after 413 or a rejection
	deadLettered atomic.Int64 // points moved to the dead-letter file
	lastSuccess  atomic.Int64 // unix ns of the last accepted write
	authFailing  atomic.Bool

	mu         sync.Mutex
	lastError  string
	collectors map[string]*collectorStats
}

type collectorStats struct {
	points       atomic.Int64
	errors       atomic.Int64
	timeouts     atomic.Int64
	skipped      atomic.Int64
	lastDuration atomic.Int64 // ns

	mu        sync.Mutex
	lastError string
	absent    string // why the source does not exist on this host; "" when it does
}

// setAbsent records why the source is absent and reports whether that is
// news (the first time, or a different reason), which is logged at info.
func (c *collectorStats) setAbsent(why string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	news := c.absent != why
	c.absent = why
	c.lastError = ""
	return news
}

func (c *collectorStats) setError(s string) {
	c.mu.Lock()
	c.lastError = s
	c.absent = ""
	c.mu.Unlock()
}

func (c *collectorStats) lastErrorIs(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastError == s
}

func newStats(now time.Time) *Stats {
	return &Stats{started: now, collectors: map[string]*collectorStats{}}
}

func (s *Stats) collector(name string) *collectorStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.collectors[name]
	if !ok {
		c = &collectorStats{}
		s.collectors[name] = c
	}
	return c
}

func (s *Stats) setError(msg string) {
	s.mu.Lock()
	s.lastError = msg
	s.mu.Unlock()
}

// Snapshot is a copy of the counters at one moment.
type Snapshot struct {
	UptimeS        float64                      `json:"uptime_s"`
	PointsSpooled  int64                        `json:"points_spooled"`
	PointsInvalid  int64                        `json:"points_invalid"`
	SpoolErrors    int64                        `json:"spool_errors"`
	PointsRefused  int64                        `json:"points_refused"`
	SpoolRefusing  bool                         `json:"spool_refusing"`
	CommitErrors   int64                        `json:"commit_errors"`
	CommitFailing  bool                         `json:"commit_failing"`
	PointsWritten  int64                        `json:"points_written"`
	WriteRequests  int64                        `json:"write_requests"`
	WriteRetries   int64                        `json:"write_retries"`
	BatchSplits    int64                        `json:"batch_splits"`
	DeadLettered   int64                        `json:"points_dead_lettered"`
	LastSuccessAgo float64                      `json:"last_write_age_s"` // -1: never
	AuthFailing    bool                         `json:"auth_failing"`
	LastError      string                       `json:"last_error"`
	Spool          QueueStats                   `json:"spool"`
	Collectors     map[string]CollectorSnapshot `json:"collectors"`
}

// CollectorSnapshot is one collector's counters.
type CollectorSnapshot struct {
	Points       int64   `json:"points"`
	Errors       int64   `json:"errors"`
	Timeouts     int64   `json:"timeouts"`
	Skipped      int64   `json:"skipped"`
	LastDuration float64 `json:"last_duration_s"`
	LastError    string  `json:"last_error"`
	// Absent says why the source does not exist on this host (no driver,
	// no RAPL, no BMC); such a collector is not failing.
	Absent string `json:"absent,omitempty"`
}

// Snapshot reads every counter; q may be nil.
func (s *Stats) Snapshot(now time.Time, q Queue) Snapshot {
	snap := Snapshot{
		UptimeS:       now.Sub(s.started).Seconds(),
		PointsSpooled: s.spooled.Load(), PointsInvalid: s.invalid.Load(), SpoolErrors: s.spoolErrors.Load(),
		PointsRefused: s.refused.Load(), SpoolRefusing: s.refusing.Load(),
		CommitErrors: s.commitErrors.Load(), CommitFailing: s.commitFail.Load(),
		PointsWritten: s.written.Load(), WriteRequests: s.requests.Load(), WriteRetries: s.retries.Load(),
		BatchSplits: s.splits.Load(), DeadLettered: s.deadLettered.Load(), AuthFailing: s.authFailing.Load(),
		LastSuccessAgo: -1, Collectors: map[string]CollectorSnapshot{},
	}
	if t := s.lastSuccess.Load(); t != 0 {
		snap.LastSuccessAgo = now.Sub(time.Unix(0, t)).Seconds()
	}
	if q != nil {
		snap.Spool = q.Stats()
	}
	s.mu.Lock()
	snap.LastError = s.lastError
	cs := maps.Clone(s.collectors)
	s.mu.Unlock()
	for name, c := range cs {
		c.mu.Lock()
		le, ab := c.lastError, c.absent
		c.mu.Unlock()
		snap.Collectors[name] = CollectorSnapshot{
			Points: c.points.Load(), Errors: c.errors.Load(), Timeouts: c.timeouts.Load(), Skipped: c.skipped.Load(),
			LastDuration: time.Duration(c.lastDuration.Load()).Seconds(), LastError: le, Absent: ab,
		}
	}
	return snap
}

// selfPoints renders a snapshot as perwatt_agent (one point) and
// perwatt_agent_collector (one per collector).
func selfPoints(snap Snapshot, now time.Time) []metric.Point {
	f := map[string]any{
		"uptime_s":             snap.UptimeS,
		"points_spooled":       snap.PointsSpooled,
		"points_invalid":       snap.PointsInvalid,
		"spool_errors":         snap.SpoolErrors,
		"points_refused":       snap.PointsRefused,
		"commit_errors":        snap.CommitErrors,
		"points_written":       snap.PointsWritten,
		"write_requests":       snap.WriteRequests,
		"write_retries":        snap.WriteRetries,
		"batch_splits":         snap.BatchSplits,
		"points_dead_lettered": snap.DeadLettered,
		"auth_failing":         snap.AuthFailing,
		"spool_bytes":          snap.Spool.Bytes,
		"spool_records":        snap.Spool.Records,
		"points_dropped":       snap.Spool.DroppedRecords,
		"spool_corrupt":        snap.Spool.CorruptRegions,
		"last_error":           snap.LastError,
		"heap_bytes":           int64(heapBytes()),
	}
	if snap.LastSuccessAgo >= 0 {
		f["last_write_age_s"] = snap.LastSuccessAgo
	}
	pts := []metric.Point{metric.New("perwatt_agent", nil, f, now)}
	for _, name := range slices.Sorted(maps.Keys(snap.Collectors)) {
		c := snap.Collectors[name]
		pts = append(pts, metric.New("perwatt_agent_collector", map[string]string{"collector": name}, map[string]any{
			"points":          c.Points,
			"errors":          c.Errors,
			"timeouts":        c.Timeouts,
			"skipped":         c.Skipped,
			"last_duration_s": c.LastDuration,
			"last_error":      c.LastError,
			"absent":          c.Absent != "",
		}, now))
	}
	return pts
}

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}

func (a *Agent) appendSelfMetrics(now time.Time) {
	s := a.current()
	if s.SelfMetricsInterval <= 0 {
		return
	}
	snap := a.stats.Snapshot(now, a.q)
	_, _ = a.record(selfPoints(snap, now), now, s.Tags) // a refusal is counted and logged by record
}
