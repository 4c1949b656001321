package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/internal/metric"
)

// econFlags are the market and profile flags shared by `econ` and its
// subcommands (site, curtail, project).
type econFlags struct {
	market   marketFlags
	miners   []string
	gpus     []string
	colos    []string
	measured []string
	plot     string
	capital  bool
	outlook  outlookFlags
}

func newEconCmd(a *app) *cobra.Command {
	var f econFlags
	cmd := &cobra.Command{
		Use:   "econ",
		Short: "Revenue per watt: Bitcoin mining versus AI leasing and colocation",
		Long: `econ evaluates mining, GPU leasing and colocation profiles against the Bitcoin
market and a power price: revenue and net per day, per kW-day, per MWh and per W
of facility power per year, the breakeven power price, J/TH, and how many MW of
each profile earn as much as 10 MW of every other.

Market data: a snapshot cached under 15 minutes ago as is; else live from your
own Bitcoin Core node (economics.bitcoind_url, for difficulty, height and fees),
mempool.space (economics.mempool_url) and api.blockchain.info, combined field
by field; then the last good snapshot cached on disk, then the snapshot
embedded in the binary. The output says where each field came from and how old
it is. --offline uses the embedded snapshot. --difficulty, --btc-price,
--height/--subsidy and --fees override single values; given all four, nothing
is fetched.

Profiles: without --miner/--gpu/--colo, the built-in catalogue; --measured FILE
(repeatable) adds the devices of a saved 'perwatt bench sha256|gpu|all --json',
appraised at today's market and the configured terms as the agent does.
  --miner name=S21XP,hashrate=270TH,power=3645W[,pool-fee=0.025][,uptime=0.95][,pue=1.0][,pool=fpps|pps]
  --gpu   name=H100,rate=2.00,power=1275W[,utilization=0.7][,pue=1.3][,board-power=700W]
  --colo  name=Shell,rate=128/kW-month|rate=1.9M/MW-year[,escalator=3%][,term=15][,it=1MW][,pue=1.3][,power=passthrough|included][,load-factor=1][,gpu-cloud=yes]
Capital terms, on any spec: capex=$/unit, capex-per-th=, fit-out=$/MW of IT (9M),
equipment=$/MW of IT, life=years, salvage=%, opex=$/kW-month, opex-share=%,
hosting=$/kWh, margin=% (stated NOI/EBITDA), debt=%, debt-rate=%, debt-term=years,
commencement=YYYY-MM-DD, ramp=months, ramp-start=%, prepayment=%, prepayment-from=year.
--capital prints the appraisal.
A catalogue name alone (name=S21 XP, name=H100, name=Hut 8–Fluidstack) takes
its published figures; other keys override them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.plot != "" {
				if err := checkChartFile(f.plot); err != nil {
					return err // before any network work
				}
			}
			m, err := f.market.resolve(a)
			if err != nil {
				return err
			}
			profiles, err := f.profiles()
			if err != nil {
				return err
			}
			price, err := f.market.powerPrice(a)
			if err != nil {
				return err
			}
			terms := appraisalTerms(a.cfg)
			terms.PowerPriceUSDPerKWh = price
			measured, err := measuredProfiles(f.measured, m.market, terms)
			if err != nil {
				return err
			}
			profiles = append(measured, profiles...)
			now := time.Now()
			rep, err := economics.Evaluate(m.market, price, profiles, now)
			if err != nil {
				return usageError{err}
			}
			warnInputs(a, &f, m.market, price)
			v := econView{Report: rep, MarketNote: m.note, Breakevens: breakevens(rep, profiles, m.market, price)}
			if f.capital {
				if v.Capital, err = f.appraise(a, profiles, m.market, price, now); err != nil {
					return err
				}
			}
			if f.plot != "" {
				if err := plotPowerPrice(f.plot, rep); err != nil {
					return err
				}
				a.logger.Info("wrote chart", "file", f.plot)
				if v.Capital != nil {
					if err := plotNPV(npvChartFile(f.plot), rep, withConfiguredCapital(a, profiles), m.market, v.Capital.Assumptions); err != nil {
						return err
					}
					a.logger.Info("wrote chart", "file", npvChartFile(f.plot))
				}
			}
			return a.render(v)
		},
	}
	f.market.register(cmd.PersistentFlags())
	f.registerProfiles(cmd)
	cmd.Flags().BoolVar(&f.capital, "capital", false, "add the capital appraisal: yearly cash flows, NPV, IRR, payback and breakevens including capex")
	f.outlook.register(cmd.Flags())
	cmd.Flags().StringVar(&f.plot, "plot", "", "also draw net $/MW/day versus power price to FILE (.svg, .png, .pdf or .html); with --capital also NPV per MW to FILE-npv")
	cmd.AddCommand(newEconSiteCmd(a, &f.market), newEconCurtailCmd(a, &f.market), newEconProjectCmd(a, &f.market), newEconClaimCmd(a, &f.market))
	return cmd
}

func (f *econFlags) registerProfiles(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.miners, "miner", nil, "mining profile SPEC (repeatable)")
	cmd.Flags().StringArrayVar(&f.gpus, "gpu", nil, "GPU leasing profile SPEC (repeatable)")
	cmd.Flags().StringArrayVar(&f.colos, "colo", nil, "colocation lease profile SPEC (repeatable)")
	cmd.Flags().StringArrayVar(&f.measured, "measured", nil, "add this host's devices from a saved 'perwatt bench sha256|gpu|all --json' FILE (repeatable)")
}

// profiles parses the spec flags; with none given, the whole catalogue.
func (f *econFlags) profiles() ([]economics.Profile, error) {
	var out []economics.Profile
	for _, file := range f.measured {
		if _, err := measuredReadings(file); err != nil {
			return nil, err // before any network work
		}
	}
	if len(f.miners)+len(f.gpus)+len(f.colos) == 0 {
		return economics.Catalogue(), nil
	}
	for _, s := range f.miners {
		p, err := economics.ParseMiningSpec(s)
		if err != nil {
			return nil, usagef("--miner %q: %w", s, err)
		}
		out = append(out, p)
	}
	for _, s := range f.gpus {
		p, err := economics.ParseLeasingSpec(s)
		if err != nil {
			return nil, usagef("--gpu %q: %w", s, err)
		}
		out = append(out, p)
	}
	for _, s := range f.colos {
		p, err := economics.ParseColocationSpec(s)
		if err != nil {
			return nil, usagef("--colo %q: %w", s, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// breakevens solves the breakeven hashprice of every miner against every
// profile that is not mining.
func breakevens(rep economics.Report, profiles []economics.Profile, m economics.Market, price float64) []economics.BreakevenHashprice {
	out := []economics.BreakevenHashprice{}
	for i, p := range profiles {
		miner, ok := p.(economics.Mining)
		if !ok {
			continue
		}
		for j, r := range rep.Profiles {
			if rep.Profiles[i].Kind != economics.KindMining || r.Kind == economics.KindMining || j == i {
				continue
			}
			if b, err := economics.BreakevenHashpriceVersus(miner, r, m, price); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// econView is the output of `perwatt econ`: the report (the JSON contract)
// plus where the market data came from and the breakeven hashprices.
type econView struct {
	economics.Report
	MarketNote string                         `json:"market_note"`
	Breakevens []economics.BreakevenHashprice `json:"breakeven_hashprice"`
	Capital    *economics.CapitalReport       `json:"capital,omitempty"`
}

func (v econView) Table(w io.Writer) error {
	if err := v.table(w); err != nil || v.Capital == nil {
		return err
	}
	return v.Capital.Table(w)
}

func (v econView) table(w io.Writer) error {
	// The report's market line already names the source and its age; the
	// note (origin, failed sources) is in the JSON and the warnings log.
	if err := v.Report.Table(w); err != nil {
		return err
	}
	if len(v.Breakevens) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nBreakeven hashprice (now $%.2f/PH/day): the hashprice at which the miner earns as much per facility watt\n", v.Market.HashpriceUSDPerPHDay)
	t := newTable(w, "miner", "versus", "revenue $/PH/day", "net $/PH/day", "BTC price at revenue breakeven")
	for _, b := range v.Breakevens {
		t.row(b.Miner, b.Versus, fmt.Sprintf("%.2f", b.RevenueUSDPerPHDay), fmt.Sprintf("%.2f", b.NetUSDPerPHDay), fmt.Sprintf("$%.0f", b.BTCPriceUSD))
	}
	return t.flush()
}

func (v econView) Points() []metric.Point {
	pts := v.Report.Points()
	if v.Capital != nil {
		pts = append(pts, v.Capital.Points(v.EvaluatedAt)...)
	}
	return pts
}
