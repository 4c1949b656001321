package powerprice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Chain tries its sources in order and returns the first quote that is
// fresh and not a gap; the last source should be Fixed, which never fails.
type Chain struct {
	Sources []Source
	// MaxAge rejects a quote that took effect longer ago than this (a
	// feed that stopped updating); 0: no limit.
	MaxAge time.Duration
	// MaxGap rejects a series row longer than this: a row that lasts past
	// its neighbours stands for missing data, and its price is not carried
	// across the hole. 0: no limit.
	MaxGap time.Duration
	Logger *slog.Logger // nil: discard
}

// Resolution is the quote in use and why earlier sources were passed over.
type Resolution struct {
	Quote
	Skipped []error
}

// Fallback reports whether a source before the one used failed.
func (r Resolution) Fallback() bool { return len(r.Skipped) > 0 }

// ErrStale and ErrGap are checked with errors.Is.
var (
	ErrStale = errors.New("stale")
	ErrGap   = errors.New("gap in the series")
)

// Resolve returns the first acceptable quote. The error lists every
// source's problem when none answered.
func (c Chain) Resolve(ctx context.Context, now time.Time) (Resolution, error) {
	var r Resolution
	for _, s := range c.Sources {
		q, err := s.Price(ctx, now)
		if err == nil {
			err = c.check(q, now)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", s.Name(), err)
			r.Skipped = append(r.Skipped, err)
			if c.Logger != nil {
				c.Logger.Debug("power price source skipped", "source", s.Name(), "err", err)
			}
			continue
		}
		q.Source = s.Name()
		r.Quote = q
		return r, nil
	}
	return r, fmt.Errorf("no power price: %w", errors.Join(r.Skipped...))
}

// Price is Resolve without the skipped sources, so a Chain is a Source.
func (c Chain) Price(ctx context.Context, now time.Time) (Quote, error) {
	r, err := c.Resolve(ctx, now)
	return r.Quote, err
}

func (Chain) Name() string { return "chain" }

func (c Chain) check(q Quote, now time.Time) error {
	if c.MaxAge > 0 && now.Sub(q.At) > c.MaxAge {
		return fmt.Errorf("%w: the price took effect at %s, %s ago (max_age %s)", ErrStale,
			q.At.Format(time.RFC3339), now.Sub(q.At).Round(time.Second), c.MaxAge)
	}
	if c.MaxGap > 0 && !q.Until.IsZero() && q.Until.Sub(q.At) > c.MaxGap {
		return fmt.Errorf("%w: the row from %s lasts %s, longer than max_gap %s: rows are missing", ErrGap,
			q.At.Format(time.RFC3339), q.Until.Sub(q.At), c.MaxGap)
	}
	if q.At.After(now.Add(time.Minute)) {
		return fmt.Errorf("the price takes effect at %s, in the future: check the source's clock or time zone", q.At.Format(time.RFC3339))
	}
	return nil
}
