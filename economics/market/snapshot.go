// Package market fetches the network and price state that mining revenue
// depends on (difficulty, tip height, fees, BTC price), validates it, falls back
// from one source to the next, caches the last good snapshot on disk, and ships
// a dated offline snapshot for use without a network. The economics model
// itself never does I/O; it takes an economics.Market built from a Snapshot.
package market

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// Snapshot is one consistent reading of the market, with where and when it was
// taken. JSON field names are also the cache file's format.
type Snapshot struct {
	Source          string    `json:"source"`
	AsOf            time.Time `json:"as_of"`
	Height          int64     `json:"height"`
	Difficulty      float64   `json:"difficulty"`
	BTCPriceUSD     float64   `json:"btc_price_usd"`
	FeesBTCPerBlock float64   `json:"fees_btc_per_block"`
	// Where the source says, the next retarget and its expected change in
	// percent: what difficulty (and so hashprice) will do within two weeks.
	NextRetargetHeight       int64    `json:"next_retarget_height,omitempty"`
	ExpectedDifficultyChange *float64 `json:"expected_difficulty_change_pct,omitempty"`
}

// Market converts s for the economics model; the subsidy follows from the height.
func (s Snapshot) Market() economics.Market {
	return economics.Market{Difficulty: s.Difficulty, BTCPriceUSD: s.BTCPriceUSD, Height: s.Height,
		SubsidyBTC: economics.SubsidyBTC(s.Height), FeesBTCPerBlock: s.FeesBTCPerBlock,
		Source: s.Source, AsOf: s.AsOf}
}

// Age is how old s is at now.
func (s Snapshot) Age(now time.Time) time.Duration { return now.Sub(s.AsOf) }

// FieldError says which source sent which unusable field.
type FieldError struct {
	Source string
	Field  string
	Value  any
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: field %s = %v: %s", e.Source, e.Field, e.Value, e.Reason)
}

// ErrStale marks a snapshot older than the allowed age.
var ErrStale = errors.New("market data is stale")

// Validate reports every unusable field of s, naming s.Source and the field.
// maxAge <= 0 disables the age check (the offline snapshot is old by design).
func (s Snapshot) Validate(now time.Time, maxAge time.Duration) error {
	var errs []error
	bad := func(field string, v any, why string) {
		errs = append(errs, &FieldError{Source: s.Source, Field: field, Value: v, Reason: why})
	}
	if !(s.Difficulty > 0) || math.IsInf(s.Difficulty, 0) {
		bad("difficulty", s.Difficulty, "must be positive")
	}
	if !(s.BTCPriceUSD > 0) || math.IsInf(s.BTCPriceUSD, 0) {
		bad("btc_price_usd", s.BTCPriceUSD, "must be positive")
	}
	if !(s.FeesBTCPerBlock >= 0) || math.IsInf(s.FeesBTCPerBlock, 0) {
		bad("fees_btc_per_block", s.FeesBTCPerBlock, "must not be negative")
	} else if s.FeesBTCPerBlock > 50 {
		bad("fees_btc_per_block", s.FeesBTCPerBlock, "is implausibly large (over 50 BTC a block on average)")
	}
	if s.Height <= 0 {
		bad("height", s.Height, "must be positive")
	}
	if s.AsOf.IsZero() {
		bad("as_of", s.AsOf, "is missing")
	} else if maxAge > 0 && s.Age(now) > maxAge {
		errs = append(errs, fmt.Errorf("%s: %w: as_of %s is %s old, more than the allowed %s",
			s.Source, ErrStale, s.AsOf.UTC().Format(time.RFC3339), economics.FormatAge(s.Age(now)), maxAge))
	}
	return errors.Join(errs...)
}

//go:embed offline.json
var offlineJSON []byte

// Offline returns the embedded, dated snapshot. Its Source says it is offline
// and from when, so output built on it can never pass for live data.
func Offline() Snapshot {
	var s Snapshot
	if err := json.Unmarshal(offlineJSON, &s); err != nil {
		// The file is part of the binary and covered by tests: a failure here
		// is a build defect, not an operator's problem.
		panic(fmt.Sprintf("market: embedded offline snapshot is corrupt: %v", err))
	}
	return s
}
