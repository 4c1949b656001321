package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/internal/metric"
)

func newEconCurtailCmd(a *app, mf *marketFlags) *cobra.Command {
	var (
		prices, miner, window string
		mw, credit            float64
		noEconomic            bool
	)
	cmd := &cobra.Command{
		Use:   "curtail",
		Short: "Mining as interruptible load against an hourly power-price series",
		Long: `curtail runs a mining fleet against a power-price series (CSV: timestamp,usd_per_mwh;
RFC 3339 timestamps, # comments and a header allowed) and switches it off in
intervals where the price is above its revenue per MWh (less any demand-response
credit) and inside --peak-window. It reports uptime, revenue, power cost and
profit, and the value of curtailment against running always on.

Without --prices it uses the embedded SYNTHETIC ERCOT-like sample week (labelled
as such in the output): a shape to try the command on, not market data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := economics.ParseMiningSpec(miner)
			if err != nil {
				return usagef("--miner %q: %w", miner, err)
			}
			if !(mw > 0) {
				return usagef("--mw %v: fleet power must be positive", mw)
			}
			if credit < 0 {
				return usagef("--dr-credit %v: must not be negative", credit)
			}
			pol := economics.CurtailPolicy{Economic: !noEconomic, DRCreditUSDPerMWh: credit}
			if window != "" {
				if pol.PeakStartHour, pol.PeakEndHour, err = parseWindow(window); err != nil {
					return usagef("--peak-window %q: %w", window, err)
				}
			}
			series, source := economics.SyntheticPrices(), economics.SyntheticPricesName
			if prices != "" {
				f, err := os.Open(prices)
				if err != nil {
					return usagef("--prices: %w", err)
				}
				defer f.Close()
				if series, err = economics.ReadPriceCSV(f, prices); err != nil {
					return usageError{err}
				}
				source = prices
				for _, w := range economics.PriceGapWarnings(series) {
					a.logger.Warn(prices + ": " + w)
				}
			}
			m, err := mf.resolve(a)
			if err != nil {
				return err
			}
			// A fleet of mw MW of facility power: the miner profile gives the per-watt figures.
			c, err := economics.Curtail(p, m.market, mw*1e6, series, pol)
			if err != nil {
				return usageError{err}
			}
			return a.render(curtailView{Curtailment: c, PricesSource: source, Market: m.market, MarketNote: m.note,
				From: series[0].Start, To: series[len(series)-1].Start, at: time.Now()})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&prices, "prices", "", "hourly price CSV (timestamp,usd_per_mwh); default: the embedded SYNTHETIC sample")
	fl.Var(newOnceString(&miner, "name=S21 XP"), "miner", "the fleet's miner SPEC, as for 'perwatt econ' (one)")
	fl.Float64Var(&mw, "mw", 10, "fleet facility power in MW")
	fl.StringVar(&window, "peak-window", "", "always off in these local hours, e.g. 16-21 (end exclusive)")
	fl.BoolVar(&noEconomic, "no-economic", false, "do not switch off on price; only in --peak-window")
	fl.Float64Var(&credit, "dr-credit", 0, "demand-response credit in USD per MW-h of curtailed load")
	return cmd
}

func parseWindow(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	start, err1 := strconv.Atoi(strings.TrimSpace(a))
	end, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || start < 0 || start > 23 || end < 0 || end > 24 {
		return 0, 0, fmt.Errorf("want START-END hours 0-24, e.g. 16-21")
	}
	return start, end, nil
}

type curtailView struct {
	economics.Curtailment
	PricesSource string           `json:"prices_source"`
	From         time.Time        `json:"from"`
	To           time.Time        `json:"to"`
	Market       economics.Market `json:"market"`
	MarketNote   string           `json:"market_note"`
	at           time.Time
}

func (v curtailView) Table(w io.Writer) error {
	fmt.Fprintf(w, "Prices: %s, %s to %s (%.0f h)\n", v.PricesSource, v.From.Format(time.RFC3339), v.To.Format(time.RFC3339), v.Hours)
	fmt.Fprintf(w, "Market: %s, as of %s\n", v.Market.Source, v.Market.AsOf.UTC().Format(time.RFC3339))
	pol := "off when the price is above revenue per MWh"
	if !v.Policy.Economic {
		pol = "price ignored"
	}
	if v.Policy.PeakStartHour != v.Policy.PeakEndHour {
		pol += fmt.Sprintf("; always off %02d:00-%02d:00", v.Policy.PeakStartHour, v.Policy.PeakEndHour)
	}
	if v.Policy.DRCreditUSDPerMWh > 0 {
		pol += fmt.Sprintf("; DR credit $%.2f/MW-h", v.Policy.DRCreditUSDPerMWh)
	}
	fmt.Fprintf(w, "Fleet: %g MW of %s, breakeven $%.2f/MWh; policy: %s\n\n", v.FacilityMW, v.Profile, v.BreakevenUSDPerMWh, pol)
	t := newTable(w, "", "run h", "uptime", "energy MWh", "revenue $", "power $", "DR credit $", "profit $")
	row := func(name string, c economics.CurtailTotals) {
		t.row(name, fmt.Sprintf("%.0f", c.RunHours), fmt.Sprintf("%.1f%%", c.RunHours/v.Hours*100), fmt.Sprintf("%.1f", c.EnergyMWh),
			fmt.Sprintf("%.2f", c.RevenueUSD), fmt.Sprintf("%.2f", c.PowerCostUSD), fmt.Sprintf("%.2f", c.DRCreditUSD), fmt.Sprintf("%.2f", c.ProfitUSD))
	}
	row("curtailed", v.Curtailed)
	row("always on", v.AlwaysOn)
	if err := t.flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nValue of curtailment: $%.2f over the series (%d intervals off)\n", v.ValueUSD, len(v.Off))
	return err
}

func (v curtailView) Points() []metric.Point { return v.Curtailment.Points(v.at, v.PricesSource) }
