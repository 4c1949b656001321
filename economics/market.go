package economics

import (
	"errors"
	"fmt"
	"time"
)

// Market is the network and price state that mining revenue depends on.
// Source and AsOf travel with the numbers so every result can say where they
// came from and how old they are.
type Market struct {
	Difficulty      float64   `json:"difficulty"`
	BTCPriceUSD     float64   `json:"btc_price_usd"`
	Height          int64     `json:"height,omitempty"`
	SubsidyBTC      float64   `json:"subsidy_btc"`
	FeesBTCPerBlock float64   `json:"fees_btc_per_block"`
	Source          string    `json:"source"`
	AsOf            time.Time `json:"as_of"`
	// Origins names where each field came from when sources were combined.
	Origins MarketOrigins `json:"sources,omitzero"`
}

// MarketOrigins names the source of each market field in a short token
// ("bitcoind", "mempool", "blockchain", "override", "offline"), so output can
// say e.g. difficulty from the operator's node and price from mempool.space.
type MarketOrigins struct {
	Difficulty      string `json:"difficulty,omitempty"`
	Height          string `json:"height,omitempty"`
	SubsidyBTC      string `json:"subsidy_btc,omitempty"`
	BTCPriceUSD     string `json:"btc_price_usd,omitempty"`
	FeesBTCPerBlock string `json:"fees_btc_per_block,omitempty"`
}

// Tags are the origins as line-protocol tags (src_difficulty=bitcoind, …),
// leaving out those not known.
func (o MarketOrigins) Tags() map[string]string {
	t := map[string]string{}
	for k, v := range map[string]string{"src_difficulty": o.Difficulty, "src_height": o.Height, "src_subsidy": o.SubsidyBTC,
		"src_price": o.BTCPriceUSD, "src_fees": o.FeesBTCPerBlock} {
		if v != "" {
			t[k] = v
		}
	}
	return t
}

// Validate reports every reason m cannot be used.
func (m Market) Validate() error {
	var errs []error
	if !(m.Difficulty > 0) || !finite(m.Difficulty) {
		errs = append(errs, fmt.Errorf("market difficulty must be positive, got %v", m.Difficulty))
	}
	if !(m.BTCPriceUSD > 0) || !finite(m.BTCPriceUSD) {
		errs = append(errs, fmt.Errorf("market btc price must be positive, got %v", m.BTCPriceUSD))
	}
	if !(m.SubsidyBTC >= 0) || m.SubsidyBTC > 50 {
		errs = append(errs, fmt.Errorf("market subsidy must be between 0 and 50 BTC, got %v", m.SubsidyBTC))
	}
	if !(m.FeesBTCPerBlock >= 0) || !finite(m.FeesBTCPerBlock) {
		errs = append(errs, fmt.Errorf("market fees per block must not be negative, got %v", m.FeesBTCPerBlock))
	}
	return errors.Join(errs...)
}

// usable is Validate plus the check that the values, each legal, do not
// overflow together: fees of 1e308 BTC or a difficulty of 1e-300 give a
// hashprice of +Inf, which is an input error, not an answer.
func (m Market) usable() error {
	if err := m.Validate(); err != nil {
		return err
	}
	if hp := m.HashpriceUSDPerPHDay(); !finite(hp) {
		return fmt.Errorf("difficulty %g, fees %g BTC/block and BTC price %g give a hashprice of %v USD/PH/day: the arithmetic overflows; check those inputs",
			m.Difficulty, m.FeesBTCPerBlock, m.BTCPriceUSD, hp)
	}
	return nil
}

// RewardBTCPerBlock is what a pool paying subsidy and fees (FPPS) values a block at.
func (m Market) RewardBTCPerBlock(pool PoolModel) float64 {
	if pool == PPS {
		return m.SubsidyBTC
	}
	return m.SubsidyBTC + m.FeesBTCPerBlock
}

// BTCPerHashDay is the expected BTC one H/s earns in a day before pool fee and
// downtime: 86400 / (difficulty × 2^32) blocks' worth of reward.
func (m Market) BTCPerHashDay(pool PoolModel) float64 {
	return SecondsPerDay * m.RewardBTCPerBlock(pool) / (m.Difficulty * HashesPerDifficulty)
}

// HashvalueBTCPerPHDay is the hash value in BTC/PH/day (subsidy + fees).
func (m Market) HashvalueBTCPerPHDay() float64 { return m.BTCPerHashDay(FPPS) * 1e15 }

// HashpriceUSDPerPHDay is the hashprice in USD/PH/day (subsidy + fees, no pool fee).
func (m Market) HashpriceUSDPerPHDay() float64 { return m.HashvalueBTCPerPHDay() * m.BTCPriceUSD }

// HashpriceUSDPerTHDay is the hashprice in USD/TH/day.
func (m Market) HashpriceUSDPerTHDay() float64 { return m.HashpriceUSDPerPHDay() / 1000 }

// PoolModel says which part of the block reward a pool pays out per share.
type PoolModel string

const (
	// FPPS pays subsidy and the average transaction fees; most large pools.
	FPPS PoolModel = "fpps"
	// PPS pays the subsidy only; fees stay with the pool.
	PPS PoolModel = "pps"
)

// ParsePoolModel accepts "fpps" or "pps" (any case).
func ParsePoolModel(s string) (PoolModel, error) {
	switch PoolModel(lower(s)) {
	case FPPS:
		return FPPS, nil
	case PPS:
		return PPS, nil
	}
	return "", fmt.Errorf("unknown pool model %q (want fpps or pps)", s)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
