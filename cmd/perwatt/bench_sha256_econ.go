package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/internal/metric"
	"github.com/perwatt/perwatt/sha256bench"
)

// benchSHA256View is the command's output: the measurement (its JSON fields
// at the top level, the contract) plus what that hashrate would earn.
type benchSHA256View struct {
	*sha256bench.Result
	Economics *sha256Econ `json:"economics,omitempty"`
}

// sha256Econ prices the measured hashrate next to a reference ASIC.
type sha256Econ struct {
	MarketNote           string  `json:"market_note"`
	HashpriceUSDPerTHDay float64 `json:"hashprice_usd_per_th_day"`
	PowerPriceUSDPerKWh  float64 `json:"power_price_usd_per_kwh"`
	// CPU is null when power is unavailable: $/W and J/TH need watts.
	CPU                 *economics.Result `json:"cpu"`
	CPURevenueUSDPerDay float64           `json:"cpu_revenue_usd_per_day"`
	Reference           economics.Result  `json:"reference"`
	// ReferencePerWattX is how many times more revenue per watt the ASIC earns.
	ReferencePerWattX *float64 `json:"reference_revenue_per_w_x,omitempty"`
}

func sha256Economics(a *app, mode string, res *sha256bench.Result, price float64, refName string) (*sha256Econ, error) {
	ref, ok := economics.FindMiner(refName)
	if !ok {
		var names []string
		for _, m := range economics.Miners() {
			names = append(names, m.Name)
		}
		return nil, usagef("--reference %q: not in the catalogue (have %v)", refName, names)
	}
	now := time.Now()
	r, err := benchMarket(a, mode, now)
	if err != nil {
		return nil, err
	}
	m, note := r.market, r.note
	cpu := economics.NewMining("this CPU ("+res.Kernel+")", res.HashrateHS, 1)
	cpu.Source = "measured by perwatt bench sha256"
	e := &sha256Econ{MarketNote: note, HashpriceUSDPerTHDay: m.HashpriceUSDPerTHDay(), PowerPriceUSDPerKWh: price,
		CPURevenueUSDPerDay: cpu.BTCPerDay(m) * m.BTCPriceUSD}
	profiles := []economics.Profile{ref}
	if res.PowerW != nil {
		cpu.PowerW = *res.PowerW
		profiles = append(profiles, cpu)
	}
	rep, err := economics.Evaluate(m, price, profiles, now)
	if err != nil {
		return nil, fmt.Errorf("economics: %w", err)
	}
	e.Reference = rep.Profiles[0]
	if len(rep.Profiles) > 1 {
		c := rep.Profiles[1]
		e.CPU = &c
		if c.RevenueUSDPerWYear > 0 {
			x := e.Reference.RevenueUSDPerWYear / c.RevenueUSDPerWYear
			e.ReferencePerWattX = &x
		}
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
	row := func(r economics.Result) {
		t.row(r.Name, sha256bench.FormatHS(r.HashrateHS), fmt.Sprintf("%.1f W", r.DevicePowerW), fmt.Sprintf("%.4g", deref(r.JPerTH)),
			usd(r.RevenueUSDPerDay), usd(r.NetUSDPerDay), usd(r.RevenueUSDPerWYear), usd(r.NetUSDPerWYear))
	}
	if e.CPU != nil {
		row(*e.CPU)
	} else {
		t.row("this CPU ("+v.Kernel+")", sha256bench.FormatHS(v.HashrateHS), "unavailable", "-",
			usd(e.CPURevenueUSDPerDay), "-", "-", "-")
	}
	row(e.Reference)
	if err := t.flush(); err != nil {
		return err
	}
	if e.ReferencePerWattX != nil {
		_, err := fmt.Fprintf(w, "the %s earns %.0fx more per watt than this CPU\n", e.Reference.Name, *e.ReferencePerWattX)
		return err
	}
	_, err := fmt.Fprintln(w, "per-watt figures for this CPU need its power: pass --power-w with a wall-meter reading")
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

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
