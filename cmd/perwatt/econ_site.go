package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot/plotter"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/internal/metric"
)

type siteFlags struct {
	profiles  econFlags
	mw        float64
	share     string
	miningPUE float64
	aiPUE     float64
	step      float64
	prices    string
	window    string
	credit    float64
}

func newEconSiteCmd(a *app, mf *marketFlags) *cobra.Command {
	var f siteFlags
	cmd := &cobra.Command{
		Use:   "site",
		Short: "Revenue, power cost and profit per year of a mining-plus-AI site, and the AI-share sweep",
		Long: `site splits a site's facility power (--mw, PUE included) between mining and AI
uses and prints revenue, power cost and profit per year for the mix, then the
same for AI shares from 0 to 100 % (mining takes the rest) so the peak shows.

  --share mining=40%,colo=60%    uses: mining, colo (powered-shell lease), gpu (GPUs by the hour)
  --miner SPEC, --colo SPEC, --gpu SPEC as for 'perwatt econ'; several in one use split it equally.
Without --miner: an S21 XP fleet; without --colo or --gpu: the Hut 8–Fluidstack
lease terms. Without --share: equal shares for the uses that have profiles.

--prices FILE (or 'synthetic'): the "Mullet" site. Mining runs as interruptible
load against the hourly series (see 'perwatt econ curtail'), the AI uses pay its
time-weighted average, and the results are annualised from the series' length.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.profiles.plot != "" {
				if err := checkChartFile(f.profiles.plot); err != nil {
					return err
				}
			}
			site, err := f.site(cmd)
			if err != nil {
				return err
			}
			for _, w := range economics.PriceGapWarnings(site.Prices) {
				a.logger.Warn(f.prices + ": " + w)
			}
			m, err := mf.resolve(a)
			if err != nil {
				return err
			}
			price, err := mf.powerPrice(a)
			if err != nil {
				return err
			}
			r, err := economics.EvaluateSite(site, m.market, price)
			if err != nil {
				return usageError{err}
			}
			shares := sweepShares(f.step)
			sweep, err := economics.SweepAIShare(site, m.market, price, shares)
			if err != nil {
				return usageError{err}
			}
			v := siteView{PricesSource: f.pricesLabel(), Market: m.market, MarketNote: m.note, PowerPriceUSDPerKWh: price, Site: r, Sweep: sweep,
				Peak: economics.PeakProfit(sweep), at: time.Now()}
			if len(site.Prices) > 0 {
				v.AvgPriceUSDPerMWh = economics.AveragePriceUSDPerMWh(site.Prices)
			}
			if f.profiles.plot != "" {
				if err := plotSiteSweep(f.profiles.plot, v); err != nil {
					return err
				}
				a.logger.Info("wrote chart", "file", f.profiles.plot)
			}
			return a.render(v)
		},
	}
	fl := cmd.Flags()
	fl.Float64Var(&f.mw, "mw", 100, "site facility power in MW (grid capacity, PUE included)")
	fl.StringVar(&f.share, "share", "", "shares of the site's power, e.g. mining=40%,colo=60% (must add up to 100%)")
	fl.Float64Var(&f.miningPUE, "mining-pue", 0, "override the PUE of every mining profile")
	fl.Float64Var(&f.aiPUE, "ai-pue", 0, "override the PUE of every AI profile (colo and gpu)")
	fl.Float64Var(&f.step, "sweep-step", 0.1, "AI-share step of the sweep, as a fraction (0.1 = 10 %)")
	fl.StringVar(&f.prices, "prices", "", "hourly price CSV (or 'synthetic' for the embedded SYNTHETIC sample): mining curtails against it, other uses pay its average")
	fl.StringVar(&f.window, "peak-window", "", "with --prices: mining always off in these local hours, e.g. 16-21")
	fl.Float64Var(&f.credit, "dr-credit", 0, "with --prices: demand-response credit in USD per MW-h of curtailed mining load")
	f.profiles.registerProfiles(cmd)
	fl.StringVar(&f.profiles.plot, "plot", "", "also draw revenue, power cost and profit versus AI share to FILE (.svg, .png, .pdf or .html)")
	return cmd
}

// site builds the economics.Site from the flags, with usage errors naming
// the flag and the bad part.
func (f *siteFlags) site(cmd *cobra.Command) (economics.Site, error) {
	if !(f.mw > 0) {
		return economics.Site{}, usagef("--mw %v: site power must be positive", f.mw)
	}
	if !(f.step > 0) || f.step > 1 {
		return economics.Site{}, usagef("--sweep-step %v: want a fraction above 0 and at most 1", f.step)
	}
	for name, v := range map[string]float64{"mining-pue": f.miningPUE, "ai-pue": f.aiPUE} {
		if cmd.Flags().Changed(name) && (v < 1 || v > 5) {
			return economics.Site{}, usagef("--%s %v: want 1 to 5", name, v)
		}
	}
	// A site is compared against both kinds of use: what is not given
	// defaults to an S21 XP fleet and the Hut 8–Fluidstack lease terms.
	if len(f.profiles.miners) == 0 {
		f.profiles.miners = []string{"name=S21 XP"}
	}
	if len(f.profiles.gpus)+len(f.profiles.colos) == 0 {
		f.profiles.colos = []string{"name=Hut 8–Fluidstack"}
	}
	if len(f.profiles.measured) > 0 {
		return economics.Site{}, usagef("--measured: a site is built from catalogue or --miner/--gpu/--colo profiles; price measured devices with 'perwatt econ --measured'")
	}
	profiles, err := f.profiles.profiles()
	if err != nil {
		return economics.Site{}, err
	}
	byUse := map[economics.Use][]economics.Profile{}
	for _, p := range profiles {
		switch p := p.(type) {
		case economics.Mining:
			if f.miningPUE > 0 {
				p.PUE = f.miningPUE
			}
			byUse[economics.UseMining] = append(byUse[economics.UseMining], p)
		case economics.Leasing:
			if f.aiPUE > 0 {
				p.PUE = f.aiPUE
			}
			byUse[economics.UseGPU] = append(byUse[economics.UseGPU], p)
		case economics.Colocation:
			if f.aiPUE > 0 {
				p.PUE = f.aiPUE
			}
			// Lease terms are per MW of IT; the site fills its share of facility power.
			byUse[economics.UseColo] = append(byUse[economics.UseColo], p)
		}
	}
	shares, err := parseShares(f.share, byUse)
	if err != nil {
		return economics.Site{}, err
	}
	site := economics.Site{FacilityW: f.mw * 1e6}
	for _, u := range []economics.Use{economics.UseMining, economics.UseColo, economics.UseGPU} {
		if _, ok := shares[u]; ok || len(byUse[u]) > 0 {
			site.Uses = append(site.Uses, economics.SiteUse{Use: u, Share: shares[u], Profiles: byUse[u]})
		}
	}
	if !hasUse(site, economics.UseMining) {
		site.Uses = append([]economics.SiteUse{{Use: economics.UseMining}}, site.Uses...)
	}
	if err := site.Validate(); err != nil {
		return economics.Site{}, usagef("--share %q: %w", f.share, err)
	}
	if f.prices == "" {
		if f.window != "" || f.credit != 0 {
			return economics.Site{}, usagef("--peak-window and --dr-credit need --prices")
		}
		return site, nil
	}
	if f.credit < 0 {
		return economics.Site{}, usagef("--dr-credit %v: must not be negative", f.credit)
	}
	site.Policy = economics.CurtailPolicy{Economic: true, DRCreditUSDPerMWh: f.credit}
	if f.window != "" {
		var err error
		if site.Policy.PeakStartHour, site.Policy.PeakEndHour, err = parseWindow(f.window); err != nil {
			return economics.Site{}, usagef("--peak-window %q: %w", f.window, err)
		}
	}
	if f.prices == "synthetic" {
		site.Prices = economics.SyntheticPrices()
		return site, nil
	}
	file, err := os.Open(f.prices)
	if err != nil {
		return economics.Site{}, usagef("--prices: %w", err)
	}
	defer file.Close()
	if site.Prices, err = economics.ReadPriceCSV(file, f.prices); err != nil {
		return economics.Site{}, usageError{err}
	}
	return site, nil
}

func hasUse(s economics.Site, u economics.Use) bool {
	for _, x := range s.Uses {
		if x.Use == u {
			return true
		}
	}
	return false
}

// parseShares reads "mining=40%,colo=60%" or "mining=0.4,colo=0.6".
// Empty: equal shares for the uses that have profiles.
func parseShares(s string, byUse map[economics.Use][]economics.Profile) (map[economics.Use]float64, error) {
	out := map[economics.Use]float64{}
	if strings.TrimSpace(s) == "" {
		n := 0
		for _, ps := range byUse {
			if len(ps) > 0 {
				n++
			}
		}
		for u, ps := range byUse {
			if len(ps) > 0 {
				out[u] = 1 / float64(n)
			}
		}
		return out, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		u := economics.Use(strings.ToLower(strings.TrimSpace(k)))
		if !ok {
			return nil, usagef("--share %q: %q is not use=percent", s, part)
		}
		if u != economics.UseMining && u != economics.UseColo && u != economics.UseGPU {
			return nil, usagef("--share %q: unknown use %q (want mining, colo or gpu)", s, k)
		}
		if _, dup := out[u]; dup {
			return nil, usagef("--share %q: %s is given twice", s, u)
		}
		// The rule everywhere: 0.4 is a fraction, 40% a percentage.
		share, err := economics.ParseFraction(v)
		if err != nil || share < 0 {
			return nil, usagef("--share %q: %s share %q: want a fraction such as 0.4 or a percentage such as 40%%", s, u, v)
		}
		if share > 1 {
			return nil, usagef("--share %q: %s share %q is above 1: a bare number is a fraction (0.4); write 40%% for a percentage", s, u, v)
		}
		out[u] = share
	}
	return out, nil
}

// siteView is the output of `perwatt econ site`.
type siteView struct {
	Market              economics.Market       `json:"market"`
	MarketNote          string                 `json:"market_note"`
	PowerPriceUSDPerKWh float64                `json:"power_price_usd_per_kwh"`
	Site                economics.SiteResult   `json:"site"`
	Sweep               []economics.SiteTotals `json:"sweep"`
	Peak                economics.SiteTotals   `json:"peak"`
	PricesSource        string                 `json:"prices_source,omitempty"`
	AvgPriceUSDPerMWh   float64                `json:"avg_price_usd_per_mwh,omitempty"`
	at                  time.Time
}

func musd(v float64) string { return fmt.Sprintf("%.2f", v/1e6) }

func (v siteView) Table(w io.Writer) error {
	fmt.Fprintf(w, "Market: %s, as of %s; hashprice $%.2f/PH/day; power $%.4f/kWh\n",
		v.Market.Source, v.Market.AsOf.UTC().Format(time.RFC3339), v.Market.HashpriceUSDPerPHDay(), v.PowerPriceUSDPerKWh)
	if v.PricesSource != "" {
		fmt.Fprintf(w, "Prices: %s (average $%.2f/MWh): mining curtails against them, other uses pay the average (power price above unused)\n",
			v.PricesSource, v.AvgPriceUSDPerMWh)
	}
	fmt.Fprintf(w, "Site: %g MW of facility power, %.0f%% to AI\n\n", v.Site.FacilityMW, v.Site.Total.AIShare*100)
	t := newTable(w, "use", "profile", "MW", "revenue $M/yr", "power $M/yr", "profit $M/yr")
	for _, l := range v.Site.Lines {
		t.row(string(l.Use), l.Name, fmt.Sprintf("%.2f", l.FacilityMW), musd(l.RevenueUSDPerYear), musd(l.PowerCostUSDPerYear), musd(l.ProfitUSDPerYear))
	}
	tot := v.Site.Total
	t.row("total", "", fmt.Sprintf("%.2f", v.Site.FacilityMW), musd(tot.RevenueUSDPerYear), musd(tot.PowerCostUSDPerYear), musd(tot.ProfitUSDPerYear))
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nAI share sweep (mining takes the rest):")
	t = newTable(w, "AI share", "revenue $M/yr", "power $M/yr", "profit $M/yr", "")
	for _, s := range v.Sweep {
		mark := ""
		if s == v.Peak {
			mark = "<- peak"
		}
		t.row(fmt.Sprintf("%.0f%%", s.AIShare*100), musd(s.RevenueUSDPerYear), musd(s.PowerCostUSDPerYear), musd(s.ProfitUSDPerYear), mark)
	}
	return t.flush()
}

func (v siteView) Points() []metric.Point {
	return v.Site.Points(v.Peak, v.PowerPriceUSDPerKWh, v.at, v.PricesSource)
}

func plotSiteSweep(file string, v siteView) error {
	var rev, cost, profit plotter.XYs
	for _, s := range v.Sweep {
		rev = append(rev, plotter.XY{X: s.AIShare * 100, Y: s.RevenueUSDPerYear / 1e6})
		cost = append(cost, plotter.XY{X: s.AIShare * 100, Y: s.PowerCostUSDPerYear / 1e6})
		profit = append(profit, plotter.XY{X: s.AIShare * 100, Y: s.ProfitUSDPerYear / 1e6})
	}
	series := []chartSeries{{Name: "profit", Color: 2, XY: profit}, {Name: "revenue", Color: 0, Dashed: true, XY: rev},
		{Name: "power cost", Color: 3, Dashed: true, XY: cost}}
	marks := []chartMark{{Name: fmt.Sprintf("peak: %.0f%% AI, $%.1fM/yr", v.Peak.AIShare*100, v.Peak.ProfitUSDPerYear/1e6),
		Color: 2, X: v.Peak.AIShare * 100, Y: v.Peak.ProfitUSDPerYear / 1e6}}
	title := fmt.Sprintf("%g MW site at $%.3f/kWh: mining + AI mix", v.Site.FacilityMW, v.PowerPriceUSDPerKWh)
	return saveChart(file, title, "share of site power to AI (%)", "$M per year", series, marks)
}

// sweepShares is 0, step, 2·step, … and always ends at exactly 1.
func sweepShares(step float64) []float64 {
	n := int(math.Ceil(1/step - 1e-9))
	out := make([]float64, 0, n+1)
	for i := 0; i < n; i++ {
		out = append(out, float64(i)*step)
	}
	return append(out, 1)
}

func (f *siteFlags) pricesLabel() string {
	if f.prices == "synthetic" {
		return economics.SyntheticPricesName
	}
	return f.prices
}
