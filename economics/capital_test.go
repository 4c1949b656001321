package economics

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// The figures below were computed by hand (and checked in a spreadsheet),
// not by this package: a change to the model that moves them is a change of
// behaviour to be explained.

func approx(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f (±%g)", what, got, want, tol)
	}
}

func TestNPVAndIRRByHand(t *testing.T) {
	flows := []float64{-1000, 500, 500, 500}
	// −1000 + 500/1.1 + 500/1.21 + 500/1.331
	approx(t, "NPV at 10%", NPV(0.10, flows), 243.425995, 1e-5)
	r, note, err := IRR(flows)
	if err != nil || note != "" {
		t.Fatalf("IRR: %v %q", err, note)
	}
	approx(t, "IRR", r, 0.233751928, 1e-8) // the 3-year annuity factor 2.0
}

func TestIRRAbsent(t *testing.T) {
	for name, flows := range map[string][]float64{
		"never returns": {-1000, -10, 0},
		"nothing spent": {0, 100, 100},
		"all zero":      {0, 0},
	} {
		_, _, err := IRR(flows)
		var no NoIRR
		if !errors.As(err, &no) || no.Reason == "" {
			t.Errorf("%s: err = %v, want a NoIRR with its reason", name, err)
		}
	}
	// Two sign changes: an IRR is given with a warning.
	if _, note, err := IRR([]float64{-100, 230, -132}); err != nil || !strings.Contains(note, "more than one IRR") {
		t.Errorf("sign-changing flows: note %q err %v", note, err)
	}
}

func TestPaybackAndLoanByHand(t *testing.T) {
	got, ok := Payback(250, []float64{100, 100, 100})
	if !ok {
		t.Fatal("no payback")
	}
	approx(t, "payback periods", got, 2.5, 1e-12)
	if _, ok := Payback(1000, []float64{100, 100}); ok {
		t.Error("payback reported for flows that never repay")
	}
	// 1.2M at 8 % over 3 years: 1.2M × 0.08 / (1 − 1.08^−3).
	approx(t, "loan payment", LoanPayment(1.2e6, 0.08, 3), 465640.216856, 1e-5)
	approx(t, "zero-rate loan", LoanPayment(900, 0, 3), 300, 1e-12)
}

// handLease: $100/kW-month of IT at PUE 1.0 with a 10 % escalator over a
// 3-year triple-net term, $2.4M/MW of fit-out with a 3-year life: the flows
// are −2.4M, 1.2M, 1.32M, 1.452M per MW, each discounting to 1.090909M at 10 %.
func handLease() Colocation {
	return Colocation{Name: "hand lease", RateUSDPerKWMonth: 100, EscalatorPerYear: 0.10, TermYears: 3, ITLoadW: 2e6,
		PUE: 1, PowerPassthrough: true, LoadFactor: 1,
		Capital: Capital{FitOutUSDPerMWIT: 2.4e6, LifeYears: 3}}
}

func handAssumptions() Assumptions {
	return Assumptions{BlocksPerDay: BlocksPerDay, StartHeight: 900_000, PowerPrice: 0.05, DiscountRate: 0.10,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func TestAppraiseLeaseByHand(t *testing.T) {
	inv, err := Appraise(handLease(), testMarket(), handAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if inv.HorizonYears != 3 || len(inv.Years) != 4 {
		t.Fatalf("horizon %d, %d rows", inv.HorizonYears, len(inv.Years))
	}
	for i, want := range []float64{-2.4e6, 1.2e6, 1.32e6, 1.452e6} {
		approx(t, "project cash year "+string(rune('0'+i)), inv.Years[i].ProjectCashUSDPerMW, want, 1e-3)
	}
	approx(t, "NPV per MW", inv.NPVUSDPerMW, 872727.272727, 1e-3)
	approx(t, "NPV total (2 MW)", inv.NPVUSDTotal, 1745454.545455, 1e-3)
	approx(t, "IRR", *inv.IRR, 0.289955903, 1e-7)
	// 1.2M of year 1, then 1.2M more at 1.32M/365 a day: 365 + 331.818 days.
	approx(t, "payback months", *inv.PaybackMonths, 22.909090909, 1e-6)
	// NPV = 0 when the rate is scaled by (2.4/3.272727) = 0.733333.
	approx(t, "breakeven lease", *inv.BreakevenLeaseUSDPerKWMonth, 73.333333, 1e-4)
	if inv.EquityNPVUSDPerMW != nil {
		t.Error("equity figures without debt")
	}
}

func TestAppraiseLeaseWithRampAndCommencement(t *testing.T) {
	l := handLease()
	a := handAssumptions()
	// Commencement at the valuation date, ramping over two months from 0:
	// the first 31 days (day 0..30 of month 0) earn half.
	l.Capital.RampMonths = 2
	inv, err := Appraise(l, testMarket(), a)
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "year 1 revenue with ramp", inv.Years[1].RevenueUSDPerMW, 1.2e6*349.5/365, 1e-3)
	approx(t, "year 2 revenue", inv.Years[2].RevenueUSDPerMW, 1.32e6, 1e-3)
	// A commencement one year out: the 3-year term then runs to year 4,
	// and year 1 earns nothing.
	l.Capital.RampMonths = 0
	l.Capital.Commencement = a.Start.AddDate(1, 0, 0)
	l.Capital.LifeYears = 0
	inv, err = Appraise(l, testMarket(), a)
	if err != nil {
		t.Fatal(err)
	}
	if inv.HorizonYears != 4 {
		t.Fatalf("horizon %d, want 4 (1 year to commencement + 3-year term)", inv.HorizonYears)
	}
	approx(t, "year 1 revenue before commencement", inv.Years[1].RevenueUSDPerMW, 0, 0)
	approx(t, "year 2 revenue (lease year 1)", inv.Years[2].RevenueUSDPerMW, 1.2e6, 1e-3)
	approx(t, "year 4 revenue (lease year 3)", inv.Years[4].RevenueUSDPerMW, 1.452e6, 1e-3)
}

func TestAppraiseFinancedByHand(t *testing.T) {
	l := handLease()
	l.Capital.DebtShare, l.Capital.DebtRate, l.Capital.DebtTermYears = 0.5, 0.08, 3
	inv, err := Appraise(l, testMarket(), handAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	// Equity: −1.2M, then each year's lease less 465,640.22 of debt service.
	for i, want := range []float64{-1.2e6, 734359.783144, 854359.783144, 986359.783144} {
		approx(t, "equity cash", inv.Years[i].EquityCashUSDPerMW, want, 1e-3)
	}
	approx(t, "equity NPV", *inv.EquityNPVUSDPerMW, 914748.972358, 1e-3)
	approx(t, "equity IRR", *inv.EquityIRR, 0.473621441, 1e-7)
	approx(t, "project NPV unchanged by financing", inv.NPVUSDPerMW, 872727.272727, 1e-3)
}

// handMiner: 100 TH at 1000 W, no pool fee, always up, $20/TH, 2-year life
// with 10 % salvage and $5/kW-month of other opex, on a flat market of
// difficulty 1e14, 3.125 BTC, no fees, $100,000: 6.2864e-5 BTC a day each,
// $2,294,545.99 a year per MW; power $438,000; opex $60,000.
func TestAppraiseMinerByHand(t *testing.T) {
	p := NewMining("hand miner", 100e12, 1000)
	p.PoolFee, p.Uptime = 0, 1
	p.Capital = Capital{CapexUSDPerTH: 20, LifeYears: 2, SalvageShare: 0.1, OpexUSDPerKWMonth: 5}
	m := Market{Difficulty: 1e14, BTCPriceUSD: 100_000, SubsidyBTC: 3.125, Height: 900_000}
	inv, err := Appraise(p, m, handAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "capex per MW", inv.CapexUSDPerMW, 2e6, 1e-6)
	approx(t, "revenue year 1", inv.Years[1].RevenueUSDPerMW, 2294545.993209, 1e-3)
	approx(t, "power year 1", inv.Years[1].PowerCostUSDPerMW, 438000, 1e-6)
	approx(t, "opex year 1", inv.Years[1].OpexUSDPerMW, 60000, 1e-6)
	approx(t, "salvage year 2", inv.Years[2].SalvageUSDPerMW, 200000, 1e-6)
	approx(t, "NPV", inv.NPVUSDPerMW, 1283261.641106, 1e-3)
	approx(t, "payback months", *inv.PaybackMonths, 13.358967759, 1e-6)
	// NPV = 0 at revenue × 0.677756: hashprice 62.864 → 42.607 $/PH/day.
	approx(t, "breakeven hashprice", *inv.BreakevenHashpriceUSDPerPHDay, 42.606654, 1e-4)
}

func TestAppraiseRejectsOverflow(t *testing.T) {
	p := NewMining("hot", 100e12, 1000)
	m := Market{Difficulty: 1e-300, BTCPriceUSD: 1e300, SubsidyBTC: 3.125, Height: 900_000}
	if _, err := Appraise(p, m, handAssumptions()); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("err = %v, want an overflow error naming the inputs", err)
	}
}

func dealByPrefix(t *testing.T, prefix string) Colocation {
	t.Helper()
	for _, d := range Deals() {
		if strings.HasPrefix(d.Name, prefix) {
			return d
		}
	}
	t.Fatalf("no deal %q", prefix)
	return Colocation{}
}

func TestDealsOnCapital(t *testing.T) {
	a := handAssumptions()
	m := testMarket()
	// IREN–Microsoft: $5.8B / 200 MW = $29M of GPUs and $9M of hall per MW
	// of IT; per MW of facility power at PUE 1.3: 38M / 1.3.
	iren, err := Appraise(dealByPrefix(t, "IREN"), m, a)
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "IREN capex per MW", iren.CapexUSDPerMW, 38e6/1.3, 1e-3)
	approx(t, "IREN capex total", iren.CapexUSDTotal, 200*38e6, 1)
	if iren.Kind != KindGPUCloud || iren.HorizonYears != 6 { // 0.4 year to commencement + 5
		t.Errorf("IREN kind %s horizon %d", iren.Kind, iren.HorizonYears)
	}
	// Full year (year 3, past the ramp): 85 % of $9.7M per MW of IT.
	approx(t, "IREN year 3 operating cash", iren.Years[3].OperatingCashUSDPerMW, 0.85*9.7e6/1.3, 1)

	// Hut 8: valued from signing (2025-12-17); commencement 2027-06-30 is
	// 560 days on, so lease year 1 starts inside model year 2 and the
	// horizon is ⌈560/365 + 15⌉ = 17 years.
	hut, err := Appraise(dealByPrefix(t, "Hut 8"), m, a)
	if err != nil {
		t.Fatal(err)
	}
	if hut.HorizonYears != 17 || hut.Years[1].RevenueUSDPerMW != 0 || !hut.ValuedFrom.Equal(date(2025, 12, 17)) {
		t.Errorf("Hut 8 horizon %d, year-1 revenue %v, valued from %v", hut.HorizonYears, hut.Years[1].RevenueUSDPerMW, hut.ValuedFrom)
	}
	// Year 5 is lease year 3 or 4 in full: revenue = 12,000/1.3 × r1 ×
	// 1.03^k blended by days; check the NOI margin holds exactly.
	y := hut.Years[5]
	approx(t, "Hut 8 NOI margin", y.OperatingCashUSDPerMW/y.RevenueUSDPerMW, 6.9/7.0, 1e-12)
	if hut.EquityIRR == nil || hut.IRR == nil || *hut.EquityIRR <= *hut.IRR {
		t.Errorf("85%% debt at 7%% should lever the IRR up: project %v equity %v", pct(hut.IRR), pct(hut.EquityIRR))
	}

	// Core Scientific: the tenant funds the build-out, so the operator's
	// capex per MW is its own $1.5M share / 1.3, not a whole data hall.
	core, err := Appraise(dealByPrefix(t, "Core"), m, a)
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "Core Scientific capex per MW", core.CapexUSDPerMW, 1.5e6/1.3, 1e-3)
	// TeraWulf: the 3 % escalator and 85 % margin: year-1 rate $134.48.
	wulf := dealByPrefix(t, "TeraWulf")
	approx(t, "TeraWulf year-1 rate", wulf.RateUSDPerKWMonth, 3.7e9/(12000*200*11.463879), 1e-4)
}

func TestCapitalReportGolden(t *testing.T) {
	var ps []Profile
	for _, d := range Deals() {
		ps = append(ps, d)
	}
	ps = append(ps, Miners()[2], GPUs()[0])
	a := handAssumptions()
	a.DifficultyGrowthPerRetarget = 0.01
	r, err := AppraiseAll(ps, testMarket(), a)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.Table(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "capital.table.golden", []byte(b.String()))
	for _, p := range r.Points(a.Start) {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestNPVCurveMatchesAppraise(t *testing.T) {
	p := Miners()[2]
	a := handAssumptions()
	curve, err := NPVCurve(p, testMarket(), a, []float64{0.02, 0.05})
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := Appraise(p, testMarket(), a)
	approx(t, "NPV at the appraisal's price", curve[1], inv.NPVUSDPerMW, 1e-6)
	if !(curve[0] > curve[1]) {
		t.Errorf("NPV should fall as power gets dearer: %v", curve)
	}
}

func TestCrossingPowerPrice(t *testing.T) {
	// A miner earning $4000/MW-day and paying for 24 MWh/day crosses a
	// triple-net lease netting $1600/MW-day at (4000 − 1600) / 24,000 = $0.10/kWh.
	miner := Result{Name: "m", FacilityPowerW: 1e6, RevenueUSDPerDay: 4000, EnergyKWhPerDay: 24000}
	be := 4000.0 / 24000
	miner.BreakevenPowerPriceUSDPerKWh = &be
	lease := Result{Name: "l", FacilityPowerW: 1e6, RevenueUSDPerDay: 1600, NetUSDPerDay: 1600, EnergyKWhPerDay: 24000}
	x, ok := CrossingPowerPrice(miner, lease)
	if !ok {
		t.Fatal("no crossing")
	}
	approx(t, "crossing", x, 0.10, 1e-12)
}

func TestAppraisePrepaymentByHand(t *testing.T) {
	l := handLease()
	// 30 % of the contract (1.2 + 1.32 + 1.452 = $3.972M per MW) prepaid,
	// credited evenly over lease years 2–3: +1.1916M now, −0.5958M a year.
	l.Capital.PrepaymentShare, l.Capital.PrepaymentCreditFromYear = 0.30, 2
	inv, err := Appraise(l, testMarket(), handAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{-1.2084e6, 1.2e6, 0.7242e6, 0.8562e6} {
		approx(t, "project cash with prepayment", inv.Years[i].ProjectCashUSDPerMW, want, 1e-3)
	}
}
