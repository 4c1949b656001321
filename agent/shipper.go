package agent

import (
	"context"
	"math/rand/v2"
	"time"
)

// maxRetryAfter bounds how long a server may tell us to go away for; a
// misconfigured proxy answering "Retry-After: 86400" must not stall a day.
const maxRetryAfter = 5 * time.Minute

// ship moves spooled records to the sink until hard ends. While live runs
// it waits for records; once live ends it drains what is spooled (after
// stopped closes, an empty spool means done) and returns. Run bounds the
// drain by cancelling hard.
func (a *Agent) ship(live, hard context.Context, stopped <-chan struct{}) {
	var buf []byte
	for {
		s := a.current()
		draining := live.Err() != nil
		rctx, cancel := live, context.CancelFunc(func() {})
		if draining {
			rctx, cancel = context.WithTimeout(hard, 100*time.Millisecond)
		}
		b, err := a.q.Read(rctx, s.BatchLines, s.BatchBytes)
		cancel()
		if err != nil || len(b.Records) == 0 {
			if hard.Err() != nil {
				return
			}
			if draining {
				select {
				case <-stopped:
					return // nothing left and nothing more coming
				default:
					continue
				}
			}
			if live.Err() != nil {
				continue // switch to draining
			}
			a.stats.setError(err.Error())
			a.log.Error("spool read failed; retrying", "err", err)
			sleep(hard, nil, time.Second)
			continue
		}
		buf, err = a.deliver(hard, live.Done(), b.Records, buf, 0)
		if err != nil {
			return // hard ended mid-delivery: the batch stays spooled
		}
		if err := a.q.Commit(b); err != nil {
			// The records were delivered; a failed commit means they are
			// sent again after a restart, which InfluxDB absorbs. The
			// queue still moves on, so the next commit tries again.
			a.stats.commitErrors.Add(1)
			a.stats.commitFail.Store(true)
			a.stats.setError(err.Error())
			a.commits.failed(time.Now(), len(b.Records), err)
		} else if a.stats.commitFail.Swap(false) {
			a.commits.ok(time.Now(), "spool commits are saved again")
		}
		if len(b.Records) < s.BatchLines && live.Err() == nil {
			// A short batch means the backlog is gone: let points
			// accumulate rather than send one request per collection.
			sleep(live, nil, s.FlushInterval)
		}
	}
}

// deliver sends recs until every one is accepted by the sink or written to
// the dead-letter file. It only gives up when ctx ends. A close of wake cuts
// the current backoff short once (shutdown wants one last prompt attempt).
func (a *Agent) deliver(ctx context.Context, wake <-chan struct{}, recs [][]byte, buf []byte, depth int) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		s := a.current()
		buf = buf[:0]
		for i, r := range recs {
			if i > 0 {
				buf = append(buf, '\n')
			}
			buf = append(buf, r...)
		}
		// A copy, not a view of buf: the InfluxDB client gzips in a
		// goroutine that can still be reading after a failed request
		// returned, while buf is being refilled for the retry.
		err := s.Sink.WriteBody(ctx, string(buf))
		if err == nil {
			a.stats.written.Add(int64(len(recs)))
			a.stats.requests.Add(1)
			a.stats.lastSuccess.Store(time.Now().UnixNano())
			a.stats.authFailing.Store(false)
			if attempt > 0 {
				a.log.Info("write succeeded after retries", "attempts", attempt+1, "points", len(recs))
			}
			return buf, nil
		}
		if ctx.Err() != nil {
			return buf, ctx.Err()
		}
		a.stats.setError(err.Error())
		switch {
		case isTooLarge(err) || isPermanent(err):
			if len(recs) == 1 {
				return buf, a.deadLetter(ctx, recs, err)
			}
			// Halving finds the offending lines (or a size the server
			// takes); lines that were accepted before are sent again,
			// which overwrites them identically.
			a.stats.splits.Add(1)
			if depth == 0 {
				a.log.Warn("batch refused; splitting to isolate the cause", "too_large", isTooLarge(err), "points", len(recs), "err", err)
			}
			half := len(recs) / 2
			var err2 error
			if buf, err2 = a.deliver(ctx, wake, recs[:half], buf, depth+1); err2 != nil {
				return buf, err2
			}
			return a.deliver(ctx, wake, recs[half:], buf, depth+1)
		case isMisconfigured(err) || isAuth(err):
			a.stats.authFailing.Store(isAuth(err))
			a.stats.retries.Add(1)
			a.log.Error("the sink refuses our writes; data is kept and retried, fix the configuration",
				"auth", isAuth(err), "err", err, "points_waiting", a.q.Stats().Records)
		default:
			a.stats.retries.Add(1)
			if attempt == 0 || attempt%10 == 0 {
				a.log.Warn("write failed; data is kept and retried", "err", err, "attempt", attempt+1)
			}
		}
		wait := backoff(attempt, s.MinBackoff, s.MaxBackoff)
		if d, ok := retryAfter(err); ok && d > wait {
			wait = min(d, maxRetryAfter)
		}
		if !sleep(ctx, wake, wait) {
			return buf, ctx.Err()
		}
		if wake != nil {
			select {
			case <-wake:
				wake = nil
			default:
			}
		}
	}
}

// backoff is exponential with full jitter: a fleet that lost its server at
// the same moment does not come back in lock-step.
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := lo << min(attempt, 30)
	if d <= 0 || d > hi {
		d = hi
	}
	return lo/2 + rand.N(d-lo/2+1)
}

// sleep waits d; it returns false if ctx ended and true early if wake closes.
func sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
		return true
	case <-t.C:
		return true
	}
}

func (a *Agent) deadLetter(ctx context.Context, recs [][]byte, cause error) error {
	reason := reason(cause)
	for {
		err := a.dl.Write(recs, cause, reason)
		if err == nil {
			break
		}
		// Without the dead-letter copy the spool must keep the batch, so
		// keep trying: a full disk is an operator problem, not a reason
		// to lose points.
		a.stats.setError(err.Error())
		a.log.Error("cannot write the dead-letter file; retrying", "err", err)
		if !sleep(ctx, nil, 5*time.Second) {
			return ctx.Err()
		}
	}
	a.stats.deadLettered.Add(int64(len(recs)))
	a.log.Error("InfluxDB rejected points for good; moved to the dead-letter file",
		"points", len(recs), "reason", reason, "file", a.dl.Path())
	return nil
}
