package appraisal

import (
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// Measurement is the InfluxDB measurement of appraisals, one point per
// device per round (README.md, "The appraisal schema").
const Measurement = "appraisal"

// Point is the appraisal as the agent writes it: tags name the device, where
// its watts and the market came from; fields carry their units in their
// names; a figure that needs power is absent, never zero, without it.
func (a Appraisal) Point(marketSource string, marketAge time.Duration, now time.Time) metric.Point {
	ps := string(a.PowerSource)
	if ps == "" {
		ps = "none"
	}
	tags := map[string]string{"device_kind": string(a.Kind), "device": a.ID, "power_source": ps,
		"market_source": marketSource}
	if a.Model != "" {
		tags["model"] = a.Model
	}
	f := map[string]any{
		"power_price_usd_per_kwh":  a.PowerPriceUSDPerKWh,
		"hashprice_usd_per_th_day": a.HashpriceUSDPerTHDay,
		"market_age_s":             marketAge.Seconds(),
		"below_breakeven":          a.BelowBreakeven,
	}
	if !a.At.IsZero() {
		f["reading_age_s"] = max(now.Sub(a.At).Seconds(), 0)
	}
	opt := func(k string, v *float64) {
		if v != nil {
			f[k] = *v
		}
	}
	if a.HashrateHS > 0 {
		f["hashrate_hs"] = a.HashrateHS
	}
	opt("power_w", a.PowerW)
	opt("board_power_w", a.BoardPowerW)
	opt("j_per_th", a.JPerTH)
	opt("flop_per_j", a.FLOPPerJ)
	for _, u := range []*Use{a.Mining, a.Leasing} {
		if u == nil {
			continue
		}
		p := u.Name + "_"
		f[p+"revenue_usd_per_day"] = u.RevenueUSDPerDay
		opt(p+"power_w", u.PowerW)
		opt(p+"revenue_usd_per_w_year", u.RevenueUSDPerWYear)
		opt(p+"net_usd_per_day", u.NetUSDPerDay)
		opt(p+"net_usd_per_w_year", u.NetUSDPerWYear)
		opt(p+"breakeven_usd_per_kwh", u.BreakevenPowerPriceUSDPerKWh)
		opt(p+"margin_usd_per_mwh", u.MarginUSDPerMWh)
		if u.LeaseRateUSDPerGPUHour > 0 {
			f["lease_rate_usd_per_gpu_hour"] = u.LeaseRateUSDPerGPUHour
		}
	}
	if a.Best != "" {
		f["best_use"] = a.Best
	}
	opt("best_by_net_usd_per_w_year", a.BestByNetUSDPerWYear)
	if a.PowerNote != "" {
		f["power_note"] = a.PowerNote
	}
	return metric.New(Measurement, tags, f, now)
}
