package economics

import (
	"strconv"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// The InfluxDB measurements of the site, curtailment and projection models
// (README.md, "InfluxDB schema"), written here so every caller writes the
// same names.

// Points is the curtailment as one economics_curtailment point.
func (c Curtailment) Points(at time.Time, pricesSource string) []metric.Point {
	return MarkSynthetic([]metric.Point{metric.New("economics_curtailment", map[string]string{"profile": c.Profile}, map[string]any{
		"facility_mw": c.FacilityMW, "hours": c.Hours, "uptime": c.Uptime,
		"revenue_usd": c.Curtailed.RevenueUSD, "power_cost_usd": c.Curtailed.PowerCostUSD, "dr_credit_usd": c.Curtailed.DRCreditUSD,
		"profit_usd": c.Curtailed.ProfitUSD, "always_on_profit_usd": c.AlwaysOn.ProfitUSD, "value_usd": c.ValueUSD,
		"breakeven_usd_per_mwh": c.BreakevenUSDPerMWh,
	}, at)}, pricesSource)
}

// Points is the site as one economics_site point and one economics_site_use
// point per use, with the sweep's peak.
func (r SiteResult) Points(peak SiteTotals, powerPriceUSDPerKWh float64, at time.Time, pricesSource string) []metric.Point {
	tot := r.Total
	pts := []metric.Point{metric.New("economics_site", nil, map[string]any{
		"facility_mw": r.FacilityMW, "ai_share": tot.AIShare, "revenue_usd_per_year": tot.RevenueUSDPerYear,
		"power_cost_usd_per_year": tot.PowerCostUSDPerYear, "profit_usd_per_year": tot.ProfitUSDPerYear,
		"peak_ai_share": peak.AIShare, "peak_profit_usd_per_year": peak.ProfitUSDPerYear,
		"power_price_usd_per_kwh": powerPriceUSDPerKWh,
	}, at)}
	for _, l := range r.Lines {
		pts = append(pts, metric.New("economics_site_use", map[string]string{"use": string(l.Use), "profile": l.Name}, map[string]any{
			"facility_mw": l.FacilityMW, "revenue_usd_per_year": l.RevenueUSDPerYear,
			"power_cost_usd_per_year": l.PowerCostUSDPerYear, "profit_usd_per_year": l.ProfitUSDPerYear,
		}, at))
	}
	return MarkSynthetic(pts, pricesSource)
}

// Points is the projection as one economics_projection point per year,
// per MW of facility power and in total for mw, then both uses' capital.
func (p Projection) Points(mw float64, at time.Time) []metric.Point {
	var pts []metric.Point
	for _, y := range p.Years {
		f := map[string]any{"avg_hashprice_usd_per_ph_day": y.AvgHashpriceUSDPerPHDay, "facility_mw_total": mw}
		for name, perMW := range map[string]float64{"mining_profit_usd": y.MiningProfitUSD, "lease_profit_usd": y.LeaseProfitUSD,
			"mining_revenue_usd": y.MiningRevenueUSD, "lease_revenue_usd": y.LeaseRevenueUSD,
			"mining_power_cost_usd": y.MiningPowerCostUSD, "lease_power_cost_usd": y.LeasePowerCostUSD} {
			f[name+"_per_mw"] = perMW
			f[name+"_total"] = perMW * mw
		}
		pts = append(pts, metric.New("economics_projection", map[string]string{"miner": p.Miner, "lease": p.Lease, "year": strconv.Itoa(y.Year)}, f, at))
	}
	capital := CapitalReport{Assumptions: p.Assumptions, Investments: []Investment{p.MinerCapital, p.LeaseCapital}}
	return append(pts, capital.Points(at)...)
}

// MarkSynthetic tags points computed from the embedded synthetic price
// sample with synthetic=true, so they can never pass for market results in
// InfluxDB (the table and JSON already name the sample).
func MarkSynthetic(pts []metric.Point, pricesSource string) []metric.Point {
	if pricesSource != SyntheticPricesName {
		return pts
	}
	for i := range pts {
		pts[i] = pts[i].WithTags(map[string]string{"synthetic": "true"})
	}
	return pts
}
