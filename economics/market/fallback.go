package market

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// Origin says which rung of the fallback chain a snapshot came from.
type Origin string

const (
	OriginLive    Origin = "live"
	OriginCache   Origin = "cache"
	OriginOffline Origin = "offline"
)

// Resolved is the snapshot in use, where it came from and why the better
// rungs were skipped, so the operator is told rather than guessing.
type Resolved struct {
	Snapshot Snapshot
	Origin   Origin
	// Skipped holds one error per source (or cache) that was tried and failed.
	Skipped []error
}

// Note is a one-line account of where the numbers came from, for output.
func (r Resolved) Note(now time.Time) string {
	msg := fmt.Sprintf("market data: %s, %s, as of %s (%s old)", r.Origin, r.Snapshot.Source,
		r.Snapshot.AsOf.UTC().Format(time.RFC3339), economics.FormatAge(r.Snapshot.Age(now)))
	if len(r.Skipped) > 0 {
		msg += fmt.Sprintf("; %d source(s) failed", len(r.Skipped))
	}
	return msg
}

// Chain tries each source in order, validates what it returns against MaxAge,
// saves the first good snapshot to the cache, and falls back to the cached
// snapshot (whatever its age, stated in the output) and finally the embedded
// offline snapshot. Nothing is logged and returned both: failures are returned
// in Resolved.Skipped and logged at debug level only.
type Chain struct {
	Sources []Source
	Cache   *Cache // nil: no cache
	MaxAge  time.Duration
	Logger  *slog.Logger
	Now     func() time.Time
}

// Resolve never fails: the offline snapshot is the last rung.
func (c Chain) Resolve(ctx context.Context) Resolved {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var skipped []error
	for _, src := range c.Sources {
		s, err := src.Fetch(ctx)
		if err == nil {
			err = s.Validate(now(), c.MaxAge)
		}
		if err != nil {
			log.Debug("market source failed", "source", src.Name(), "err", err)
			skipped = append(skipped, fmt.Errorf("%s: %w", src.Name(), err))
			continue
		}
		if c.Cache != nil && c.Cache.Path != "" {
			if err := c.Cache.Save(s); err != nil {
				skipped = append(skipped, err) // the numbers are still good
			}
		}
		return Resolved{Snapshot: s, Origin: OriginLive, Skipped: skipped}
	}
	if c.Cache != nil && c.Cache.Path != "" {
		s, err := c.Cache.Load()
		if err == nil {
			err = s.Validate(now(), 0) // age is stated, not refused: it beats the offline snapshot
		}
		if err == nil {
			s.Source = "cache of " + s.Source
			return Resolved{Snapshot: s, Origin: OriginCache, Skipped: skipped}
		}
		if !errors.Is(err, os.ErrNotExist) { // no cache yet is normal
			skipped = append(skipped, err)
		}
	}
	return Resolved{Snapshot: Offline(), Origin: OriginOffline, Skipped: skipped}
}
