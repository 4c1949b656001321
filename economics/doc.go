// Package economics turns hashrate, GPU capacity and power into money: hashprice,
// mining and AI-leasing revenue per watt, colocation leases, site mixes,
// curtailment and multi-year projections. Everything here is a pure function of
// its arguments; market data is fetched elsewhere (economics/market) and passed in.
//
// # The 2^32 convention
//
// Expected hashes per block are taken as difficulty × 2^32. The exact figure is
// difficulty × 2^256 / (0xFFFF × 2^208) = difficulty × 2^48 / 65535, which is
// larger by 65536/65535 − 1 ≈ 1.5e-5. Pools, mempool.space and every hashprice
// index use 2^32, so perwatt does too: numbers then agree with what pools pay,
// and the difference (about 0.0015 %) is far below the noise of fees and luck.
// TwoPow48Over65535 is exported so tests and curious readers can check the gap.
//
// # Units
//
// Hashrate in H/s, power in W, prices in USD, BTC in BTC (not satoshis), power
// prices in USD/kWh on the surface and USD/MWh where the industry quotes them.
// A year is 365 days. "Facility power" is device power × PUE: the watts the site
// pays for, which is what a per-watt comparison must be made on.
package economics

import "math"

const (
	// HashesPerDifficulty is the 2^32 convention described in the package doc.
	HashesPerDifficulty = 4294967296.0
	// TwoPow48Over65535 is the exact hashes-per-difficulty-1 figure.
	TwoPow48Over65535 = 281474976710656.0 / 65535.0

	SecondsPerDay = 86400.0
	DaysPerYear   = 365.0
	HoursPerYear  = 24 * DaysPerYear
	BlocksPerDay  = 144.0

	// HalvingInterval is the number of blocks between subsidy halvings.
	HalvingInterval = 210000
	// InitialSubsidySat is the genesis-era subsidy, 50 BTC, in satoshis.
	InitialSubsidySat = 50 * SatPerBTC
	SatPerBTC         = 100_000_000
)

// SubsidyBTC returns the block subsidy at height, as consensus computes it:
// 50 BTC in satoshis shifted right once per 210,000 blocks (so it reaches zero
// after 64 halvings and never goes fractional below one satoshi).
func SubsidyBTC(height int64) float64 {
	if height < 0 {
		return 0
	}
	halvings := height / HalvingInterval
	if halvings >= 64 {
		return 0
	}
	return float64(int64(InitialSubsidySat)>>halvings) / SatPerBTC
}

// NextHalvingHeight is the first block height after height with a lower subsidy.
func NextHalvingHeight(height int64) int64 {
	if height < 0 {
		return 0
	}
	return (height/HalvingInterval + 1) * HalvingInterval
}

// finite reports whether v is a usable number.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
