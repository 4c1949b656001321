package market

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// fetch asks the sources in order until difficulty with height (one group:
// they describe the same tip), fees and price are each filled by the first
// source that gave them valid. Once only the price is missing, a source that
// can give it alone is asked for nothing else. A host in cooldown is not
// asked; a host that answers 429 or 5xx is put in cooldown for its
// Retry-After, or Options.Cooldown. ok is false unless all three groups are
// filled.
func (r *Resolver) fetch(ctx context.Context, now time.Time, cooldown map[string]time.Time) (Snapshot, bool, []error) {
	var out Snapshot
	var skipped []error
	var names []string
	haveChain, haveFees, havePrice := false, false, false
	for _, src := range r.sources {
		if haveChain && haveFees && havePrice {
			break
		}
		if until, ok := cooldown[src.host]; ok && now.Before(until) {
			skipped = append(skipped, fmt.Errorf("%s: not asked: %w until %s", src.Name(), ErrCoolingDown, until.UTC().Format(time.RFC3339)))
			continue
		}
		var got Snapshot
		var err error
		if haveChain && haveFees && src.price != nil {
			var usd float64
			var at time.Time
			if usd, at, err = src.price.PriceUSD(ctx); err == nil {
				got = Snapshot{BTCPriceUSD: usd, PriceTime: at}
				got.Origins.BTCPriceUSD = tokenOf(src.Source)
			}
		} else {
			got, err = src.Fetch(ctx)
		}
		if err != nil {
			r.log.Debug("market source failed", "source", src.Name(), "err", err)
			skipped = append(skipped, fmt.Errorf("%s: %w", src.Name(), err))
			if se := (*StatusError)(nil); errors.As(err, &se) && se.BackOff() {
				wait := se.RetryAfter()
				if wait <= 0 {
					wait = r.opts.Cooldown
				}
				cooldown[src.host] = now.Add(wait)
			}
		}
		used := false
		take := func(provided bool, have *bool, verr error, copyIn func()) {
			switch {
			case !provided || *have:
			case verr != nil:
				skipped = append(skipped, fmt.Errorf("%s: %w", src.Name(), verr))
			default:
				copyIn()
				*have, used = true, true
			}
		}
		take(got.Origins.Difficulty != "", &haveChain, got.validateChain(now, r.opts.MaxAge), func() {
			out.Difficulty, out.Height, out.TipTime = got.Difficulty, got.Height, got.TipTime
			out.Origins.Difficulty, out.Origins.Height = got.Origins.Difficulty, got.Origins.Height
			out.NextRetargetHeight, out.ExpectedDifficultyChange = got.NextRetargetHeight, got.ExpectedDifficultyChange
		})
		take(got.Origins.FeesBTCPerBlock != "", &haveFees, got.validateFees(), func() {
			out.FeesBTCPerBlock, out.FeeBlocks, out.Origins.FeesBTCPerBlock = got.FeesBTCPerBlock, got.FeeBlocks, got.Origins.FeesBTCPerBlock
		})
		take(got.Origins.BTCPriceUSD != "", &havePrice, got.validatePrice(now, r.opts.MaxAge), func() {
			out.BTCPriceUSD, out.PriceTime, out.Origins.BTCPriceUSD = got.BTCPriceUSD, got.PriceTime, got.Origins.BTCPriceUSD
		})
		if used {
			names = append(names, sourceLabel(src.Source))
		}
	}
	if !(haveChain && haveFees && havePrice) {
		return Snapshot{}, false, skipped
	}
	out.Source = strings.Join(slices.Compact(names), " + ")
	out.AsOf = out.TipTime
	if out.PriceTime.Before(out.AsOf) {
		out.AsOf = out.PriceTime
	}
	return out, true, skipped
}

// ErrCoolingDown marks a host skipped because it asked to be left alone.
var ErrCoolingDown = errors.New("the host asked to be left alone")

func tokenOf(s Source) string {
	switch s.(type) {
	case Bitcoind:
		return FromBitcoind
	case Mempool:
		return FromMempool
	case Blockchain:
		return FromBlockchain
	}
	return s.Name()
}

func sourceLabel(s Source) string {
	switch s.(type) {
	case Bitcoind:
		return srcBitcoind
	case Mempool:
		return srcMempool
	case Blockchain:
		return srcBlockchain
	}
	return s.Name()
}

// Spread is a fixed offset in [0, interval) for hostKey (a host name): a
// fleet whose hosts each fetch at their own offset spreads its requests
// over the interval instead of sending them all at the top of the hour,
// and each host keeps its slot across restarts.
func Spread(hostKey string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(hostKey))
	return time.Duration(h.Sum64() % uint64(interval))
}

// SlotFreshFor is the FreshFor of a host that fetches once an hour at its
// own slot of the hour (Spread over an hour): a snapshot fetched since the
// host's last slot is fresh, one from before it is not, and never less than
// DefaultFreshFor. A fleet restarted at once then does not fetch at once:
// each host's cache stays fresh until its own slot comes round.
func SlotFreshFor(hostKey string, now time.Time) time.Duration {
	slot := now.Truncate(time.Hour).Add(Spread(hostKey, time.Hour))
	if slot.After(now) {
		slot = slot.Add(-time.Hour)
	}
	return max(now.Sub(slot), DefaultFreshFor)
}
