package economics

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// near reports whether got is within a relative 1e-9 of want (absolute 1e-12 near zero).
func near(got, want float64) bool {
	if want == 0 {
		return math.Abs(got) < 1e-12
	}
	return math.Abs(got-want)/math.Abs(want) < 1e-9
}

func check(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}

// testMarket: difficulty 100 T, 3.125 BTC subsidy + 0.125 BTC fees, $100,000.
func testMarket() Market {
	return Market{Difficulty: 100e12, BTCPriceUSD: 100_000, Height: 900_000, SubsidyBTC: 3.125,
		FeesBTCPerBlock: 0.125, Source: "test", AsOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func TestSubsidyBTC(t *testing.T) {
	for _, tc := range []struct {
		height int64
		want   float64
	}{
		{0, 50}, {209_999, 50}, {210_000, 25}, {839_999, 6.25},
		{840_000, 3.125}, {1_049_999, 3.125}, {1_050_000, 1.5625}, {1_260_000, 0.78125},
		// 32 halvings: 5,000,000,000 sat >> 32 = 1 sat; 33: 5e9 >> 33 = 0 (2^33 > 5e9).
		{32 * 210_000, 1e-8}, {33 * 210_000, 0}, {64 * 210_000, 0}, {-1, 0},
	} {
		if got := SubsidyBTC(tc.height); got != tc.want {
			t.Errorf("SubsidyBTC(%d) = %v, want %v", tc.height, got, tc.want)
		}
	}
	if got := NextHalvingHeight(900_000); got != 1_050_000 {
		t.Errorf("NextHalvingHeight(900000) = %d, want 1050000", got)
	}
}

func TestHashprice(t *testing.T) {
	m := testMarket()
	// 1e15 H/s × 86400 s × 3.25 BTC / (100e12 × 2^32) = 2,808,000 / 4,294,967,296
	// = 6.537884e-4 BTC/PH/day; × $100,000 = $65.3788/PH/day = $0.0653788/TH/day.
	check(t, "hashvalue BTC/PH/day", m.HashvalueBTCPerPHDay(), 2_808_000.0/4_294_967_296)
	check(t, "hashprice USD/PH/day", m.HashpriceUSDPerPHDay(), 2_808_000.0/4_294_967_296*100_000)
	check(t, "hashprice USD/TH/day", m.HashpriceUSDPerTHDay(), 2_808_000.0/4_294_967_296*100)
	// PPS pays the subsidy only: 3.125 / 3.25 of FPPS.
	check(t, "PPS/FPPS", m.BTCPerHashDay(PPS)/m.BTCPerHashDay(FPPS), 3.125/3.25)
}

func TestTwoPow32Convention(t *testing.T) {
	// 2^48/65535 = 2^32 × 65536/65535: larger by 1/65535 ≈ 1.5259e-5.
	check(t, "exact/2^32 − 1", TwoPow48Over65535/HashesPerDifficulty-1, 1.0/65535)
	if d := TwoPow48Over65535/HashesPerDifficulty - 1; d < 1.5e-5 || d > 1.53e-5 {
		t.Errorf("convention gap %v, documented as 1.5e-5", d)
	}
}

func TestEvaluateHandWorked(t *testing.T) {
	s21xp := NewMining("S21 XP", 270e12, 3645) // fee 0.025, uptime 0.95, PUE 1, FPPS
	h100 := NewLeasing("H100", 2.00, 1275)     // utilization 0.7, PUE 1.3
	h100.BoardPowerW = 700
	r, err := Evaluate(testMarket(), 0.05, []Profile{s21xp, h100}, testMarket().AsOf.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "age_s", r.Market.AgeSeconds, 3600)
	m, g := r.Profiles[0], r.Profiles[1]

	// Mining: 270e12 × 86400 × 3.25 / (100e12 × 2^32) = 75,816,000 / 429,496,729,600
	// = 1.765229e-4 BTC/day raw; × 0.975 × 0.95 = 1.635043e-4 BTC/day; × $100k = $16.3504/day.
	btc := 75_816_000.0 / 429_496_729_600 * 0.975 * 0.95
	check(t, "mining btc/day", *m.BTCPerDay, btc)
	check(t, "mining revenue/day", m.RevenueUSDPerDay, btc*100_000)
	check(t, "mining facility W", m.FacilityPowerW, 3645)
	// $16.3504 / 3.645 kW = $4.48572/kW/day.
	check(t, "mining $/kW/day", m.RevenueUSDPerKWDay, btc*100_000/3.645)
	// Energy: 3.645 kW × 24 h × 0.95 = 83.106 kWh/day; $16.3504 / 0.083106 MWh = $196.742/MWh.
	check(t, "mining kWh/day", m.EnergyKWhPerDay, 83.106)
	check(t, "mining $/MWh", m.RevenueUSDPerMWh, btc*100_000/0.083106)
	check(t, "mining breakeven $/kWh", *m.BreakevenPowerPriceUSDPerKWh, btc*100_000/83.106)
	// $16.3504 × 365 / 3645 W = $1.63729/W/yr.
	check(t, "mining $/W/yr", m.RevenueUSDPerWYear, btc*100_000*365/3645)
	// Net: 16.3504 − 83.106 × 0.05 (= 4.1553) = $12.1951/day; × 365 / 3645 = $1.22119/W/yr.
	check(t, "mining net/day", m.NetUSDPerDay, btc*100_000-4.1553)
	check(t, "mining net/W/yr", m.NetUSDPerWYear, (btc*100_000-4.1553)*365/3645)
	check(t, "J/TH", *m.JPerTH, 13.5) // 3645 W / 270 TH

	// Leasing: $2.00 × 24 × 0.7 = $33.60/day on 1275 × 1.3 = 1657.5 W facility.
	check(t, "gpu revenue/day", g.RevenueUSDPerDay, 33.6)
	check(t, "gpu facility W", g.FacilityPowerW, 1657.5)
	check(t, "gpu $/kW/day", g.RevenueUSDPerKWDay, 33.6/1.6575)
	// Energy 1.6575 kW × 24 = 39.78 kWh/day (billed or not); $33.60 / 0.03978 MWh = $844.65/MWh.
	check(t, "gpu $/MWh", g.RevenueUSDPerMWh, 33.6/0.03978)
	check(t, "gpu $/W/yr", g.RevenueUSDPerWYear, 33.6*365/1657.5) // 7.39910
	check(t, "gpu net/day", g.NetUSDPerDay, 33.6-39.78*0.05)      // 31.611
	check(t, "gpu overhead W", *g.ServerOverheadW, 575)
	if g.BTCPerDay != nil || g.JPerTH != nil {
		t.Error("leasing profile carries mining-only fields")
	}

	// Ratios per MW: H100 earns 7.39910 / 1.63729 = 4.5191× the S21 XP per facility watt.
	check(t, "ratio revenue", g.Ratios[0].Revenue, (33.6*365/1657.5)/(btc*100_000*365/3645))
	check(t, "reciprocal", g.Ratios[0].Revenue*m.Ratios[0].Revenue, 1)
	if g.Ratios[0].Versus != "S21 XP" || *g.Ratios[0].Net <= 0 {
		t.Errorf("ratio = %+v", g.Ratios[0])
	}
}

func TestColocationHandWorked(t *testing.T) {
	// Hut 8–Fluidstack: $7.0B, 15 years, 245 MW, 3 %/yr.
	// Σ_{k=0..14} 1.03^k = (1.03^15 − 1)/0.03 = 18.598914; r1 = 7e9 / (12,000 × 245 × 18.598914)
	// = $128.0157/kW-month = $1,536,188/MW-yr; average 7e9/15/245 = $1,904,762/MW-yr.
	var hut8 Colocation
	for _, d := range Deals() {
		if strings.HasPrefix(d.Name, "Hut 8") {
			hut8 = d
		}
	}
	check(t, "r1 $/kW-month", hut8.RateUSDPerKWMonth, 128.01566776735237)
	check(t, "r1 $/MW-yr", hut8.USDPerMWYear(), 1_536_188.0132082284)
	check(t, "contract value", hut8.ContractValueUSD(), 7e9)
	check(t, "average $/MW-yr", hut8.AverageUSDPerMWYear(), 7e9/15/245)
	check(t, "year 2 rate", hut8.RateInYear(2), 128.01566776735237*1.03)

	r, err := Evaluate(testMarket(), 0.05, []Profile{hut8}, testMarket().AsOf)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Profiles[0]
	// Triple-net: revenue $1,536,188 × 245 / 365 = $1,031,139.90/day on 245 MW × 1.3 = 318.5 MW.
	check(t, "lease revenue/day", p.RevenueUSDPerDay, 1_536_188.0132082284*245/365)
	check(t, "lease facility W", p.FacilityPowerW, 318.5e6)
	check(t, "lease $/W/yr", p.RevenueUSDPerWYear, 1_536_188.0132082284*245/318.5e6)
	// Net is the published NOI margin of revenue: $6.9B of NOI on $7.0B.
	if p.Kind != KindColocation || p.BreakevenPowerPriceUSDPerKWh != nil || !near(p.NetUSDPerDay, p.RevenueUSDPerDay*6.9/7.0) {
		t.Errorf("triple-net lease: kind %s breakeven %v net %v revenue %v", p.Kind, p.BreakevenPowerPriceUSDPerKWh, p.NetUSDPerDay, p.RevenueUSDPerDay)
	}

	// Power included: $100/kW-month on 1 MW IT, PUE 1.2, load 0.8, $0.05/kWh.
	// Revenue 100 × 12 × 1000 / 365 = $3287.67/day; energy 1200 kW × 24 × 0.8 = 23,040 kWh
	// costing $1152/day; breakeven 3287.67 / 23,040 = $0.142694/kWh.
	inc := Colocation{Name: "inc", RateUSDPerKWMonth: 100, ITLoadW: 1e6, PUE: 1.2, LoadFactor: 0.8}
	r, err = Evaluate(testMarket(), 0.05, []Profile{inc}, testMarket().AsOf)
	if err != nil {
		t.Fatal(err)
	}
	p = r.Profiles[0]
	check(t, "included net/day", p.NetUSDPerDay, 1_200_000.0/365-1152)
	check(t, "included breakeven", *p.BreakevenPowerPriceUSDPerKWh, 1_200_000.0/365/23_040)
}

func TestDealsAsPublished(t *testing.T) {
	// The press-release figures the issue quotes, term-average $/MW-yr of IT.
	want := map[string]float64{
		"Hut 8–Fluidstack":           7e9 / 15 / 245, // ≈ $1.905M
		"TeraWulf–Fluidstack":        1.85e6,         // 3.7e9 / 10 / 200
		"Core Scientific–CoreWeave":  1.45e6,         // 8.7e9 / 12 / 500
		"IREN–Microsoft (GPU cloud)": 9.7e6,          // 9.7e9 / 5 / 200
	}
	for _, d := range Deals() {
		w, ok := want[d.Name]
		if !ok {
			t.Errorf("unexpected deal %q", d.Name)
			continue
		}
		check(t, d.Name, d.AverageUSDPerMWYear(), w)
		if err := d.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestBreakevenHashprice(t *testing.T) {
	m := testMarket()
	s21xp := NewMining("S21 XP", 270e12, 3645)
	r, err := Evaluate(m, 0.05, []Profile{s21xp, NewLeasing("H100", 2.00, 1275)}, m.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := BreakevenHashpriceVersus(s21xp, r.Profiles[1], m, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	// H100 earns 33.6/1657.5 $/W-day; on 3645 W that is $73.8896/day. The S21 XP
	// makes 0.27 PH × 0.975 × 0.95 = 0.2500875 USD/day per USD/PH/day, so HP* = $295.45/PH/day.
	check(t, "revenue basis", b.RevenueUSDPerPHDay, 33.6/1657.5*3645/(0.27*0.975*0.95))
	// At that hashprice the miner's revenue per watt equals the H100's.
	m2 := m
	m2.BTCPriceUSD = b.BTCPriceUSD
	r2, _ := Evaluate(m2, 0.05, []Profile{s21xp, NewLeasing("H100", 2.00, 1275)}, m.AsOf)
	check(t, "equal $/W/yr", r2.Profiles[0].RevenueUSDPerWYear, r2.Profiles[1].RevenueUSDPerWYear)
	check(t, "equal net/W/yr at net basis", func() float64 {
		m3 := m
		m3.BTCPriceUSD = b.NetUSDPerPHDay / m.HashvalueBTCPerPHDay()
		r3, _ := Evaluate(m3, 0.05, []Profile{s21xp}, m.AsOf)
		return r3.Profiles[0].NetUSDPerWYear
	}(), r.Profiles[1].NetUSDPerWYear)
}

func TestValidationReportsEverything(t *testing.T) {
	bad := Mining{Name: "x", HashrateHS: -1, PowerW: 0, PoolFee: 1.5, Uptime: 0, PUE: 0.9, Pool: "solo"}
	err := bad.Validate()
	for _, part := range []string{"hashrate", "power", "pool-fee", "uptime", "pue", "solo"} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("error %v does not mention %s", err, part)
		}
	}
	_, err = Evaluate(Market{Source: "t"}, -1, []Profile{NewMining("a", 1, 1), NewMining("a", 1, 1)}, time.Now())
	for _, part := range []string{"difficulty", "btc price", "power price", "used twice"} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("error %v does not mention %s", err, part)
		}
	}
}

func TestJSONContract(t *testing.T) {
	r, err := Evaluate(testMarket(), 0.05, Catalogue(), testMarket().AsOf)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	var v struct {
		Market   map[string]any   `json:"market"`
		Price    *float64         `json:"power_price_usd_per_kwh"`
		Profiles []map[string]any `json:"profiles"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"difficulty", "btc_price_usd", "subsidy_btc", "fees_btc_per_block", "hashprice_usd_per_ph_day", "source", "as_of"} {
		if _, ok := v.Market[k]; !ok {
			t.Errorf("market lacks %q", k)
		}
	}
	if v.Price == nil {
		t.Error("no power_price_usd_per_kwh")
	}
	common := []string{"name", "kind", "revenue_usd_per_day", "facility_power_w", "revenue_usd_per_kw_day", "revenue_usd_per_mwh",
		"breakeven_power_price_usd_per_kwh", "revenue_usd_per_w_year", "net_usd_per_day", "net_usd_per_w_year"}
	for _, p := range v.Profiles {
		keys := common
		if p["kind"] == "mining" {
			keys = append(keys[:len(keys):len(keys)], "btc_per_day", "j_per_th")
		} else if _, ok := p["btc_per_day"]; ok {
			t.Errorf("%v has btc_per_day", p["name"])
		}
		for _, k := range keys {
			if _, ok := p[k]; !ok {
				t.Errorf("profile %v lacks %q", p["name"], k)
			}
		}
	}
}

func TestZeroRewardMarketStaysEncodable(t *testing.T) {
	m := testMarket()
	m.SubsidyBTC, m.FeesBTCPerBlock = 0, 0
	r, err := Evaluate(m, 0.05, Catalogue(), m.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("report with a zero-reward market does not encode: %v", err)
	}
	if _, err := BreakevenHashpriceVersus(Miners()[0], r.Profiles[5], m, 0.05); err == nil {
		t.Error("breakeven hashprice solved for a market that pays nothing")
	}
}
