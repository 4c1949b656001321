package market

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// Mempool reads a mempool.space instance: the public one or a self-hosted one
// (BaseURL without the /api suffix). A full fetch is four requests; a price
// alone is one.
type Mempool struct {
	BaseURL string
	Client  *http.Client
}

func (m Mempool) Name() string { return "mempool.space (" + m.BaseURL + ")" }

const srcMempool = "mempool.space"

// parseMempoolDifficulty reads currentDifficulty from
// /api/v1/mining/hashrate/3d. An instance whose own node is down answers 0.
func parseMempoolDifficulty(body []byte) (float64, error) {
	const path = "/api/v1/mining/hashrate/3d"
	var hr struct {
		CurrentDifficulty *float64 `json:"currentDifficulty"`
	}
	if err := json.Unmarshal(body, &hr); err != nil {
		return 0, fmt.Errorf("%s %s: answer is not the expected JSON (%v): %s", srcMempool, path, err, snippet(body))
	}
	switch d := hr.CurrentDifficulty; {
	case d == nil:
		return 0, fmt.Errorf("%s %s: currentDifficulty %w (missing)", srcMempool, path, ErrNotProvided)
	case *d == 0:
		return 0, fmt.Errorf("%s %s: currentDifficulty %w (0: the instance's own node is not answering)", srcMempool, path, ErrNotProvided)
	case !(*d > 0) || math.IsInf(*d, 0):
		return 0, &FieldError{Source: srcMempool, Field: "currentDifficulty", Value: *d, Reason: "must be positive"}
	default:
		return *d, nil
	}
}

// blockFees is what /api/v1/mining/blocks/fees/24h gives: the fee average
// over the blocks the instance has indexed in the last day, and its tip.
type blockFees struct {
	feesBTC float64
	blocks  int
	tip     int64
	tipTime time.Time
}

// parseBlockFees reads /api/v1/mining/blocks/fees/24h: one row per indexed
// block (avgHeight, timestamp, avgFees in satoshis). The average is taken
// over the rows actually returned, so gaps in the index cost accuracy, not a
// bias towards zero.
func parseBlockFees(body []byte) (blockFees, error) {
	const path = "/api/v1/mining/blocks/fees/24h"
	var rows []struct {
		AvgHeight *int64   `json:"avgHeight"`
		Timestamp *int64   `json:"timestamp"`
		AvgFees   *float64 `json:"avgFees"`
	}
	if err := json.Unmarshal(body, &rows); err != nil {
		return blockFees{}, fmt.Errorf("%s %s: answer is not the expected JSON (%v): %s", srcMempool, path, err, snippet(body))
	}
	if len(rows) == 0 {
		return blockFees{}, fmt.Errorf("%s %s: fees %w (no blocks indexed in the last 24 h)", srcMempool, path, ErrNotProvided)
	}
	var out blockFees
	var sum float64
	var errs []error
	for i, r := range rows {
		if r.AvgHeight == nil || r.Timestamp == nil || r.AvgFees == nil {
			errs = append(errs, &FieldError{Source: srcMempool, Field: fmt.Sprintf("row %d of %s", i, path), Value: "incomplete", Reason: "needs avgHeight, timestamp and avgFees"})
			continue
		}
		if !(*r.AvgFees >= 0) || *r.AvgFees > 50*economics.SatPerBTC {
			errs = append(errs, &FieldError{Source: srcMempool, Field: fmt.Sprintf("avgFees of block %d", *r.AvgHeight), Value: *r.AvgFees, Reason: "must be from 0 to 50 BTC in satoshis"})
			continue
		}
		sum += *r.AvgFees
		out.blocks++
		if *r.AvgHeight > out.tip {
			out.tip, out.tipTime = *r.AvgHeight, time.Unix(*r.Timestamp, 0).UTC()
		}
	}
	if err := errors.Join(errs...); err != nil {
		return blockFees{}, err
	}
	out.feesBTC = sum / float64(out.blocks) / economics.SatPerBTC
	return out, nil
}

// parseMempoolPrices reads /api/v1/prices. An instance without a price
// provider answers {"time":0,"USD":-1}: that is "not provided", not a price.
func parseMempoolPrices(body []byte) (float64, time.Time, error) {
	const path = "/api/v1/prices"
	var pr struct {
		Time *int64   `json:"time"`
		USD  *float64 `json:"USD"`
	}
	if err := json.Unmarshal(body, &pr); err != nil {
		return 0, time.Time{}, fmt.Errorf("%s %s: answer is not the expected JSON (%v): %s", srcMempool, path, err, snippet(body))
	}
	switch {
	case pr.USD == nil || pr.Time == nil:
		return 0, time.Time{}, fmt.Errorf("%s %s: USD price %w (USD or time missing)", srcMempool, path, ErrNotProvided)
	case *pr.USD <= 0 || *pr.Time <= 0:
		return 0, time.Time{}, fmt.Errorf("%s %s: USD price %w (USD %v, time %d: the instance has no price provider)", srcMempool, path, ErrNotProvided, *pr.USD, *pr.Time)
	case math.IsNaN(*pr.USD) || math.IsInf(*pr.USD, 0):
		return 0, time.Time{}, &FieldError{Source: srcMempool, Field: "USD", Value: *pr.USD, Reason: "is not a number"}
	}
	return *pr.USD, time.Unix(*pr.Time, 0).UTC(), nil
}

// PriceUSD reads /api/v1/prices alone: one request, for when the chain
// already came from the operator's node.
func (m Mempool) PriceUSD(ctx context.Context) (float64, time.Time, error) {
	body, err := newGetter(srcMempool, m.BaseURL, m.Client).get(ctx, "/api/v1/prices")
	if err != nil {
		return 0, time.Time{}, err
	}
	return parseMempoolPrices(body)
}

// Fetch reads difficulty (/api/v1/mining/hashrate/3d), fees, tip height and
// tip time (/api/v1/mining/blocks/fees/24h), the spot price (/api/v1/prices)
// and, as a courtesy, the expected retarget (/api/v1/difficulty-adjustment).
// It returns every part it could read, with an error naming each it could
// not; a host that does not answer, or asks to be left alone, is asked once.
func (m Mempool) Fetch(ctx context.Context) (Snapshot, error) {
	g := newGetter(srcMempool, m.BaseURL, m.Client)
	s := Snapshot{Source: srcMempool}
	var errs []error
	body, err := g.get(ctx, "/api/v1/mining/hashrate/3d")
	if stop(err) {
		return s, err
	}
	diff, derr := 0.0, err
	if err == nil {
		diff, derr = parseMempoolDifficulty(body)
	}
	var fees blockFees
	body, ferr := g.get(ctx, "/api/v1/mining/blocks/fees/24h")
	if ferr == nil {
		fees, ferr = parseBlockFees(body)
	}
	if derr == nil && ferr == nil {
		// One group: the difficulty and the tip it belongs to.
		s.Difficulty, s.Height, s.TipTime = diff, fees.tip, fees.tipTime
		s.Origins.Difficulty, s.Origins.Height = FromMempool, FromMempool
	}
	if ferr == nil {
		s.FeesBTCPerBlock, s.FeeBlocks, s.Origins.FeesBTCPerBlock = fees.feesBTC, fees.blocks, FromMempool
	}
	errs = append(errs, derr, ferr)
	if stop(ferr) {
		return s, errors.Join(errs...)
	}
	usd, at, err := m.PriceUSD(ctx)
	if err == nil {
		s.BTCPriceUSD, s.PriceTime, s.Origins.BTCPriceUSD = usd, at, FromMempool
	}
	errs = append(errs, err)
	if stop(err) {
		return s, errors.Join(errs...)
	}
	var da struct {
		DifficultyChange   *float64 `json:"difficultyChange"` // percent
		NextRetargetHeight int64    `json:"nextRetargetHeight"`
	}
	if err := g.getJSON(ctx, "/api/v1/difficulty-adjustment", &da); err == nil && da.DifficultyChange != nil {
		s.NextRetargetHeight, s.ExpectedDifficultyChange = da.NextRetargetHeight, da.DifficultyChange
	}
	return s, errors.Join(errs...)
}
