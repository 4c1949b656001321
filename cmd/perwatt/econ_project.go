package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/internal/metric"
)

func newEconProjectCmd(a *app, mf *marketFlags) *cobra.Command {
	var (
		miner, colo        string
		years              int
		diffGrowth, growth float64
		discount           float64
		mw                 float64
		mineAtLoss         bool
	)
	cmd := &cobra.Command{
		Use:   "project",
		Short: "Multi-year lease revenue against mining under stated assumptions",
		Long: `project compares, year by year, a colocation lease over its term (with its
escalator) against mining on the same facility power, stepping day by day
through difficulty retargets (--difficulty-growth per 2016 blocks) and the
halving at block 1,050,000 (about 2028), with the BTC price flat or compounding
at --btc-growth a year and fees per block held at the market's. The lease pays
from its commencement, ramping, at its escalated lease-year rate and its stated
margin. Both uses are then appraised on capital over the same years: capex,
yearly cash flows, NPV at --discount-rate, IRR and payback. Every assumption is
printed with the result. Table, JSON and line protocol carry the same figures:
"per_mw" fields per MW of facility power, "total" fields for --mw.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := economics.ParseMiningSpec(miner)
			if err != nil {
				return usagef("--miner %q: %w", miner, err)
			}
			l, err := economics.ParseColocationSpec(colo)
			if err != nil {
				return usagef("--colo %q: %w", colo, err)
			}
			if !(mw > 0) {
				return usagef("--mw %v: must be positive", mw)
			}
			m, err := mf.resolve(a)
			if err != nil {
				return err
			}
			price, err := mf.powerPrice(a)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("years") {
				years = 5
				if l.TermYears > 0 {
					years = int(l.TermYears + 0.999)
				}
			}
			if !cmd.Flags().Changed("discount-rate") {
				discount = a.cfg.Economics.DiscountRate
			}
			now := time.Now()
			as := economics.Assumptions{Years: years, DifficultyGrowthPerRetarget: diffGrowth, BTCPriceGrowthPerYear: growth,
				FeesBTCPerBlock: m.market.FeesBTCPerBlock, BlocksPerDay: economics.BlocksPerDay, StartHeight: m.market.Height, PowerPrice: price,
				MineAtLoss: mineAtLoss, DiscountRate: discount, Start: now}
			ps := withConfiguredCapital(a, []economics.Profile{p, l})
			p, l = ps[0].(economics.Mining), ps[1].(economics.Colocation)
			if as.StartHeight == 0 {
				return usagef("the market has no block height (--subsidy given): give --height for a projection")
			}
			pr, err := economics.Project(p, l, m.market, as)
			if err != nil {
				return usageError{err}
			}
			warnInputs(a, &econFlags{miners: []string{miner}, colos: []string{colo}}, m.market, price)
			for _, w := range pr.Warnings {
				a.logger.Warn(w)
			}
			return a.render(projectView{Projection: pr, MW: mw, MarketNote: m.note, at: now,
				MiningProfitUSDTotal: pr.MiningProfitUSD * mw, LeaseProfitUSDTotal: pr.LeaseProfitUSD * mw})
		},
	}
	fl := cmd.Flags()
	fl.Var(newOnceString(&miner, "name=S21 XP"), "miner", "miner SPEC, as for 'perwatt econ' (one)")
	fl.Var(newOnceString(&colo, "name=Hut 8–Fluidstack"), "colo", "lease SPEC, as for 'perwatt econ --colo' (one)")
	fl.IntVar(&years, "years", 0, "years to project (default: the lease term, else 5)")
	fl.Float64Var(&diffGrowth, "difficulty-growth", 0.01, "difficulty growth per 2016-block retarget (0.01 = +1 %, about +30 %/yr, near 2025's pace)")
	fl.Float64Var(&growth, "btc-growth", 0, "BTC price growth per year (0 = flat)")
	fl.Float64Var(&discount, "discount-rate", 0, "NPV discount rate per year, 0.10 = 10 % (default: economics.discount_rate)")
	fl.Float64Var(&mw, "mw", 1, "facility power in MW for the totals (per-MW figures are per MW of facility power)")
	fl.BoolVar(&mineAtLoss, "mine-at-loss", false, "keep mining on days whose revenue is below their power cost (default: those days are off)")
	return cmd
}

type projectView struct {
	economics.Projection
	MW                   float64 `json:"facility_mw_total"`
	MiningProfitUSDTotal float64 `json:"mining_profit_usd_total"`
	LeaseProfitUSDTotal  float64 `json:"lease_profit_usd_total"`
	MarketNote           string  `json:"market_note"`
	at                   time.Time
}

func (v projectView) Table(w io.Writer) error {
	a, m := v.Assumptions, v.Start
	fmt.Fprintf(w, "Assumptions (all of them):\n")
	fmt.Fprintf(w, "  start: %s, as of %s: height %d, difficulty %.4g, BTC $%.0f\n", m.Source, m.AsOf.UTC().Format("2006-01-02"), a.StartHeight, m.Difficulty, m.BTCPriceUSD)
	fmt.Fprintf(w, "  difficulty %+.2f%% per 2016-block retarget; BTC price %+.1f%%/yr; fees %.4f BTC/block held; %g blocks/day\n",
		a.DifficultyGrowthPerRetarget*100, a.BTCPriceGrowthPerYear*100, a.FeesBTCPerBlock, a.BlocksPerDay)
	fmt.Fprintf(w, "  subsidy halves at block %d; power $%.4f/kWh flat; NPV at %.1f%%/yr; %g MW of facility power for each use\n",
		economics.NextHalvingHeight(a.StartHeight), a.PowerPrice, a.DiscountRate*100, v.MW)
	loss := "mining is switched off on days it does not cover its power"
	if a.MineAtLoss {
		loss = "mining runs even at a loss"
	}
	fmt.Fprintf(w, "  the same fleet throughout (no upgrades); %s\n", loss)
	fmt.Fprintf(w, "  mining: %s; lease: %s\n", v.Miner, v.Lease)
	for _, inv := range []economics.Investment{v.MinerCapital, v.LeaseCapital} {
		fmt.Fprintf(w, "  %s: %s\n", inv.Name, strings.Join(inv.Notes, "; "))
		if inv.Capital.Source != "" {
			fmt.Fprintf(w, "    capital: %s\n", inv.Capital.Source)
		}
	}
	for _, s := range v.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", s)
	}
	fmt.Fprintf(w, "\nOperations, $M total for %g MW each (JSON and line protocol: _per_mw and _total fields):\n", v.MW)
	t := newTable(w, "year", "end height", "avg hashprice $/PH/d", "mining rev", "mining power", "mining profit", "days off", "lease rev", "lease power", "lease other", "lease profit")
	s := v.MW / 1e6
	for _, y := range v.Years {
		t.row(fmt.Sprint(y.Year), fmt.Sprint(y.EndHeight), fmt.Sprintf("%.2f", y.AvgHashpriceUSDPerPHDay),
			fmt.Sprintf("%.3f", y.MiningRevenueUSD*s), fmt.Sprintf("%.3f", y.MiningPowerCostUSD*s), fmt.Sprintf("%.3f", y.MiningProfitUSD*s),
			fmt.Sprint(y.MiningDaysOff), fmt.Sprintf("%.3f", y.LeaseRevenueUSD*s), fmt.Sprintf("%.3f", y.LeasePowerCostUSD*s),
			fmt.Sprintf("%.3f", y.LeaseOtherCostUSD*s), fmt.Sprintf("%.3f", y.LeaseProfitUSD*s))
	}
	t.row("total", "", "", "", "", fmt.Sprintf("%.3f", v.MiningProfitUSD*s), "", "", "", "", fmt.Sprintf("%.3f", v.LeaseProfitUSD*s))
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nOn capital, $M total for %g MW each (year 0 is the capex):\n", v.MW)
	t = newTable(w, "use", "capex", "cash by year", "NPV", "IRR", "payback months")
	for _, inv := range []economics.Investment{v.MinerCapital, v.LeaseCapital} {
		cells := make([]string, len(inv.Years))
		for i, y := range inv.Years {
			cells[i] = fmt.Sprintf("%.3f", y.ProjectCashUSDPerMW*s)
		}
		irr := "none: " + inv.IRRNote
		if inv.IRR != nil {
			irr = fmt.Sprintf("%.1f%%", *inv.IRR*100)
		}
		pb := "never"
		if inv.PaybackMonths != nil {
			pb = fmt.Sprintf("%.1f", *inv.PaybackMonths)
		}
		t.row(inv.Name, fmt.Sprintf("%.3f", inv.CapexUSDPerMW*s), strings.Join(cells, " "), fmt.Sprintf("%.3f", inv.NPVUSDPerMW*s), irr, pb)
	}
	return t.flush()
}

func (v projectView) Points() []metric.Point { return v.Projection.Points(v.MW, v.at) }
