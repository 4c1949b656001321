package economics

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// RetargetInterval is the number of blocks between difficulty adjustments.
const RetargetInterval = 2016

// Assumptions drive a multi-year projection. Nothing is defaulted inside:
// the caller states every value and the output prints them back.
type Assumptions struct {
	Years int `json:"years"`
	// DifficultyGrowthPerRetarget multiplies difficulty at every 2016-block
	// retarget (0.02 = +2 % every ~two weeks, ≈ +67 % a year).
	DifficultyGrowthPerRetarget float64 `json:"difficulty_growth_per_retarget"`
	// BTCPriceGrowthPerYear compounds the BTC price continuously (0 = flat).
	BTCPriceGrowthPerYear float64 `json:"btc_price_growth_per_year"`
	// FeesBTCPerBlock is held constant.
	FeesBTCPerBlock float64 `json:"fees_btc_per_block"`
	BlocksPerDay    float64 `json:"blocks_per_day"`
	StartHeight     int64   `json:"start_height"`
	PowerPrice      float64 `json:"power_price_usd_per_kwh"`
	// MineAtLoss keeps the fleet on when a day's revenue is below its power
	// cost; by default such days are switched off, as an operator would.
	MineAtLoss bool `json:"mine_at_loss"`
	// DiscountRate discounts yearly cash flows for NPV (0.10 = 10 % a year).
	DiscountRate float64 `json:"discount_rate"`
	// Start is the valuation date: capex is spent then, and commencement
	// dates are counted from it.
	Start time.Time `json:"start"`
	// FromStart values a signed deal from Start too, instead of from its
	// signing date: a projection compares uses from today.
	FromStart bool `json:"from_start,omitempty"`
}

// Validate reports every unusable assumption.
func (a Assumptions) Validate() error {
	var errs []error
	if a.Years < 1 || a.Years > 50 {
		errs = append(errs, fmt.Errorf("years must be 1 to 50, got %d", a.Years))
	}
	if !(a.DifficultyGrowthPerRetarget > -0.75) || a.DifficultyGrowthPerRetarget > 3 {
		errs = append(errs, fmt.Errorf("difficulty growth per retarget must be between -75%% and +300%%, got %v", a.DifficultyGrowthPerRetarget))
	}
	if !(a.BTCPriceGrowthPerYear > -1) || a.BTCPriceGrowthPerYear > 10 {
		errs = append(errs, fmt.Errorf("BTC price growth per year must be above -100%%, got %v", a.BTCPriceGrowthPerYear))
	}
	if !(a.FeesBTCPerBlock >= 0) {
		errs = append(errs, fmt.Errorf("fees per block must not be negative, got %v", a.FeesBTCPerBlock))
	}
	if !(a.BlocksPerDay > 0) {
		errs = append(errs, fmt.Errorf("blocks per day must be positive, got %v", a.BlocksPerDay))
	}
	if a.StartHeight < 0 {
		errs = append(errs, fmt.Errorf("start height must not be negative, got %d", a.StartHeight))
	}
	if !(a.DiscountRate > -1) || a.DiscountRate > 1 {
		errs = append(errs, fmt.Errorf("discount rate must be between -100%% and +100%% a year, got %v", a.DiscountRate))
	}
	if !(a.PowerPrice >= 0) || !finite(a.PowerPrice) {
		errs = append(errs, fmt.Errorf("power price must not be negative, got %v", a.PowerPrice))
	}
	return errors.Join(errs...)
}

// YearRow is one projected year per MW of facility power.
type YearRow struct {
	Year                    int     `json:"year"`
	EndHeight               int64   `json:"end_height"`
	AvgDifficulty           float64 `json:"avg_difficulty"`
	AvgSubsidyBTC           float64 `json:"avg_subsidy_btc"`
	AvgBTCPriceUSD          float64 `json:"avg_btc_price_usd"`
	AvgHashpriceUSDPerPHDay float64 `json:"avg_hashprice_usd_per_ph_day"`
	MiningRevenueUSD        float64 `json:"mining_revenue_usd_per_mw"`
	MiningPowerCostUSD      float64 `json:"mining_power_cost_usd_per_mw"`
	MiningProfitUSD         float64 `json:"mining_profit_usd_per_mw"`
	MiningDaysOff           int     `json:"mining_days_off"`
	LeaseRevenueUSD         float64 `json:"lease_revenue_usd_per_mw"`
	LeasePowerCostUSD       float64 `json:"lease_power_cost_usd_per_mw"`
	// LeaseOtherCostUSD is opex, or revenue × (1 − margin) where the terms
	// state a margin.
	LeaseOtherCostUSD float64 `json:"lease_other_cost_usd_per_mw"`
	LeaseProfitUSD    float64 `json:"lease_profit_usd_per_mw"`
}

// Projection compares a miner and a lease year by year, per MW of facility power.
type Projection struct {
	Miner       string      `json:"miner"`
	Lease       string      `json:"lease"`
	Start       Market      `json:"start_market"`
	Assumptions Assumptions `json:"assumptions"`
	Years       []YearRow   `json:"years"`
	// Cumulative profit over all years.
	MiningProfitUSD float64 `json:"mining_profit_usd_per_mw"`
	LeaseProfitUSD  float64 `json:"lease_profit_usd_per_mw"`
	// The same two uses on capital over the same years: cash flows, NPV,
	// IRR, payback.
	MinerCapital Investment `json:"miner_capital"`
	LeaseCapital Investment `json:"lease_capital"`
	Warnings     []string   `json:"warnings"`
}

// Project steps day by day from m: the height advances BlocksPerDay a day,
// difficulty is multiplied by (1+g) at every retarget height crossed, the
// subsidy follows the height (so the halving at 1,050,000 lands where the
// block rate puts it), and the price compounds at BTCPriceGrowthPerYear. The
// lease pays from its commencement, ramping, at its lease-year rate
// (escalator) while its term lasts; its power cost is the operator's only
// when power is included, and a stated margin replaces power and opex. Both
// uses are also appraised on capital over the same years.
func Project(miner Mining, lease Colocation, m Market, a Assumptions) (Projection, error) {
	if err := errors.Join(miner.Validate(), lease.Validate(), m.usable(), a.Validate()); err != nil {
		return Projection{}, err
	}
	pr := Projection{Miner: miner.Name, Lease: lease.Name, Start: m, Assumptions: a}
	minerScale := 1e6 / (miner.PowerW * miner.PUE) // devices per facility MW
	minerKWhDay := 1000 * 24 * miner.Uptime        // per facility MW
	height := float64(a.StartHeight)
	diff := m.Difficulty
	nextRetarget := (a.StartHeight/RetargetInterval + 1) * RetargetInterval
	for y := 1; y <= a.Years; y++ {
		row := YearRow{Year: y}
		for d := 0; d < int(DaysPerYear); d++ {
			day := float64((y-1)*int(DaysPerYear) + d)
			mk := Market{Difficulty: diff, BTCPriceUSD: m.BTCPriceUSD * math.Pow(1+a.BTCPriceGrowthPerYear, day/DaysPerYear),
				SubsidyBTC: SubsidyBTC(int64(height)), FeesBTCPerBlock: a.FeesBTCPerBlock}
			// Blocks arrive at BlocksPerDay, not 144: revenue scales with the share of blocks.
			rev := miner.BTCPerDay(mk) * mk.BTCPriceUSD * minerScale * a.BlocksPerDay / BlocksPerDay
			if cost := minerKWhDay * a.PowerPrice; rev >= cost || a.MineAtLoss {
				row.MiningRevenueUSD += rev
				row.MiningPowerCostUSD += cost
			} else {
				row.MiningDaysOff++
			}
			row.AvgDifficulty += diff / DaysPerYear
			row.AvgSubsidyBTC += mk.SubsidyBTC / DaysPerYear
			row.AvgBTCPriceUSD += mk.BTCPriceUSD / DaysPerYear
			row.AvgHashpriceUSDPerPHDay += mk.HashpriceUSDPerPHDay() * a.BlocksPerDay / BlocksPerDay / DaysPerYear
			// Each day is valued at the height it starts at; then the chain moves on.
			height += a.BlocksPerDay
			for int64(height) >= nextRetarget {
				diff *= 1 + a.DifficultyGrowthPerRetarget
				nextRetarget += RetargetInterval
			}
		}
		row.EndHeight = int64(height)
		row.MiningProfitUSD = row.MiningRevenueUSD - row.MiningPowerCostUSD
		pr.Years = append(pr.Years, row)
	}
	ca := a
	ca.FromStart = true
	var errs []error
	var err error
	if pr.MinerCapital, err = Appraise(miner, m, ca); err != nil {
		errs = append(errs, err)
	}
	if pr.LeaseCapital, err = Appraise(lease, m, ca); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Projection{}, err
	}
	for i := range pr.Years {
		row, l := &pr.Years[i], pr.LeaseCapital.Years[i+1]
		row.LeaseRevenueUSD = l.RevenueUSDPerMW
		row.LeasePowerCostUSD = l.PowerCostUSDPerMW
		row.LeaseOtherCostUSD = l.OpexUSDPerMW
		row.LeaseProfitUSD = l.OperatingCashUSDPerMW
		pr.MiningProfitUSD += row.MiningProfitUSD
		pr.LeaseProfitUSD += row.LeaseProfitUSD
	}
	pr.Warnings = a.Warnings(m)
	return pr, nil
}
