package economics

import (
	"errors"
	"fmt"
	"time"
)

// Result is one profile evaluated against a market and a power price. Its JSON
// tags are the output contract of `perwatt econ --json`; floats are unrounded.
type Result struct {
	Name               string   `json:"name"`
	Kind               Kind     `json:"kind"`
	BTCPerDay          *float64 `json:"btc_per_day,omitempty"` // mining only
	RevenueUSDPerDay   float64  `json:"revenue_usd_per_day"`
	FacilityPowerW     float64  `json:"facility_power_w"`
	RevenueUSDPerKWDay float64  `json:"revenue_usd_per_kw_day"`
	// RevenueUSDPerMWh is revenue per MWh of facility energy: the power price
	// at which power cost eats all revenue.
	RevenueUSDPerMWh float64 `json:"revenue_usd_per_mwh"`
	// BreakevenPowerPriceUSDPerKWh is null for a triple-net lease, whose
	// operator does not buy the power.
	BreakevenPowerPriceUSDPerKWh *float64 `json:"breakeven_power_price_usd_per_kwh"`
	RevenueUSDPerWYear           float64  `json:"revenue_usd_per_w_year"`
	NetUSDPerDay                 float64  `json:"net_usd_per_day"`
	NetUSDPerWYear               float64  `json:"net_usd_per_w_year"`
	JPerTH                       *float64 `json:"j_per_th,omitempty"` // mining only

	EnergyKWhPerDay    float64 `json:"energy_kwh_per_day"`
	PowerCostUSDPerDay float64 `json:"power_cost_usd_per_day"`
	HashrateHS         float64 `json:"hashrate_hs,omitempty"`
	DevicePowerW       float64 `json:"device_power_w"`
	// ServerOverheadW is all-in per-GPU power minus board power, when known.
	ServerOverheadW *float64 `json:"server_overhead_w,omitempty"`
	// Lease terms, colocation only.
	LeaseUSDPerMWITYear    *float64 `json:"lease_usd_per_mw_it_year,omitempty"`
	LeaseAvgUSDPerMWITYear *float64 `json:"lease_avg_usd_per_mw_it_year,omitempty"`
	LeaseTermYears         *float64 `json:"lease_term_years,omitempty"`
	LeaseEscalatorPerYear  *float64 `json:"lease_escalator_per_year,omitempty"`
	PowerPassthrough       *bool    `json:"power_passthrough,omitempty"` // colocation only; false is shown
	// MarginShare is the NOI or EBITDA margin the signed terms state; when
	// set, net is revenue × margin.
	MarginShare *float64 `json:"margin_share,omitempty"`
	Ratios      []Ratio  `json:"ratios"`
	Source      string   `json:"source,omitempty"`
}

// Ratio compares a profile with another per MW of facility power:
// "10 MW of this earns as much as 10 × Revenue MW of that".
type Ratio struct {
	Versus  string  `json:"versus"`
	Revenue float64 `json:"revenue_per_mw"`
	// Net is nil when the other profile's net is not positive, where a ratio
	// says nothing.
	Net *float64 `json:"net_per_mw"`
}

// MarketSummary is the market block of the report, with hashprice derived.
type MarketSummary struct {
	Market
	HashpriceUSDPerPHDay float64 `json:"hashprice_usd_per_ph_day"`
	HashpriceUSDPerTHDay float64 `json:"hashprice_usd_per_th_day"`
	HashvalueBTCPerPHDay float64 `json:"hashvalue_btc_per_ph_day"`
	AgeSeconds           float64 `json:"age_s"`
}

// Report is the whole answer of `perwatt econ`.
type Report struct {
	Market              MarketSummary `json:"market"`
	PowerPriceUSDPerKWh float64       `json:"power_price_usd_per_kwh"`
	Profiles            []Result      `json:"profiles"`
	EvaluatedAt         time.Time     `json:"evaluated_at"`
}

// Evaluate computes every profile against m at the given power price and
// fills in each profile's ratios against all the others. now only dates the
// report and gives the market data's age.
func Evaluate(m Market, powerPriceUSDPerKWh float64, profiles []Profile, now time.Time) (Report, error) {
	errs := []error{m.usable()}
	if !(powerPriceUSDPerKWh >= 0) || !finite(powerPriceUSDPerKWh) {
		errs = append(errs, fmt.Errorf("power price must not be negative, got %v USD/kWh", powerPriceUSDPerKWh))
	}
	seen := map[string]bool{}
	for _, p := range profiles {
		errs = append(errs, p.Validate())
		if seen[p.ProfileName()] {
			errs = append(errs, fmt.Errorf("profile name %q is used twice", p.ProfileName()))
		}
		seen[p.ProfileName()] = true
	}
	if err := errors.Join(errs...); err != nil {
		return Report{}, err
	}
	r := Report{
		Market: MarketSummary{Market: m, HashpriceUSDPerPHDay: m.HashpriceUSDPerPHDay(),
			HashpriceUSDPerTHDay: m.HashpriceUSDPerTHDay(), HashvalueBTCPerPHDay: m.HashvalueBTCPerPHDay(),
			AgeSeconds: now.Sub(m.AsOf).Seconds()},
		PowerPriceUSDPerKWh: powerPriceUSDPerKWh,
		EvaluatedAt:         now,
	}
	for _, p := range profiles {
		r.Profiles = append(r.Profiles, p.evaluate(m, powerPriceUSDPerKWh))
	}
	for i := range r.Profiles {
		if err := r.Profiles[i].checkFinite(m); err != nil {
			return Report{}, err
		}
		r.Profiles[i].Ratios = ratios(r.Profiles[i], r.Profiles)
	}
	return r, nil
}

// checkFinite refuses a result that overflowed, naming the market inputs
// that produce it: a revenue of +Inf is an input error, not an answer.
func (r Result) checkFinite(m Market) error {
	for what, v := range map[string]float64{"revenue per day": r.RevenueUSDPerDay, "net per day": r.NetUSDPerDay,
		"revenue per W-year": r.RevenueUSDPerWYear, "net per W-year": r.NetUSDPerWYear} {
		if finite(v) {
			continue
		}
		if r.Kind == KindMining {
			return fmt.Errorf("profile %q: %s is %v: difficulty %g, fees %g BTC/block and BTC price %g overflow the arithmetic; check those inputs",
				r.Name, what, v, m.Difficulty, m.FeesBTCPerBlock, m.BTCPriceUSD)
		}
		return fmt.Errorf("profile %q: %s is %v: check its rate, power and load figures", r.Name, what, v)
	}
	return nil
}

// comparable says whether two kinds belong in one ratio table: a GPU cloud
// contract is paid for with GPUs a colocation lease never buys, so the two
// are not set side by side.
func comparable(a, b Kind) bool {
	return !(a == KindGPUCloud && b == KindColocation || a == KindColocation && b == KindGPUCloud)
}

func ratios(self Result, all []Result) []Ratio {
	out := []Ratio{}
	for _, o := range all {
		if o.Name == self.Name || !(o.RevenueUSDPerWYear > 0) || !comparable(self.Kind, o.Kind) {
			continue // no ratio to a profile that earns nothing (a market with no reward)
		}
		rt := Ratio{Versus: o.Name, Revenue: self.RevenueUSDPerWYear / o.RevenueUSDPerWYear}
		// A net ratio means something only when both earn: a losing miner is
		// not "−2 MW" of anything.
		if o.NetUSDPerWYear > 0 && self.NetUSDPerWYear > 0 {
			n := self.NetUSDPerWYear / o.NetUSDPerWYear
			rt.Net = &n
		}
		out = append(out, rt)
	}
	return out
}

// finish fills the per-watt and per-energy figures every kind shares, from
// revenue/day, facility power, energy/day (the facility's, whoever pays) and
// whether the operator pays for that energy.
func finish(r Result, energyKWhPerDay float64, operatorPays bool, powerPrice float64) Result {
	r.EnergyKWhPerDay = energyKWhPerDay
	r.RevenueUSDPerKWDay = r.RevenueUSDPerDay / (r.FacilityPowerW / 1000)
	r.RevenueUSDPerWYear = r.RevenueUSDPerDay * DaysPerYear / r.FacilityPowerW
	if energyKWhPerDay > 0 {
		r.RevenueUSDPerMWh = r.RevenueUSDPerDay / (energyKWhPerDay / 1000)
	}
	if operatorPays {
		be := r.RevenueUSDPerMWh / 1000
		r.BreakevenPowerPriceUSDPerKWh = &be
		r.PowerCostUSDPerDay = energyKWhPerDay * powerPrice
	}
	r.NetUSDPerDay = r.RevenueUSDPerDay - r.PowerCostUSDPerDay
	r.NetUSDPerWYear = r.NetUSDPerDay * DaysPerYear / r.FacilityPowerW
	return r
}

func (p Mining) evaluate(m Market, powerPrice float64) Result {
	btc := p.BTCPerDay(m)
	jth := p.JPerTH()
	r := Result{Name: p.Name, Kind: KindMining, BTCPerDay: &btc, RevenueUSDPerDay: btc * m.BTCPriceUSD,
		FacilityPowerW: p.PowerW * p.PUE, JPerTH: &jth, HashrateHS: p.HashrateHS, DevicePowerW: p.PowerW,
		Source: p.Source}
	// A miner that is down draws (almost) nothing: energy scales with uptime.
	return finish(r, r.FacilityPowerW/1000*24*p.Uptime, true, powerPrice)
}

func (p Leasing) evaluate(_ Market, powerPrice float64) Result {
	r := Result{Name: p.Name, Kind: KindLeasing, RevenueUSDPerDay: p.RateUSDPerGPUHour * 24 * p.Utilization,
		FacilityPowerW: p.PowerW * p.PUE, DevicePowerW: p.PowerW, Source: p.Source}
	if p.BoardPowerW > 0 {
		o := p.PowerW - p.BoardPowerW
		r.ServerOverheadW = &o
	}
	// An unbilled GPU server stays powered and cooled for the next tenant, so
	// energy is counted for all 24 hours whatever the utilization.
	return finish(r, r.FacilityPowerW/1000*24, true, powerPrice)
}

func (p Colocation) evaluate(_ Market, powerPrice float64) Result {
	itKW := p.ITLoadW / 1000
	rate, avg := p.USDPerMWYear(), p.AverageUSDPerMWYear()
	r := Result{Name: p.Name, Kind: p.kind(), RevenueUSDPerDay: p.RateUSDPerKWMonth * 12 * itKW / DaysPerYear,
		FacilityPowerW: p.ITLoadW * p.PUE, DevicePowerW: p.ITLoadW, LeaseUSDPerMWITYear: &rate,
		LeaseAvgUSDPerMWITYear: &avg, LeaseTermYears: &p.TermYears, LeaseEscalatorPerYear: &p.EscalatorPerYear,
		PowerPassthrough: &p.PowerPassthrough, Source: p.Source}
	load := p.LoadFactor
	if p.PowerPassthrough && load == 0 {
		load = 1
	}
	r = finish(r, r.FacilityPowerW/1000*24*load, !p.PowerPassthrough, powerPrice)
	if m := p.Capital.Margin; m > 0 {
		// The signed terms state the margin, power and operating costs inside it.
		r.NetUSDPerDay = r.RevenueUSDPerDay * m
		r.NetUSDPerWYear = r.NetUSDPerDay * DaysPerYear / r.FacilityPowerW
		r.MarginShare = &m
	}
	return r
}
