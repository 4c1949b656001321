package economics

import (
	"math"
	"strings"
	"testing"
)

func TestProjectionFlatAndEscalator(t *testing.T) {
	m := testMarket() // height 900,000: 150,000 blocks (> 2 years at 144/day) before the halving
	s21xp := NewMining("S21 XP", 270e12, 3645)
	hut := flatShell(1.25)
	hut.EscalatorPerYear, hut.TermYears = 0.03, 15
	a := Assumptions{Years: 2, FeesBTCPerBlock: m.FeesBTCPerBlock, BlocksPerDay: 144, StartHeight: 900_000, PowerPrice: 0.05}
	p, err := Project(s21xp, hut, m, a)
	if err != nil {
		t.Fatal(err)
	}
	perWYear := 75_816_000.0 / 429_496_729_600 * 0.975 * 0.95 * 100_000 * 365 / 3645
	// Flat difficulty and price: each year per MW is the per-W figure × 1e6 = $1,637,286,
	// less 8760 × 0.95 MWh × $50 = $416,100 of power.
	for _, y := range p.Years {
		check(t, "mining revenue", y.MiningRevenueUSD, perWYear*1e6)
		check(t, "mining power", y.MiningPowerCostUSD, 416_100)
	}
	// Lease per facility MW at PUE 1.25: 800 kW IT × $100 × 12 = $960,000 in year 1,
	// × 1.03 = $988,800 in year 2; triple-net, no power cost.
	check(t, "lease y1", p.Years[0].LeaseRevenueUSD, 960_000)
	check(t, "lease y2", p.Years[1].LeaseRevenueUSD, 988_800)
	check(t, "lease profit", p.LeaseProfitUSD, 960_000+988_800)
	if p.Years[1].EndHeight != 900_000+2*365*144 {
		t.Errorf("end height %d", p.Years[1].EndHeight)
	}
}

func TestProjectionHalvingAndRetargets(t *testing.T) {
	m := testMarket()
	m.Height = 1_050_000 - 100*144 // 100 days before the halving at 144 blocks/day
	miner := NewMining("m", 1e15, 20_000)
	a := Assumptions{Years: 1, FeesBTCPerBlock: 0.125, BlocksPerDay: 144, StartHeight: m.Height, PowerPrice: 0}
	p, err := Project(miner, flatShell(1.2), m, a)
	if err != nil {
		t.Fatal(err)
	}
	// Each day is valued at the height it starts at: 100 days at 3.125 + 0.125 BTC a block,
	// 265 at 1.5625 + 0.125. Revenue ∝ reward: full-day revenue × (100 + 265 × 1.6875/3.25).
	full := miner.BTCPerDay(m) * m.BTCPriceUSD * 1e6 / 20_000
	check(t, "revenue across the halving", p.Years[0].MiningRevenueUSD, full*(100+265*1.6875/3.25))
	check(t, "avg subsidy", p.Years[0].AvgSubsidyBTC, (100*3.125+265*1.5625)/365)

	// +1 % a retarget: difficulty is multiplied at each multiple of 2016 crossed.
	a.DifficultyGrowthPerRetarget = 0.01
	a.StartHeight = 2016 * 450 // 907,200, at a retarget: the next is 14 days later; subsidy 3.125
	m.Height = a.StartHeight
	p, _ = Project(miner, flatShell(1.2), m, a)
	// Day d starts at height +144d, past floor(144d / 2016) = floor(d/14) retargets:
	// days 0..13 at D, 14..27 at 1.01 D, …, days 364 at 1.01^26 D.
	want := 0.0
	for d := 0; d < 365; d++ {
		want += full / math.Pow(1.01, float64(d/14))
	}
	check(t, "revenue with difficulty growth", p.Years[0].MiningRevenueUSD, want)
}

func TestProjectionRejectsBadAssumptions(t *testing.T) {
	_, err := Project(NewMining("m", 1e15, 1000), flatShell(1.2), testMarket(),
		Assumptions{Years: 0, DifficultyGrowthPerRetarget: -0.9, BTCPriceGrowthPerYear: -2, FeesBTCPerBlock: -1, BlocksPerDay: 0})
	for _, w := range []string{"years", "difficulty growth", "BTC price growth", "fees", "blocks per day"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

func TestProjectionSwitchesOffLossMakingDays(t *testing.T) {
	m := testMarket()
	// An S19j Pro at $0.10/kWh: revenue/MWh = 65.3788 × 0.1 PH × 0.975 × 0.95 / (3.05 kW × 24 h × 0.95 / 1000)
	// = $87.08/MWh < $100/MWh, so every day loses money and is switched off.
	old := NewMining("S19j Pro", 100e12, 3050)
	a := Assumptions{Years: 1, FeesBTCPerBlock: m.FeesBTCPerBlock, BlocksPerDay: 144, StartHeight: 900_000, PowerPrice: 0.10}
	p, err := Project(old, flatShell(1.2), m, a)
	if err != nil {
		t.Fatal(err)
	}
	if y := p.Years[0]; y.MiningDaysOff != 365 || y.MiningProfitUSD != 0 {
		t.Errorf("days off %d, profit %v; want 365 and 0", y.MiningDaysOff, y.MiningProfitUSD)
	}
	a.MineAtLoss = true
	p, _ = Project(old, flatShell(1.2), m, a)
	if y := p.Years[0]; y.MiningDaysOff != 0 || y.MiningProfitUSD >= 0 {
		t.Errorf("mining at a loss: days off %d, profit %v", y.MiningDaysOff, y.MiningProfitUSD)
	}
}

func TestProjectionLeaseCommencementRampAndWarning(t *testing.T) {
	m := testMarket()
	hut := dealByPrefix(t, "Hut 8")
	// From 2026-12-30, six months before the 2027-06-30 commencement: year 1
	// earns only from day 182 on, ramping over 6 months; year 2 is full.
	a := Assumptions{Years: 3, FeesBTCPerBlock: m.FeesBTCPerBlock, BlocksPerDay: 144, StartHeight: 900_000, PowerPrice: 0.05,
		DiscountRate: 0.1, DifficultyGrowthPerRetarget: 0.05, Start: date(2026, 12, 30)}
	p, err := Project(NewMining("S21 XP", 270e12, 3645), hut, m, a)
	if err != nil {
		t.Fatal(err)
	}
	full := hut.RateUSDPerKWMonth * 12 * 1000 / 1.3 // lease year 1, per facility MW
	y1, y2 := p.Years[0], p.Years[1]
	if !(y1.LeaseRevenueUSD > 0 && y1.LeaseRevenueUSD < 0.4*full) {
		t.Errorf("year 1 lease revenue %.0f, want a ramping part of %.0f", y1.LeaseRevenueUSD, full)
	}
	if !(y2.LeaseRevenueUSD > full && y2.LeaseRevenueUSD < full*1.03) {
		t.Errorf("year 2 lease revenue %.0f: lease year 1 then 2 at +3 %%", y2.LeaseRevenueUSD)
	}
	if math.Abs(y2.LeaseProfitUSD/y2.LeaseRevenueUSD-6.9/7.0) > 1e-12 {
		t.Errorf("lease profit %.0f is not the stated NOI margin of %.0f", y2.LeaseProfitUSD, y2.LeaseRevenueUSD)
	}
	if p.LeaseCapital.ValuedFrom != a.Start || p.LeaseCapital.IRR == nil && p.LeaseCapital.IRRNote == "" {
		t.Errorf("lease capital valued from %v, IRR %v %q", p.LeaseCapital.ValuedFrom, p.LeaseCapital.IRR, p.LeaseCapital.IRRNote)
	}
	// +5 % a retarget for 3 years against a flat price: a 10×+ fall in hashprice.
	if len(p.Warnings) == 0 || !strings.Contains(p.Warnings[0], "difficulty grows") {
		t.Errorf("warnings %q", p.Warnings)
	}
}
