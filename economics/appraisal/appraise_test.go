package appraisal

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// The fixed market of the hand computation (README.md, "Appraisal: a worked
// example" walks through the same numbers):
//
//	BTC per H/s per day = 86400 × (3.125 + 0.025) / (1e14 × 2^32) = 6.3367e-19
//	hashprice           = 6.3367e-19 × 1e12 × 100,000 = 0.063367 USD/TH/day
var handMarket = economics.Market{Difficulty: 1e14, BTCPriceUSD: 100000, SubsidyBTC: 3.125,
	FeesBTCPerBlock: 0.025, Source: "test", AsOf: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}

var handTerms = DefaultTerms(0.05)

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want %.10g", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.10g, want %.10g", what, *got, want)
	}
}

func TestAppraiseRigByHand(t *testing.T) {
	// 200 TH/s at a measured 3500 W, 2.5 % FPPS pool, PUE 1, $0.05/kWh:
	//   revenue  = 200e12 × 6.3367e-19 × 0.975 × 100,000 = 12.3566 USD/day
	//   power    = 3.5 kW × 24 h × 0.05                   = 4.20 USD/day
	//   net      = 8.1566 USD/day = 0.85062 USD/W-year (× 365 / 3500)
	//   breakeven = 12.3566 / 84 kWh                       = 0.147102 USD/kWh
	a, err := Appraise(handMarket, handTerms, Reading{Kind: KindASIC, ID: "rig-a", Model: "Antminer S21",
		HashrateHS: 200e12, PowerW: 3500, PowerSource: PowerMeasured})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "hashprice", &a.HashpriceUSDPerTHDay, 0.06336718797683717)
	near(t, "revenue", &a.Mining.RevenueUSDPerDay, 12.356601655483246)
	near(t, "net/day", a.Mining.NetUSDPerDay, 8.156601655483247)
	near(t, "revenue/W-yr", a.Mining.RevenueUSDPerWYear, 1.28861702978611)
	near(t, "net/W-yr", a.Mining.NetUSDPerWYear, 0.8506170297861101)
	near(t, "breakeven", a.Mining.BreakevenPowerPriceUSDPerKWh, 0.14710240066051483)
	near(t, "margin", a.Mining.MarginUSDPerMWh, (0.14710240066051483-0.05)*1000)
	near(t, "J/TH", a.JPerTH, 17.5)
	if a.Best != UseMining || a.BelowBreakeven || a.Leasing != nil {
		t.Errorf("best %q below %v leasing %v; want mining, false, nil", a.Best, a.BelowBreakeven, a.Leasing)
	}

	// At $0.20/kWh the same rig is under water.
	hot := handTerms
	hot.PowerPriceUSDPerKWh = 0.20
	a, err = Appraise(handMarket, hot, Reading{Kind: KindASIC, ID: "rig-a", HashrateHS: 200e12, PowerW: 3500, PowerSource: PowerMeasured})
	if err != nil {
		t.Fatal(err)
	}
	if !a.BelowBreakeven || *a.Mining.MarginUSDPerMWh >= 0 {
		t.Errorf("at 0.20 USD/kWh: below_breakeven %v margin %v; want true and negative", a.BelowBreakeven, *a.Mining.MarginUSDPerMWh)
	}
}

func TestAppraiseWithoutPowerIsRevenueOnly(t *testing.T) {
	a, err := Appraise(handMarket, handTerms, Reading{Kind: KindASIC, ID: "rig-b", HashrateHS: 100e12,
		PowerNote: "firmware reports no power and no nameplate_w is set"})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "revenue", &a.Mining.RevenueUSDPerDay, 6.178300827741623)
	if a.PowerW != nil || a.Mining.NetUSDPerDay != nil || a.Mining.RevenueUSDPerWYear != nil || a.JPerTH != nil {
		t.Errorf("per-watt figures without power: %+v", a.Mining)
	}
	if a.PowerSource != PowerNone || a.PowerNote == "" || a.Best != "" || a.BelowBreakeven {
		t.Errorf("source %q note %q best %q below %v", a.PowerSource, a.PowerNote, a.Best, a.BelowBreakeven)
	}
	pt := a.Point("offline", time.Hour, handMarket.AsOf)
	for _, k := range []string{"power_w", "mining_net_usd_per_day", "mining_revenue_usd_per_w_year", "best_use"} {
		if _, ok := pt.Fields[k]; ok {
			t.Errorf("field %s written without power", k)
		}
	}
	if pt.Tags["power_source"] != "none" || pt.Fields["mining_revenue_usd_per_day"] == nil {
		t.Errorf("point: %v %v", pt.Tags, pt.Fields)
	}
}

func TestAppraiseGPUByHand(t *testing.T) {
	// H100 from a benchmark: SHA-256d 5 GH/s at 650 W board, AI load 690 W
	// board, 700 TFLOPS; the catalogue's DGX share adds 575 W per GPU and
	// prices it at 2.00 USD/GPU-hour, billed 70 % of hours:
	//   lease revenue = 2.00 × 24 × 0.7 = 33.60 USD/day over 690 + 575 = 1265 W
	//   lease net     = 33.60 − 1.265 × 24 × 0.05 = 32.082 USD/day = 9.25686 USD/W-yr
	//   mining net    = 0.000309 − 1.225 × 24 × 0.05 = −1.46969 USD/day = −0.43791 USD/W-yr
	r := Reading{Kind: KindGPU, ID: "0000:3b:00.0", Model: "NVIDIA H100 80GB HBM3", PowerW: 600,
		PowerSource: PowerMeasured, HashrateHS: 5e9, HashPowerW: 650, AILoadW: 690, FLOPS: 7e14}
	a, err := Appraise(handMarket, handTerms, r)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "lease revenue", &a.Leasing.RevenueUSDPerDay, 33.6)
	near(t, "lease power", a.Leasing.PowerW, 1265)
	near(t, "lease net/W-yr", a.Leasing.NetUSDPerWYear, 9.25686166007905)
	near(t, "lease breakeven", a.Leasing.BreakevenPowerPriceUSDPerKWh, 1.1067193675889326)
	near(t, "mining net/W-yr", a.Mining.NetUSDPerWYear, -0.4379079559264439)
	near(t, "J/TH", a.JPerTH, 245000)
	near(t, "FLOP/J", a.FLOPPerJ, 7e14/690)
	near(t, "by", a.BestByNetUSDPerWYear, 9.25686166007905+0.4379079559264439)
	if a.Best != UseLeasing || a.BelowBreakeven {
		t.Errorf("best %q below %v; want leasing, false", a.Best, a.BelowBreakeven)
	}

	// The operator's own rate for the model wins over the catalogue.
	own := handTerms
	own.LeaseRates = map[string]float64{"H100": 3.0, "H": 1.0}
	if a, _ = Appraise(handMarket, own, r); a.Leasing.LeaseRateUSDPerGPUHour != 3.0 {
		t.Errorf("lease rate %v, want 3.0 (longest matching key)", a.Leasing.LeaseRateUSDPerGPUHour)
	}
	// A model nobody prices is not leased, and says why.
	r.Model = "Tesla K80"
	if a, _ = Appraise(handMarket, handTerms, r); a.Leasing != nil || a.LeasingNote == "" {
		t.Errorf("unpriced GPU leased: %+v %q", a.Leasing, a.LeasingNote)
	}
}

func TestMergeSpreadsWallPowerOverGPUs(t *testing.T) {
	rs := Merge([]Reading{
		{Kind: KindGPU, ID: "b", Model: "H100", PowerW: 300, PowerSource: PowerMeasured},
		{Kind: KindGPU, ID: "a", Model: "H100", PowerW: 100, PowerSource: PowerMeasured},
		{Kind: KindGPU, ID: "a", AILoadW: 690, HashrateHS: 5e9, HashPowerW: 650}, // the benchmark of GPU a
		{Kind: KindHost, ID: "local", PowerW: 1000, PowerSource: PowerWall},
	})
	if len(rs) != 3 {
		t.Fatalf("merged %d readings, want 3: %+v", len(rs), rs)
	}
	a, b := rs[0], rs[1]
	if a.ID != "a" || a.PowerSource != PowerWall || a.PowerW != 250 || a.BoardPowerW != 100 || a.AILoadW != 690 || a.HashrateHS != 5e9 {
		t.Errorf("gpu a: %+v; want wall share 250 of 1000 W, board 100, the benchmark's figures kept", a)
	}
	if b.PowerW != 750 || b.BoardPowerW != 300 {
		t.Errorf("gpu b: %+v; want wall share 750, board 300", b)
	}
	// The wall reading's overhead replaces the catalogue's: 250 − 100 = 150 W.
	ap, err := Appraise(handMarket, handTerms, a)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "lease power", ap.Leasing.PowerW, 690+150)
	near(t, "board", ap.BoardPowerW, 100)
	if ap.PowerSource != PowerWall {
		t.Errorf("power source %q, want wall", ap.PowerSource)
	}
}

type fixedMarket struct {
	q   Quote
	err error
}

func (f fixedMarket) Quote(context.Context) (Quote, error) { return f.q, f.err }

type readings []Reading

func (r readings) Readings() []Reading { return r }

func TestJobWritesNothingWithoutMarket(t *testing.T) {
	j := &Job{Sources: []Source{readings{{Kind: KindASIC, ID: "r", HashrateHS: 1e12}}},
		Market: fixedMarket{err: errors.New("mempool: 503")}, Terms: handTerms}
	pts, err := j.Collect(context.Background())
	if err == nil || len(pts) != 0 {
		t.Fatalf("no market: %d points, err %v; want none and an error", len(pts), err)
	}
	// No device and no catalogue: no market asked, nothing written, no error.
	j.Sources = nil
	if pts, err := j.Collect(context.Background()); err != nil || len(pts) != 0 {
		t.Fatalf("no devices: %d points, %v", len(pts), err)
	}
}

func TestTermsValidate(t *testing.T) {
	for _, bad := range []Terms{
		{PowerPriceUSDPerKWh: math.NaN()}, {PowerPriceUSDPerKWh: 50}, {PoolFee: 1}, {PUE: 0.5},
		{Utilization: 1.5}, {LeaseRates: map[string]float64{"H100": -1}}, {LeaseRates: map[string]float64{"--": 2}},
		{Pool: "solo"}, {LeaseRate: math.Inf(1)},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := (Terms{PowerPriceUSDPerKWh: 0.05, LeaseRates: map[string]float64{"H100": 2}}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestCatalogueGPUMatch(t *testing.T) {
	for name, want := range map[string]string{
		"NVIDIA H100 80GB HBM3": "H100", "NVIDIA H200": "H200", "NVIDIA B200": "B200", "NVIDIA L40S": "",
	} {
		g, ok := catalogueGPU(economics.CatalogueKey(name))
		if g.Name != want || ok != (want != "") {
			t.Errorf("%s: %q %v", name, g.Name, ok)
		}
	}
}

// A zero pool fee is a zero-fee pool: the whole reward, not the default 2.5 %.
func TestZeroPoolFeeIsZero(t *testing.T) {
	r := Reading{Kind: KindASIC, ID: "rig-a", HashrateHS: 200e12, PowerW: 3500, PowerSource: PowerMeasured}
	free := handTerms
	free.PoolFee = 0
	a, err := Appraise(handMarket, free, r)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "revenue without a pool fee", &a.Mining.RevenueUSDPerDay, 12.356601655483246/0.975)
}
