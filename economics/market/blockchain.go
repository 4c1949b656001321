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

// Blockchain reads blockchain.com's stats API (BaseURL
// https://api.blockchain.info): price, difficulty, height and the day's fees
// in one request, where the legacy /q/* endpoints took four and gave a
// 24-hour average price. The documented limit is one request per 10 s.
type Blockchain struct {
	BaseURL string
	Client  *http.Client
}

func (b Blockchain) Name() string { return "blockchain.info (" + b.BaseURL + ")" }

const srcBlockchain = "blockchain.info"

// parseBlockchainStats reads /stats. It gives no tip time, so its own
// timestamp dates both tip and price. total_fees_btc is in satoshis despite
// its name and has been seen negative: that is refused.
func parseBlockchainStats(body []byte) (Snapshot, error) {
	const path = "/stats"
	var st struct {
		Price       *float64 `json:"market_price_usd"`
		Difficulty  *float64 `json:"difficulty"`
		BlocksTotal *int64   `json:"n_blocks_total"`
		FeesSat     *float64 `json:"total_fees_btc"`
		BlocksMined *int64   `json:"n_blocks_mined"`
		TimestampMS *int64   `json:"timestamp"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return Snapshot{}, fmt.Errorf("%s %s: answer is not the expected JSON (%v): %s", srcBlockchain, path, err, snippet(body))
	}
	if st.TimestampMS == nil || *st.TimestampMS <= 0 {
		return Snapshot{}, fmt.Errorf("%s %s: timestamp %w", srcBlockchain, path, ErrNotProvided)
	}
	at := time.UnixMilli(*st.TimestampMS).UTC()
	s := Snapshot{Source: srcBlockchain}
	var errs []error
	if st.Difficulty == nil || *st.Difficulty <= 0 || st.BlocksTotal == nil || *st.BlocksTotal <= 0 {
		errs = append(errs, fmt.Errorf("%s %s: difficulty/n_blocks_total %w", srcBlockchain, path, ErrNotProvided))
	} else {
		s.Difficulty, s.Height, s.TipTime = *st.Difficulty, *st.BlocksTotal, at
		s.Origins.Difficulty, s.Origins.Height = FromBlockchain, FromBlockchain
	}
	switch {
	case st.FeesSat == nil || st.BlocksMined == nil || *st.BlocksMined <= 0:
		errs = append(errs, fmt.Errorf("%s %s: total_fees_btc/n_blocks_mined %w", srcBlockchain, path, ErrNotProvided))
	case !(*st.FeesSat >= 0) || math.IsInf(*st.FeesSat, 0):
		errs = append(errs, &FieldError{Source: srcBlockchain, Field: "total_fees_btc", Value: *st.FeesSat, Reason: "must not be negative"})
	default:
		s.FeesBTCPerBlock = *st.FeesSat / float64(*st.BlocksMined) / economics.SatPerBTC
		s.FeeBlocks, s.Origins.FeesBTCPerBlock = int(*st.BlocksMined), FromBlockchain
	}
	if st.Price == nil || *st.Price <= 0 || math.IsInf(*st.Price, 0) {
		errs = append(errs, fmt.Errorf("%s %s: market_price_usd %w", srcBlockchain, path, ErrNotProvided))
	} else {
		s.BTCPriceUSD, s.PriceTime, s.Origins.BTCPriceUSD = *st.Price, at, FromBlockchain
	}
	return s, errors.Join(errs...)
}

// Fetch reads /stats: one request for everything.
func (b Blockchain) Fetch(ctx context.Context) (Snapshot, error) {
	body, err := newGetter(srcBlockchain, b.BaseURL, b.Client).get(ctx, "/stats")
	if err != nil {
		return Snapshot{Source: srcBlockchain}, err
	}
	return parseBlockchainStats(body)
}
