package economics

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// CapitalReport is every profile appraised on capital under one set of
// assumptions, with the warnings those assumptions deserve.
type CapitalReport struct {
	Assumptions Assumptions  `json:"assumptions"`
	Investments []Investment `json:"investments"`
	Warnings    []string     `json:"warnings"`
}

// AppraiseAll appraises each profile; every failure is reported at once.
func AppraiseAll(profiles []Profile, m Market, a Assumptions) (CapitalReport, error) {
	r := CapitalReport{Assumptions: a, Warnings: a.Warnings(m)}
	var errs []error
	for _, p := range profiles {
		inv, err := Appraise(p, m, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.Investments = append(r.Investments, inv)
	}
	return r, errors.Join(errs...)
}

// Warnings flags assumptions that are legal but implausible: difficulty
// compounding against a flat or slower BTC price until a miner's revenue
// collapses is a forecast nobody should take to a board unremarked.
func (a Assumptions) Warnings(m Market) []string {
	out := []string{}
	years := a.Years
	if years == 0 {
		years = 5
	}
	retargets := float64(years) * DaysPerYear * BlocksPerDay / RetargetInterval
	diffMult := math.Pow(1+a.DifficultyGrowthPerRetarget, retargets)
	priceMult := math.Pow(1+a.BTCPriceGrowthPerYear, float64(years))
	if diffMult/priceMult > 10 {
		out = append(out, fmt.Sprintf("difficulty grows %.0f× over %d years against a BTC price that grows %.2f×: hashprice falls to %.1f%% of today's before halvings; is that the forecast you mean?",
			diffMult, years, priceMult, 100*priceMult/diffMult))
	}
	if a.PowerPrice > 1 {
		out = append(out, fmt.Sprintf("power price $%.2f/kWh is above $1/kWh: did you mean $%.4f (a price in $/MWh or cents)?", a.PowerPrice, a.PowerPrice/1000))
	}
	return out
}

// Table prints the capital summary and each profile's yearly project cash.
func (c CapitalReport) Table(w io.Writer) error {
	a := c.Assumptions
	fmt.Fprintf(w, "\nCapital (pre-tax, per MW of facility power; NPV at %.1f%%/yr; difficulty %+.2f%%/retarget, BTC %+.1f%%/yr, power $%.4f/kWh):\n",
		a.DiscountRate*100, a.DifficultyGrowthPerRetarget*100, a.BTCPriceGrowthPerYear*100, a.PowerPrice)
	for _, s := range c.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", s)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "profile\tkind\tcapex $M/MW\tyears\tNPV $M/MW\tNPV $M total\tIRR\tpayback months\tbreakeven incl. capital\t")
	for _, inv := range c.Investments {
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%d\t%.3f\t%s\t%s\t%s\t%s\t\n", inv.Name, inv.Kind, inv.CapexUSDPerMW/1e6, inv.HorizonYears,
			inv.NPVUSDPerMW/1e6, money(inv.NPVUSDTotal/1e6, 3), pct(inv.IRR), months(inv.PaybackMonths), breakevenCell(inv))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, inv := range c.Investments {
		cells := make([]string, len(inv.Years))
		for i, y := range inv.Years {
			cells[i] = fmt.Sprintf("%.3f", y.ProjectCashUSDPerMW/1e6)
		}
		fmt.Fprintf(w, "  %s: project cash $M/MW by year from %s: %s\n", inv.Name, inv.ValuedFrom.Format("2006-01-02"), strings.Join(cells, ", "))
		if inv.EquityNPVUSDPerMW != nil {
			fmt.Fprintf(w, "    financed %.0f%% at %.1f%% over %d yr: equity NPV $%.3fM/MW, equity IRR %s\n", inv.Capital.DebtShare*100,
				inv.Capital.DebtRate*100, inv.Capital.DebtTermYears, *inv.EquityNPVUSDPerMW/1e6, pct(inv.EquityIRR))
		}
		if inv.IRR == nil {
			fmt.Fprintf(w, "    %s\n", inv.IRRNote)
		}
		if src := inv.Capital.Source; src != "" {
			fmt.Fprintf(w, "    capital: %s\n", src)
		}
	}
	return nil
}

func pct(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

func months(v *float64) string {
	if v == nil {
		return "never"
	}
	return fmt.Sprintf("%.1f", *v)
}

func breakevenCell(inv Investment) string {
	switch {
	case inv.BreakevenHashpriceUSDPerPHDay != nil:
		return fmt.Sprintf("hashprice $%.2f/PH/day", *inv.BreakevenHashpriceUSDPerPHDay)
	case inv.BreakevenGPURateUSDPerHour != nil && inv.BreakevenUtilization != nil:
		return fmt.Sprintf("$%.2f/GPU-h or %.0f%% utilisation", *inv.BreakevenGPURateUSDPerHour, *inv.BreakevenUtilization*100)
	case inv.BreakevenGPURateUSDPerHour != nil:
		return fmt.Sprintf("$%.2f/GPU-h", *inv.BreakevenGPURateUSDPerHour)
	case inv.BreakevenLeaseUSDPerKWMonth != nil && inv.Kind == KindGPUCloud:
		return fmt.Sprintf("contract $%.2f/kW-month", *inv.BreakevenLeaseUSDPerKWMonth)
	case inv.BreakevenLeaseUSDPerKWMonth != nil:
		return fmt.Sprintf("lease $%.2f/kW-month", *inv.BreakevenLeaseUSDPerKWMonth)
	}
	return "n/a"
}

// Points are one "economics_capital" point per profile and one
// "economics_cash_flow" point per profile-year, timed at at.
func (c CapitalReport) Points(at time.Time) []metric.Point {
	var pts []metric.Point
	for _, inv := range c.Investments {
		tags := map[string]string{"profile": inv.Name, "kind": string(inv.Kind)}
		f := map[string]any{"capex_usd_per_mw": inv.CapexUSDPerMW, "capex_usd_total": inv.CapexUSDTotal,
			"npv_usd_per_mw": inv.NPVUSDPerMW, "npv_usd_total": inv.NPVUSDTotal, "discount_rate": inv.DiscountRate,
			"horizon_years": int64(inv.HorizonYears), "facility_mw_total": inv.FacilityMW}
		opt := map[string]*float64{"irr": inv.IRR, "payback_months": inv.PaybackMonths,
			"equity_npv_usd_per_mw": inv.EquityNPVUSDPerMW, "equity_npv_usd_total": inv.EquityNPVUSDTotal, "equity_irr": inv.EquityIRR,
			"breakeven_hashprice_usd_per_ph_day": inv.BreakevenHashpriceUSDPerPHDay, "breakeven_gpu_rate_usd_per_gpu_hour": inv.BreakevenGPURateUSDPerHour,
			"breakeven_utilization": inv.BreakevenUtilization, "breakeven_lease_usd_per_kw_month": inv.BreakevenLeaseUSDPerKWMonth}
		for k, v := range opt {
			if v != nil {
				f[k] = *v
			}
		}
		pts = append(pts, metric.New("economics_capital", tags, f, at))
		for _, y := range inv.Years {
			yt := map[string]string{"profile": inv.Name, "kind": string(inv.Kind), "year": fmt.Sprint(y.Year)}
			pts = append(pts, metric.New("economics_cash_flow", yt, map[string]any{
				"revenue_usd_per_mw": y.RevenueUSDPerMW, "power_cost_usd_per_mw": y.PowerCostUSDPerMW, "opex_usd_per_mw": y.OpexUSDPerMW,
				"capex_usd_per_mw": y.CapexUSDPerMW, "salvage_usd_per_mw": y.SalvageUSDPerMW, "debt_service_usd_per_mw": y.DebtServiceUSDPerMW,
				"project_cash_usd_per_mw": y.ProjectCashUSDPerMW, "equity_cash_usd_per_mw": y.EquityCashUSDPerMW,
				"project_cash_usd_total": y.ProjectCashUSDTotal, "equity_cash_usd_total": y.EquityCashUSDTotal, "online_share": y.OnlineShare,
			}, at))
		}
	}
	return pts
}
