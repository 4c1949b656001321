package agent

import (
	"log/slog"
	"sync"
	"time"
)

// faultLog reports a fault that may repeat every round (a full spool disk,
// a checkpoint that cannot be saved) without flooding the log: the first
// occurrence at once, then one summary per period while it lasts, and one
// line when it ends.
type faultLog struct {
	log    *slog.Logger
	what   string        // "spool refused points"
	every  time.Duration // summary period
	mu     sync.Mutex
	active bool
	since  time.Time // start of the current run of failures
	last   time.Time // last line logged
	n      int64     // failures since the last line
	points int64     // points in those failures
	total  int64     // points in the whole run
}

// summaryEvery is how often a lasting fault is summarised.
const summaryEvery = 30 * time.Second

func newFaultLog(log *slog.Logger, what string) *faultLog {
	return &faultLog{log: log, what: what, every: summaryEvery}
}

// failed records one failure of points points.
func (f *faultLog) failed(now time.Time, points int, err error, attrs ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.points += int64(points)
	f.total += int64(points)
	if !f.active {
		f.active, f.since, f.last = true, now, now
		f.log.Error(f.what, append([]any{"err", err, "points", points}, attrs...)...)
		f.n, f.points = 0, 0
		return
	}
	if now.Sub(f.last) >= f.every {
		f.log.Error(f.what+" (still)", append([]any{"err", err, "failures", f.n, "points", f.points,
			"points_since_start", f.total, "for", now.Sub(f.since).Round(time.Second)}, attrs...)...)
		f.last, f.n, f.points = now, 0, 0
	}
}

// ok ends a run of failures, if one is going on.
func (f *faultLog) ok(now time.Time, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.active {
		return
	}
	f.log.Info(msg, "points_affected", f.total, "lasted", now.Sub(f.since).Round(time.Second))
	f.active, f.n, f.points, f.total = false, 0, 0, 0
}
