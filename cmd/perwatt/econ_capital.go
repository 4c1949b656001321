package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/market"
)

// outlookFlags are the assumptions of a capital appraisal, shared by
// `econ --capital`, `econ project` and `econ claim`. Each defaults to its
// [economics] key.
type outlookFlags struct {
	fs         *pflag.FlagSet
	discount   float64
	diffGrowth float64
	btcGrowth  float64
	years      int
	mineAtLoss bool
}

func (o *outlookFlags) register(fs *pflag.FlagSet) {
	o.fs = fs
	fs.Float64Var(&o.discount, "discount-rate", 0, "NPV discount rate per year, 0.10 = 10 % (default: economics.discount_rate)")
	fs.Float64Var(&o.diffGrowth, "difficulty-growth", 0, "difficulty growth per 2016-block retarget, 0.01 = +1 %, about +30 %/yr (default: economics.difficulty_growth_per_retarget)")
	fs.Float64Var(&o.btcGrowth, "btc-growth", 0, "BTC price growth per year, 0 = flat (default: economics.btc_price_growth_per_year)")
	fs.IntVar(&o.years, "years", 0, "years to appraise (default: each profile's life, or its lease term from commencement)")
	fs.BoolVar(&o.mineAtLoss, "mine-at-loss", false, "keep mining on days whose revenue is below their power cost (default: those days are off)")
}

// assumptions merges flags over the configuration for market m at price.
func (o *outlookFlags) assumptions(a *app, m economics.Market, price float64, now time.Time) (economics.Assumptions, error) {
	cfg := a.cfg.Economics
	pick := func(name string, flag, conf float64) float64 {
		if o.fs != nil && o.fs.Changed(name) {
			return flag
		}
		return conf
	}
	as := economics.Assumptions{Years: o.years,
		DiscountRate:                pick("discount-rate", o.discount, cfg.DiscountRate),
		DifficultyGrowthPerRetarget: pick("difficulty-growth", o.diffGrowth, cfg.DifficultyGrowthPerRetarget),
		BTCPriceGrowthPerYear:       pick("btc-growth", o.btcGrowth, cfg.BTCPriceGrowthPerYear),
		FeesBTCPerBlock:             m.FeesBTCPerBlock, BlocksPerDay: economics.BlocksPerDay, StartHeight: m.Height,
		PowerPrice: price, MineAtLoss: o.mineAtLoss, Start: now}
	if o.years < 0 || o.years > 50 {
		return as, usagef("--years %d: want 0 (each profile's own) to 50", o.years)
	}
	check := as
	check.Years = max(1, as.Years) // 0 means each profile's own horizon
	if err := check.Validate(); err != nil {
		return as, usageError{err}
	}
	return as, nil
}

// withConfiguredCapital applies the [economics] financing and hosting
// defaults to profiles whose own terms state none.
func withConfiguredCapital(a *app, ps []economics.Profile) []economics.Profile {
	cfg := a.cfg.Economics
	fill := func(c *economics.Capital, miner bool) {
		if c.DebtShare == 0 && cfg.DebtShare > 0 {
			c.DebtShare, c.DebtRate, c.DebtTermYears = cfg.DebtShare, cfg.DebtRate, cfg.DebtTermYears
		}
		if miner && c.HostingUSDPerKWh == 0 {
			c.HostingUSDPerKWh = cfg.HostingUSDPerKWh
		}
	}
	out := make([]economics.Profile, len(ps))
	for i, p := range ps {
		switch p := p.(type) {
		case economics.Mining:
			fill(&p.Capital, true)
			out[i] = p
		case economics.Leasing:
			fill(&p.Capital, false)
			out[i] = p
		case economics.Colocation:
			fill(&p.Capital, false)
			out[i] = p
		default:
			out[i] = p
		}
	}
	return out
}

// warnInputs logs what is legal but probably a mistake: specs, a market far
// from the embedded snapshot, a power price in the wrong unit.
func warnInputs(a *app, f *econFlags, m economics.Market, price float64) {
	for kind, specs := range map[string][]string{"miner": f.miners, "gpu": f.gpus, "colo": f.colos} {
		for _, s := range specs {
			for _, w := range economics.SpecWarnings(kind, s) {
				a.logger.Warn("--"+kind+" "+s+": "+w, "flag", kind)
			}
		}
	}
	for _, w := range economics.MarketWarnings(m, market.Offline().Market(), price) {
		a.logger.Warn(w)
	}
}

// appraise runs the capital appraisal of profiles for `econ --capital`.
func (f *econFlags) appraise(a *app, profiles []economics.Profile, m economics.Market, price float64, now time.Time) (*economics.CapitalReport, error) {
	as, err := f.outlook.assumptions(a, m, price, now)
	if err != nil {
		return nil, err
	}
	cr, err := economics.AppraiseAll(withConfiguredCapital(a, profiles), m, as)
	if err != nil {
		return nil, usageError{err}
	}
	return &cr, nil
}
