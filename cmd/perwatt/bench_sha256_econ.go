package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
	"github.com/perwatt/perwatt/sha256bench"
)

// benchSHA256View is the command's output: the measurement (its JSON fields
// at the top level, the contract) plus what that hashrate would earn.
type benchSHA256View struct {
	*sha256bench.Result
	Economics *sha256Econ `json:"economics,omitempty"`
}

// sha256Econ is this CPU appraised, next to a reference ASIC.
type sha256Econ struct {
	MarketNote           string              `json:"market_note"`
	HashpriceUSDPerTHDay float64             `json:"hashprice_usd_per_th_day"`
	PowerPriceUSDPerKWh  float64             `json:"power_price_usd_per_kwh"`
	CPU                  appraisal.Appraisal `json:"cpu"`
	Reference            economics.Result    `json:"reference"`
	// ReferencePerWattX is how many times more revenue per watt the ASIC earns.
	ReferencePerWattX *float64 `json:"reference_revenue_per_w_x,omitempty"`
}

func sha256Economics(a *app, mode string, res *sha256bench.Result, terms appraisal.Terms, refName string) (*sha256Econ, error) {
	ref, ok := economics.FindMiner(refName)
	if !ok {
		var names []string
		for _, m := range economics.Miners() {
			names = append(names, m.Name)
		}
		return nil, usagef("--reference %q: not in the catalogue (have %v)", refName, names)
	}
	rd, ok := res.Reading()
	if !ok {
		return nil, nil // interrupted or unverified: nothing to price
	}
	r, err := benchMarket(a, mode, time.Now())
	if err != nil {
		return nil, err
	}
	cpu, err := appraisal.Appraise(r.market, terms, rd)
	if err != nil {
		return nil, fmt.Errorf("economics: %w", err)
	}
	rep, err := economics.Evaluate(r.market, terms.PowerPriceUSDPerKWh, []economics.Profile{ref}, time.Now())
	if err != nil {
		return nil, fmt.Errorf("economics: %w", err)
	}
	e := &sha256Econ{MarketNote: r.note, HashpriceUSDPerTHDay: cpu.HashpriceUSDPerTHDay,
		PowerPriceUSDPerKWh: terms.PowerPriceUSDPerKWh, CPU: cpu, Reference: rep.Profiles[0]}
	if m := cpu.Mining; m != nil && m.RevenueUSDPerWYear != nil && *m.RevenueUSDPerWYear > 0 {
		x := e.Reference.RevenueUSDPerWYear / *m.RevenueUSDPerWYear
		e.ReferencePerWattX = &x
	}
	return e, nil
}

func (v benchSHA256View) Table(w io.Writer) error {
	if err := v.Result.Table(w); err != nil {
		return err
	}
	e := v.Economics
	if e == nil {
		return nil
	}
	fmt.Fprintf(w, "\neconomics at %.4f USD/TH/day hashprice, %.3f USD/kWh power (%s)\n",
		e.HashpriceUSDPerTHDay, e.PowerPriceUSDPerKWh, e.MarketNote)
	t := newTable(w, "", "HASHRATE", "POWER", "J/TH", "REVENUE $/DAY", "NET $/DAY", "REVENUE $/W/YR", "NET $/W/YR")
	if m := e.CPU.Mining; m != nil {
		t.row(appraisal.Label(appraisal.Reading{Kind: e.CPU.Kind, ID: e.CPU.ID}), sha256bench.FormatHS(e.CPU.HashrateHS),
			optW(e.CPU.PowerW), optF("%.4g", e.CPU.JPerTH), usd(m.RevenueUSDPerDay), optUSD(m.NetUSDPerDay),
			optUSD(m.RevenueUSDPerWYear), optUSD(m.NetUSDPerWYear))
	}
	r := e.Reference
	t.row(r.Name, sha256bench.FormatHS(r.HashrateHS), fmt.Sprintf("%.1f W", r.DevicePowerW), optF("%.4g", r.JPerTH),
		usd(r.RevenueUSDPerDay), usd(r.NetUSDPerDay), usd(r.RevenueUSDPerWYear), usd(r.NetUSDPerWYear))
	if err := t.flush(); err != nil {
		return err
	}
	if e.ReferencePerWattX != nil {
		_, err := fmt.Fprintf(w, "the %s earns %.0fx more per watt than this CPU\n", e.Reference.Name, *e.ReferencePerWattX)
		return err
	}
	_, err := fmt.Fprintf(w, "per-watt figures for this CPU need its power (%s): pass --power-w with a wall-meter reading\n", e.CPU.PowerNote)
	return err
}

func (v benchSHA256View) Points() []metric.Point { return v.Result.Points() }

// usd shows cents for ordinary amounts and three significant digits for the
// tiny ones a CPU earns, which would otherwise print as 0.00.
func usd(v float64) string {
	if math.Abs(v) >= 0.01 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// optUSD, optF and optW print a figure that needs power as "-" without it.
func optUSD(p *float64) string {
	if p == nil {
		return "-"
	}
	return usd(*p)
}

func optF(format string, p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf(format, *p)
}

func optW(p *float64) string {
	if p == nil {
		return "unavailable"
	}
	return fmt.Sprintf("%.1f W", *p)
}
