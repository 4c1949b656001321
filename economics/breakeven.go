package economics

import (
	"fmt"
)

// BreakevenHashprice is the market hashprice (USD/PH/day, subsidy + fees, the
// figure hashprice indices publish) at which a miner earns as much per watt of
// facility power as another profile.
type BreakevenHashprice struct {
	Miner  string `json:"miner"`
	Versus string `json:"versus"`
	// RevenueUSDPerPHDay equalises revenue per facility watt.
	RevenueUSDPerPHDay float64 `json:"revenue_usd_per_ph_day"`
	// NetUSDPerPHDay equalises net (after power) per facility watt at the
	// report's power price.
	NetUSDPerPHDay float64 `json:"net_usd_per_ph_day"`
	// BTCPriceUSD is the BTC price that gives RevenueUSDPerPHDay at the
	// market's current difficulty and fees.
	BTCPriceUSD float64 `json:"btc_price_usd"`
	// Current is the market hashprice now, for comparison.
	CurrentUSDPerPHDay float64 `json:"current_usd_per_ph_day"`
}

// BreakevenHashpriceVersus solves, for miner p, the hashprice at which its
// revenue (and its net) per facility watt equals target's.
//
// Miner revenue/day = HP × PH × share × (1 − fee) × uptime, where share is the
// fraction of the reward the pool pays (1 for FPPS, subsidy/(subsidy+fees) for
// PPS). Setting it equal to target's revenue per W-day × the miner's facility W
// gives HP; for net, the miner's power cost/day is added to the target first.
func BreakevenHashpriceVersus(p Mining, target Result, m Market, powerPriceUSDPerKWh float64) (BreakevenHashprice, error) {
	if err := p.Validate(); err != nil {
		return BreakevenHashprice{}, err
	}
	if err := m.usable(); err != nil {
		return BreakevenHashprice{}, err
	}
	if target.FacilityPowerW <= 0 {
		return BreakevenHashprice{}, fmt.Errorf("profile %q has no facility power to compare with", target.Name)
	}
	if !(m.HashvalueBTCPerPHDay() > 0) {
		return BreakevenHashprice{}, fmt.Errorf("the market pays no block reward (subsidy and fees are 0): no hashprice to break even at")
	}
	share := 1.0
	if p.pool() == PPS {
		share = m.RewardBTCPerBlock(PPS) / m.RewardBTCPerBlock(FPPS)
	}
	k := p.HashrateHS / 1e15 * share * (1 - p.PoolFee) * p.Uptime // USD/day per USD/PH/day
	facW := p.PowerW * p.PUE
	cost := facW / 1000 * 24 * p.Uptime * powerPriceUSDPerKWh
	rev := target.RevenueUSDPerDay / target.FacilityPowerW * facW
	net := target.NetUSDPerDay / target.FacilityPowerW * facW
	hp := rev / k
	return BreakevenHashprice{
		Miner: p.Name, Versus: target.Name,
		RevenueUSDPerPHDay: hp,
		NetUSDPerPHDay:     (net + cost) / k,
		BTCPriceUSD:        hp / m.HashvalueBTCPerPHDay(),
		CurrentUSDPerPHDay: m.HashpriceUSDPerPHDay(),
	}, nil
}
