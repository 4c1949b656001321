package economics

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func flatShell(pue float64) Colocation {
	return Colocation{Name: "shell", RateUSDPerKWMonth: 100, ITLoadW: 1e6, PUE: pue, PowerPassthrough: true, LoadFactor: 1}
}

func TestSiteHandWorked(t *testing.T) {
	s21xp := NewMining("S21 XP", 270e12, 3645)
	site := Site{FacilityW: 100e6, Uses: []SiteUse{
		{Use: UseMining, Share: 0.4, Profiles: []Profile{s21xp}},
		{Use: UseColo, Share: 0.6, Profiles: []Profile{flatShell(1.25)}},
	}}
	r, err := EvaluateSite(site, testMarket(), 0.05)
	if err != nil {
		t.Fatal(err)
	}
	perWYear := 75_816_000.0 / 429_496_729_600 * 0.975 * 0.95 * 100_000 * 365 / 3645 // $1.637286/W/yr (see TestEvaluateHandWorked)
	// Mining, 40 MW: revenue 1.637286 × 40e6 = $65.49M; power 40 MW × 8760 h × 0.95 × $50/MWh = $16,644,000.
	check(t, "mining revenue", r.Lines[0].RevenueUSDPerYear, perWYear*40e6)
	check(t, "mining power cost", r.Lines[0].PowerCostUSDPerYear, 16_644_000)
	check(t, "mining energy", r.Lines[0].EnergyMWhPerYear, 332_880)
	// Colo, 60 MW facility at PUE 1.25 = 48 MW IT × 1000 × $100 × 12 = $57.6M, tenant pays power.
	check(t, "colo revenue", r.Lines[1].RevenueUSDPerYear, 57_600_000)
	check(t, "colo power cost", r.Lines[1].PowerCostUSDPerYear, 0)
	check(t, "total profit", r.Total.ProfitUSDPerYear, perWYear*40e6-16_644_000+57_600_000)
	check(t, "ai share", r.Total.AIShare, 0.6)

	sweep, err := SweepAIShare(site, testMarket(), 0.05, []float64{0, 0.5, 1})
	if err != nil {
		t.Fatal(err)
	}
	// 0 % AI: 100 MW mining = 1.637286 × 1e8 − 100 × 8760 × 0.95 × 50 (= $41.61M) = $122.12M.
	// 100 % AI: 80 MW IT × $1.2M = $96M. At $50/MWh this lease loses to mining.
	check(t, "0% profit", sweep[0].ProfitUSDPerYear, perWYear*100e6-41_610_000)
	check(t, "100% profit", sweep[2].ProfitUSDPerYear, 96_000_000)
	if p := PeakProfit(sweep); p.AIShare != 0 {
		t.Errorf("peak at %v%% AI, want 0%%", p.AIShare*100)
	}
	// At $0.12/kWh mining nets 1.637286e8 − 100 × 8760 × 0.95 × 120 = $63.86M < $96M: AI wins.
	sweep, _ = SweepAIShare(site, testMarket(), 0.12, []float64{0, 0.5, 1})
	if p := PeakProfit(sweep); p.AIShare != 1 {
		t.Errorf("peak at %v%% AI at $0.12/kWh, want 100%%", p.AIShare*100)
	}
}

func TestSiteBadInput(t *testing.T) {
	for _, tc := range []struct {
		site Site
		want string
	}{
		{Site{FacilityW: 100e6, Uses: []SiteUse{{Use: UseMining, Share: 0.5, Profiles: []Profile{NewMining("m", 1e12, 30)}}, {Use: UseColo, Share: 0.3, Profiles: []Profile{flatShell(1.2)}}}}, "shares add up to 80%"},
		{Site{FacilityW: -5e6, Uses: []SiteUse{{Use: UseMining, Share: 1, Profiles: []Profile{NewMining("m", 1e12, 30)}}}}, "site power must be positive, got -5 MW"},
		{Site{FacilityW: 1e6, Uses: []SiteUse{{Use: UseGPU, Share: 1}}}, "gpu has a 100% share but no profile"},
		{Site{FacilityW: 1e6, Uses: []SiteUse{{Use: UseMining, Share: 1.2, Profiles: []Profile{NewMining("m", 1e12, 30)}}}}, "mining share must be from 0% to 100%"},
	} {
		if _, err := EvaluateSite(tc.site, testMarket(), 0.05); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

// At 0 % and 100 % AI the site is exactly its single-use profile scaled to
// the site, and in between profit is the straight line between them.
func TestSiteEndsEqualSingleUse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, miner := genMarket(t), genMiner(t)
		miner.Name = "miner"
		gpu := Leasing{Name: "gpu", RateUSDPerGPUHour: rapid.Float64Range(0.1, 10).Draw(t, "rate"),
			PowerW: rapid.Float64Range(300, 3000).Draw(t, "gpuW"), Utilization: rapid.Float64Range(0.1, 1).Draw(t, "util"),
			PUE: rapid.Float64Range(1, 2).Draw(t, "gpuPUE")}
		siteW := rapid.Float64Range(1e5, 1e9).Draw(t, "siteW")
		price := rapid.Float64Range(0, 0.3).Draw(t, "price")
		a := rapid.Float64Range(0, 1).Draw(t, "a")
		site := Site{FacilityW: siteW, Uses: []SiteUse{{Use: UseMining, Share: 1, Profiles: []Profile{miner}}, {Use: UseGPU, Profiles: []Profile{gpu}}}}
		sweep, err := SweepAIShare(site, m, price, []float64{0, a, 1})
		if err != nil {
			t.Fatal(err)
		}
		mr, gr := miner.evaluate(m, price), gpu.evaluate(m, price)
		p0 := mr.NetUSDPerDay * DaysPerYear * siteW / mr.FacilityPowerW
		p1 := gr.NetUSDPerDay * DaysPerYear * siteW / gr.FacilityPowerW
		tol := 1e-9 * (math.Abs(p0) + math.Abs(p1) + 1)
		if math.Abs(sweep[0].ProfitUSDPerYear-p0) > tol || math.Abs(sweep[2].ProfitUSDPerYear-p1) > tol {
			t.Fatalf("ends %v, %v; single-use %v, %v", sweep[0].ProfitUSDPerYear, sweep[2].ProfitUSDPerYear, p0, p1)
		}
		if mid := (1-a)*p0 + a*p1; math.Abs(sweep[1].ProfitUSDPerYear-mid) > tol {
			t.Fatalf("at %v AI profit %v, want %v", a, sweep[1].ProfitUSDPerYear, mid)
		}
	})
}

func TestCurtailSpikeHandWorked(t *testing.T) {
	s21xp := NewMining("S21 XP", 270e12, 3645)
	at := func(h int) time.Time { return time.Date(2026, 7, 8, 14+h, 0, 0, 0, time.UTC) }
	prices := []PriceInterval{{at(0), 1, 30}, {at(1), 1, 30}, {at(2), 1, 30}, {at(3), 1, 30}, {at(4), 1, 2500}, {at(5), 1, 4800}}
	c, err := Curtail(s21xp, testMarket(), 10e6, prices, CurtailPolicy{Economic: true})
	if err != nil {
		t.Fatal(err)
	}
	// Revenue per MWh R = $196.7419 (TestEvaluateHandWorked). 10 MW at 95 % uptime draws
	// 9.5 MWh an hour and earns 9.5 × R = $1869.048 an hour.
	R := 75_816_000.0 / 429_496_729_600 * 0.975 * 0.95 * 100_000 / 0.083106
	check(t, "breakeven", c.BreakevenUSDPerMWh, R)
	// Always on: 6 × 1869.048 − (4 × 9.5 × 30 + 9.5 × 2500 + 9.5 × 4800) = 11,214.29 − 70,490 = −$59,275.71.
	check(t, "always-on profit", c.AlwaysOn.ProfitUSD, 6*9.5*R-(4*9.5*30+9.5*2500+9.5*4800))
	// Curtailed through the two spike hours: 4 × 1869.048 − 1140 = $6,336.19; value $65,611.90.
	check(t, "curtailed profit", c.Curtailed.ProfitUSD, 4*9.5*R-1140)
	check(t, "value", c.ValueUSD, 4*9.5*R-1140-(6*9.5*R-70_490))
	check(t, "uptime", c.Uptime, 4.0/6)
	if len(c.Off) != 2 || !c.Off[0].Equal(at(4)) {
		t.Errorf("off %v", c.Off)
	}
	// A $50/MW-h demand-response credit on the 9.5 MW shed for 2 h adds $950.
	c, _ = Curtail(s21xp, testMarket(), 10e6, prices, CurtailPolicy{Economic: true, DRCreditUSDPerMWh: 50})
	check(t, "with DR credit", c.Curtailed.ProfitUSD, 4*9.5*R-1140+950)
	// A 15:00–17:00 peak window switches off two $30 hours as well, whatever they earn.
	c, _ = Curtail(s21xp, testMarket(), 10e6, prices, CurtailPolicy{Economic: true, PeakStartHour: 15, PeakEndHour: 17})
	check(t, "window uptime", c.Uptime, 2.0/6)
}

func TestCurtailNeverLowersProfit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, p := genMarket(t), genMiner(t)
		n := rapid.IntRange(1, 200).Draw(t, "n")
		prices := make([]PriceInterval, n)
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range prices {
			prices[i] = PriceInterval{Start: start.Add(time.Duration(i) * time.Hour), Hours: rapid.Float64Range(0.25, 1).Draw(t, "h"),
				USDPerMWh: rapid.Float64Range(-100, 5000).Draw(t, "price")}
		}
		pol := CurtailPolicy{Economic: true, DRCreditUSDPerMWh: rapid.Float64Range(0, 200).Draw(t, "credit")}
		c, err := Curtail(p, m, rapid.Float64Range(1e3, 1e9).Draw(t, "W"), prices, pol)
		if err != nil {
			t.Fatal(err)
		}
		if c.ValueUSD < -1e-9*math.Abs(c.AlwaysOn.RevenueUSD) {
			t.Fatalf("curtailment lost %v vs always-on", c.ValueUSD)
		}
		if c.Uptime < 0 || c.Uptime > 1 {
			t.Fatalf("uptime %v", c.Uptime)
		}
	})
}

func TestReadPriceCSV(t *testing.T) {
	// Offsets are honoured (00:00-05:00 is 05:00Z); a row lasts until the next one,
	// the last as long as the one before it.
	in := "# comment\ntimestamp,usd_per_mwh\n2026-07-06T00:00:00-05:00,22.5\n2026-07-06 06:00,-3\n2026-07-06T06:15:00Z,40\n"
	p, err := ReadPriceCSV(strings.NewReader(in), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []PriceInterval{
		{time.Date(2026, 7, 6, 5, 0, 0, 0, time.UTC), 1, 22.5},
		{time.Date(2026, 7, 6, 6, 0, 0, 0, time.UTC), 0.25, -3},
		{time.Date(2026, 7, 6, 6, 15, 0, 0, time.UTC), 0.25, 40},
	}
	if len(p) != len(want) {
		t.Fatalf("got %d rows", len(p))
	}
	for i := range want {
		if !p[i].Start.Equal(want[i].Start) || p[i].Hours != want[i].Hours || p[i].USDPerMWh != want[i].USDPerMWh {
			t.Errorf("row %d = %+v, want %+v", i, p[i], want[i])
		}
	}
}

func TestReadPriceCSVErrorsNameRows(t *testing.T) {
	in := "timestamp,usd_per_mwh\n" +
		"2026-07-06T00:00:00Z,22.5\n" + // row 2
		"2026-07-06T01:00:00Z,abc\n" + // row 3: bad price
		"yesterday,30\n" + // row 4: bad time
		"2026-07-06T00:00:00Z,30\n" + // row 5: not after row 2
		"2026-07-06T02:00:00Z,30,extra\n" // row 6: 3 fields
	_, err := ReadPriceCSV(strings.NewReader(in), "prices.csv")
	for _, want := range []string{`prices.csv row 3: price "abc"`, `prices.csv row 4: timestamp "yesterday"`,
		"prices.csv row 5: timestamp 2026-07-06T00:00:00Z is not after", "prices.csv row 6: want 2 fields"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if _, err := ReadPriceCSV(strings.NewReader("timestamp,usd_per_mwh\n"), "empty.csv"); err == nil || !strings.Contains(err.Error(), "no price rows") {
		t.Errorf("empty file: %v", err)
	}
}

func TestSyntheticSample(t *testing.T) {
	p := SyntheticPrices()
	if len(p) != 168 || p[0].Hours != 1 || p[167].Hours != 1 {
		t.Fatalf("sample has %d rows", len(p))
	}
	if !bytes.Contains(syntheticPrices, []byte("SYNTHETIC")) || !strings.Contains(SyntheticPricesName, "SYNTHETIC") {
		t.Error("sample is not labelled synthetic")
	}
	peak := 0.0
	for _, iv := range p {
		peak = math.Max(peak, iv.USDPerMWh)
	}
	if peak != 4800 {
		t.Errorf("spike peak %v, want 4800", peak)
	}
}

func TestMulletSite(t *testing.T) {
	s21xp := NewMining("S21 XP", 270e12, 3645)
	at := func(h int) time.Time { return time.Date(2026, 7, 8, 14+h, 0, 0, 0, time.UTC) }
	prices := []PriceInterval{{at(0), 1, 30}, {at(1), 1, 30}, {at(2), 1, 30}, {at(3), 1, 30}, {at(4), 1, 2500}, {at(5), 1, 4800}}
	inc := flatShell(1.25)
	inc.PowerPassthrough = false
	site := Site{FacilityW: 20e6, Prices: prices, Policy: CurtailPolicy{Economic: true}, Uses: []SiteUse{
		{Use: UseMining, Share: 0.5, Profiles: []Profile{s21xp}},
		{Use: UseColo, Share: 0.5, Profiles: []Profile{inc}},
	}}
	r, err := EvaluateSite(site, testMarket(), 0.05)
	if err != nil {
		t.Fatal(err)
	}
	// Mining, 10 MW, curtailed through the spike (TestCurtailSpikeHandWorked): profit over the
	// 6 hours 4 × 9.5 × R − 1140, annualised × 8760 / 6.
	R := 75_816_000.0 / 429_496_729_600 * 0.975 * 0.95 * 100_000 / 0.083106
	check(t, "mining profit", r.Lines[0].ProfitUSDPerYear, (4*9.5*R-1140)*8760/6)
	// The lease (power included, load 1) runs through the spike and pays the average
	// (4 × 30 + 2500 + 4800) / 6 = $1236.67/MWh on 10 MW × 8760 h.
	check(t, "colo power cost", r.Lines[1].PowerCostUSDPerYear, 10*8760*(4*30+2500+4800)/6.0)
	check(t, "average price", AveragePriceUSDPerMWh(prices), (4*30+2500+4800)/6.0)
}
