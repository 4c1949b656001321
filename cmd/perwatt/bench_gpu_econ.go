package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/gpubench"
	"github.com/perwatt/perwatt/internal/metric"
)

// benchGPUView is the command's output: the report (its JSON fields at the
// top level, the contract) and every GPU appraised: leasing versus mining.
type benchGPUView struct {
	*gpubench.Report
	PowerNote     string                `json:"power_note,omitempty"`
	EconomicsNote string                `json:"economics_note,omitempty"`
	Economics     []appraisal.Appraisal `json:"economics,omitempty"`
}

// gpuTerms are the configured terms with this command's flags over them.
func gpuTerms(a *app, cmd *cobra.Command, f *benchGPUFlags) appraisal.Terms {
	t := appraisalTerms(a.cfg)
	changed := cmd.Flags().Changed
	if changed("power-price") {
		t.PowerPriceUSDPerKWh = f.powerPrice
	}
	if changed("lease-rate") {
		t.LeaseRate, t.LeaseRates = f.leaseRate, nil
	}
	if changed("server-overhead-w") {
		t.ServerOverheadW = f.overheadW
	}
	return t
}

func gpuEconomics(a *app, cmd *cobra.Command, f *benchGPUFlags, rep *gpubench.Report) ([]appraisal.Appraisal, string) {
	r, err := benchMarket(a, f.market, time.Now())
	if err != nil {
		return nil, "economics not computed: " + err.Error()
	}
	terms := gpuTerms(a, cmd, f)
	var out []appraisal.Appraisal
	for _, rd := range rep.Readings() {
		ap, err := appraisal.Appraise(r.market, terms, rd)
		if err != nil {
			return nil, "economics not computed: " + err.Error()
		}
		out = append(out, ap)
	}
	return out, r.note
}

func (v *benchGPUView) Table(w io.Writer) error {
	if err := v.Report.Table(w); err != nil {
		return err
	}
	if v.PowerNote != "" {
		fmt.Fprintln(w, v.PowerNote)
	}
	if len(v.Economics) == 0 {
		if v.EconomicsNote != "" {
			fmt.Fprintln(w, v.EconomicsNote)
		}
		return nil
	}
	return appraisalTable(w, v.Economics, v.EconomicsNote)
}

// appraisalTable prints appraisals one row per device and use, then each
// device's verdict and the reasons for what could not be priced.
func appraisalTable(w io.Writer, as []appraisal.Appraisal, marketNote string) error {
	fmt.Fprintf(w, "\nrevenue per watt at %.3f USD/kWh, hashprice %.4f USD/TH/day (%s)\n",
		as[0].PowerPriceUSDPerKWh, as[0].HashpriceUSDPerTHDay, marketNote)
	t := newTable(w, "DEVICE", "USE", "POWER W", "SOURCE", "REVENUE $/DAY", "NET $/DAY", "REVENUE $/W/YR", "NET $/W/YR", "BREAKEVEN $/KWH")
	var notes []string
	for _, a := range as {
		label := appraisal.Label(appraisal.Reading{Kind: a.Kind, ID: a.ID})
		for _, u := range []*appraisal.Use{a.Mining, a.Leasing} {
			if u == nil {
				continue
			}
			t.row(label, u.Name, optF("%.0f", u.PowerW), string(a.PowerSource), usd(u.RevenueUSDPerDay), optUSD(u.NetUSDPerDay),
				optF("%.4f", u.RevenueUSDPerWYear), optF("%.4f", u.NetUSDPerWYear), optF("%.4f", u.BreakevenPowerPriceUSDPerKWh))
		}
		for _, n := range []string{a.MiningNote, a.LeasingNote} {
			if n != "" {
				notes = append(notes, label+": "+n)
			}
		}
		switch {
		case a.BestByNetUSDPerWYear != nil:
			notes = append(notes, fmt.Sprintf("%s: %s earns %.4f USD per W-year more, net of power", label, a.Best, *a.BestByNetUSDPerWYear))
		case a.Best != "" && a.BelowBreakeven:
			notes = append(notes, fmt.Sprintf("%s: below breakeven at this power price", label))
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	return nil
}

func (v *benchGPUView) Points() []metric.Point { return v.Report.Points() }
