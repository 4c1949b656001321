// Package market fetches the network and price state that mining revenue
// depends on (difficulty, tip height, fees, BTC price), validates each source
// for what it is, combines sources field by field, caches the last good
// snapshot on disk, backs off from hosts that ask it to, and ships a dated
// offline snapshot for use without a network. The economics model itself
// never does I/O; it takes an economics.Market built from a Snapshot.
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

// Snapshot is one reading of the market, with where and when it was taken.
// JSON field names are also the cache file's format.
type Snapshot struct {
	Source string `json:"source"`
	// AsOf is the older of TipTime and PriceTime: the age of the whole.
	AsOf time.Time `json:"as_of"`
	// Height is the chain tip; the block being mined is Height+1.
	Height          int64   `json:"height"`
	Difficulty      float64 `json:"difficulty"`
	BTCPriceUSD     float64 `json:"btc_price_usd"`
	FeesBTCPerBlock float64 `json:"fees_btc_per_block"`
	// FeeBlocks is how many blocks the fee average is taken over.
	FeeBlocks int `json:"fee_blocks,omitempty"`
	// TipTime is the tip block's own time (a stuck node or index shows here);
	// PriceTime is when the price was set.
	TipTime   time.Time `json:"tip_time,omitzero"`
	PriceTime time.Time `json:"price_time,omitzero"`
	// Origins names the source of each field.
	Origins economics.MarketOrigins `json:"origins,omitzero"`
	// FetchedAt is when the snapshot was assembled; the cache is fresh by it.
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	// Where the source says, the next retarget and its expected change in
	// percent: what difficulty (and so hashprice) will do within two weeks.
	NextRetargetHeight       int64    `json:"next_retarget_height,omitempty"`
	ExpectedDifficultyChange *float64 `json:"expected_difficulty_change_pct,omitempty"`
}

// Market converts s for the economics model. The subsidy is that of the
// block being mined, Height+1: at a halving the tip still pays the old one.
func (s Snapshot) Market() economics.Market {
	return economics.Market{Difficulty: s.Difficulty, BTCPriceUSD: s.BTCPriceUSD, Height: s.Height,
		SubsidyBTC: economics.SubsidyBTC(s.Height + 1), FeesBTCPerBlock: s.FeesBTCPerBlock,
		Source: s.Source, AsOf: s.AsOf, Origins: s.Origins}
}

// Age is how old s is at now, by its older part (tip or price).
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

// ErrStale marks data older than the allowed age.
var ErrStale = errors.New("market data is stale")

// ErrNotProvided marks a field a source answered with a sentinel (price -1,
// time 0, difficulty 0) or left out: not wrong, just not there.
var ErrNotProvided = errors.New("not provided")

// Validate reports every unusable field of s, naming s.Source and the field.
// maxAge <= 0 disables the age checks (the offline snapshot is old by design).
func (s Snapshot) Validate(now time.Time, maxAge time.Duration) error {
	return errors.Join(s.validateChain(now, maxAge), s.validateFees(), s.validatePrice(now, maxAge))
}

// validateChain checks difficulty, height and the tip's age, which one source
// gives together.
func (s Snapshot) validateChain(now time.Time, maxAge time.Duration) error {
	var errs []error
	src := nonEmpty(s.Origins.Difficulty, s.Source)
	if !(s.Difficulty > 0) || math.IsInf(s.Difficulty, 0) {
		errs = append(errs, &FieldError{Source: src, Field: "difficulty", Value: s.Difficulty, Reason: "must be positive"})
	}
	if s.Height <= 0 {
		errs = append(errs, &FieldError{Source: src, Field: "height", Value: s.Height, Reason: "must be positive"})
	}
	errs = append(errs, ageError(src, "tip_time", s.TipTime, s.AsOf, now, maxAge))
	return errors.Join(errs...)
}

func (s Snapshot) validateFees() error {
	src := nonEmpty(s.Origins.FeesBTCPerBlock, s.Source)
	switch {
	case !(s.FeesBTCPerBlock >= 0) || math.IsInf(s.FeesBTCPerBlock, 0):
		return &FieldError{Source: src, Field: "fees_btc_per_block", Value: s.FeesBTCPerBlock, Reason: "must not be negative"}
	case s.FeesBTCPerBlock > 50:
		return &FieldError{Source: src, Field: "fees_btc_per_block", Value: s.FeesBTCPerBlock, Reason: "is implausibly large (over 50 BTC a block on average)"}
	}
	return nil
}

func (s Snapshot) validatePrice(now time.Time, maxAge time.Duration) error {
	src := nonEmpty(s.Origins.BTCPriceUSD, s.Source)
	var errs []error
	if !(s.BTCPriceUSD > 0) || math.IsInf(s.BTCPriceUSD, 0) {
		errs = append(errs, &FieldError{Source: src, Field: "btc_price_usd", Value: s.BTCPriceUSD, Reason: "must be positive"})
	}
	errs = append(errs, ageError(src, "price_time", s.PriceTime, s.AsOf, now, maxAge))
	return errors.Join(errs...)
}

// ageError checks one timestamp; a snapshot written before tip and price
// times were kept (an old cache file) falls back to AsOf.
func ageError(src, field string, t, asOf, now time.Time, maxAge time.Duration) error {
	if t.IsZero() {
		t, field = asOf, "as_of"
	}
	if t.IsZero() {
		return &FieldError{Source: src, Field: field, Value: "none", Reason: "is missing"}
	}
	if maxAge > 0 && now.Sub(t) > maxAge {
		return fmt.Errorf("%s: %w: %s %s is %s old, more than the allowed %s",
			src, ErrStale, field, t.UTC().Format(time.RFC3339), economics.FormatAge(now.Sub(t)), maxAge)
	}
	return nil
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
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
	o := FromOffline
	s.Origins = economics.MarketOrigins{Difficulty: o, Height: o, BTCPriceUSD: o, FeesBTCPerBlock: o}
	return s
}
