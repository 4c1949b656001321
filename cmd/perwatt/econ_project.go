package main

import (
	"fmt"
	"io"
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
at --btc-growth a year and fees per block held at the market's. Every
assumption is printed with the result.`,
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
			if !cmd.Flags().Changed("years") && l.TermYears > 0 {
				years = int(l.TermYears + 0.999)
			}
			as := economics.Assumptions{Years: years, DifficultyGrowthPerRetarget: diffGrowth, BTCPriceGrowthPerYear: growth,
				FeesBTCPerBlock: m.market.FeesBTCPerBlock, BlocksPerDay: economics.BlocksPerDay, StartHeight: m.market.Height, PowerPrice: price,
				MineAtLoss: mineAtLoss}
			if as.StartHeight == 0 {
				return usagef("the market has no block height (--subsidy given): give --height for a projection")
			}
			pr, err := economics.Project(p, l, m.market, as)
			if err != nil {
				return usageError{err}
			}
			return a.render(projectView{Projection: pr, MW: mw, MarketNote: m.note, at: time.Now()})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&miner, "miner", "name=S21 XP", "miner SPEC, as for 'perwatt econ'")
	fl.StringVar(&colo, "colo", "name=Hut 8–Fluidstack", "lease SPEC, as for 'perwatt econ --colo'")
	fl.IntVar(&years, "years", 5, "years to project (default: the lease term)")
	fl.Float64Var(&diffGrowth, "difficulty-growth", 0.01, "difficulty growth per 2016-block retarget (0.01 = +1 %, about +30 %/yr, near 2025's pace)")
	fl.Float64Var(&growth, "btc-growth", 0, "BTC price growth per year (0 = flat)")
	fl.Float64Var(&mw, "mw", 1, "facility power in MW to scale the results to")
	fl.BoolVar(&mineAtLoss, "mine-at-loss", false, "keep mining on days whose revenue is below their power cost (default: those days are off)")
	return cmd
}

type projectView struct {
	economics.Projection
	MW         float64 `json:"facility_mw"`
	MarketNote string  `json:"market_note"`
	at         time.Time
}

func (v projectView) Table(w io.Writer) error {
	a, m := v.Assumptions, v.Start
	fmt.Fprintf(w, "Assumptions (all of them):\n")
	fmt.Fprintf(w, "  start: %s, as of %s: height %d, difficulty %.4g, BTC $%.0f\n", m.Source, m.AsOf.UTC().Format("2006-01-02"), a.StartHeight, m.Difficulty, m.BTCPriceUSD)
	fmt.Fprintf(w, "  difficulty %+.2f%% per 2016-block retarget; BTC price %+.1f%%/yr; fees %.4f BTC/block held; %g blocks/day\n",
		a.DifficultyGrowthPerRetarget*100, a.BTCPriceGrowthPerYear*100, a.FeesBTCPerBlock, a.BlocksPerDay)
	fmt.Fprintf(w, "  subsidy halves at block %d; power $%.4f/kWh flat; %g MW of facility power for each use\n",
		economics.NextHalvingHeight(a.StartHeight), a.PowerPrice, v.MW)
	loss := "mining is switched off on days it does not cover its power"
	if a.MineAtLoss {
		loss = "mining runs even at a loss"
	}
	fmt.Fprintf(w, "  the same fleet throughout (no upgrades); %s\n", loss)
	fmt.Fprintf(w, "  mining: %s; lease: %s\n\n", v.Miner, v.Lease)
	t := newTable(w, "year", "end height", "avg hashprice $/PH/d", "mining rev $M", "mining power $M", "mining profit $M", "days off", "lease rev $M", "lease power $M", "lease profit $M")
	s := v.MW / 1e6
	for _, y := range v.Years {
		t.row(fmt.Sprint(y.Year), fmt.Sprint(y.EndHeight), fmt.Sprintf("%.2f", y.AvgHashpriceUSDPerPHDay),
			fmt.Sprintf("%.3f", y.MiningRevenueUSD*s), fmt.Sprintf("%.3f", y.MiningPowerCostUSD*s), fmt.Sprintf("%.3f", y.MiningProfitUSD*s),
			fmt.Sprint(y.MiningDaysOff), fmt.Sprintf("%.3f", y.LeaseRevenueUSD*s), fmt.Sprintf("%.3f", y.LeasePowerCostUSD*s), fmt.Sprintf("%.3f", y.LeaseProfitUSD*s))
	}
	t.row("total", "", "", "", "", fmt.Sprintf("%.3f", v.MiningProfitUSD*s), "", "", "", fmt.Sprintf("%.3f", v.LeaseProfitUSD*s))
	return t.flush()
}

func (v projectView) Points() []metric.Point {
	var pts []metric.Point
	for _, y := range v.Years {
		pts = append(pts, metric.New("economics_projection", map[string]string{"miner": v.Miner, "lease": v.Lease, "year": fmt.Sprint(y.Year)},
			map[string]any{"mining_profit_usd": y.MiningProfitUSD * v.MW, "lease_profit_usd": y.LeaseProfitUSD * v.MW,
				"mining_revenue_usd": y.MiningRevenueUSD * v.MW, "lease_revenue_usd": y.LeaseRevenueUSD * v.MW,
				"avg_hashprice_usd_per_ph_day": y.AvgHashpriceUSDPerPHDay}, v.at))
	}
	return pts
}
