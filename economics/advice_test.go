package economics

import (
	"math"
	"os"
	"slices"
	"testing"
	"time"
)

// spikes is the recorded-style 15-minute series: negative prices overnight,
// a missing hour, prices chattering around $60/MWh, a scarcity spike.
func spikes(t *testing.T) []PriceInterval {
	t.Helper()
	f, err := os.Open("testdata/prices_15min_spikes_gaps.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ReadPriceCSV(f, "prices_15min_spikes_gaps.csv")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// offAt renders the curtailed interval starts as local clock times.
func offAt(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format("15:04")
	}
	return out
}

// rig60 breaks even at $60/MWh and draws 3.5 kW at the facility.
var rig60 = AdviceInput{ID: "rig-a", BreakevenUSDPerMWh: 60, FacilityPowerW: 3500}

func TestReplayAdviceByHand(t *testing.T) {
	prices := spikes(t)
	evening := []string{"19:00", "19:15", "19:30", "19:45", "20:00", "20:15", "20:30", "20:45"}
	spike := []string{"18:00", "18:15", "18:30", "18:45"}
	for _, tc := range []struct {
		name  string
		pol   AdvicePolicy
		off   []string
		value float64
	}{
		// The plain rule: off above $60. Every chatter tick above 60 flips it.
		// Value = 0.0035 MW × 0.25 h × Σ(price − 60) over the off rows
		//       = 0.000875 × (2 + 3 + 1 + 2.5 + 1740 + 4440 + 840 + 180 + 8 × 12) = 6.3914375
		{"plain", AdvicePolicy{}, slices.Concat([]string{"14:15", "14:45", "15:15", "15:45"}, spike, evening), 0.000875 * 7304.5},
		// A $5 band: the chatter (57–63) never crosses 65, the spike stops
		// the rig and only $40 at 21:00 (≤ 55) restarts it.
		{"hysteresis", AdvicePolicy{HysteresisUSDPerMWh: 5}, slices.Concat(spike, evening), 0.000875 * (7200 + 96)},
		// Minimum 30 minutes each way: stops at 14:15, held off at 14:30
		// (59, min_stop), back at 15:00, held on at 15:15 (61, min_run),
		// stops at 15:45 and is held off through 16:00 at $52.
		{"min times", AdvicePolicy{MinRun: 30 * time.Minute, MinStop: 30 * time.Minute},
			slices.Concat([]string{"14:15", "14:30", "14:45", "15:45", "16:00"}, spike, evening),
			0.000875 * (2 - 1 + 3 + 2.5 - 8 + 7200 + 96)},
		// A $10/MWh credit moves the switch point to $50: the $52 afternoon
		// is off too, and every off row earns the credit.
		{"credit", AdvicePolicy{DRCreditUSDPerMWh: 10}, nil, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ReplayAdvice(tc.pol, rig60, prices)
			if err != nil {
				t.Fatal(err)
			}
			if tc.off != nil && !slices.Equal(offAt(r.Off), tc.off) {
				t.Errorf("off at %v\nwant     %v", offAt(r.Off), tc.off)
			}
			if !math.IsNaN(tc.value) && math.Abs(r.ValueUSD-tc.value) > 1e-9 {
				t.Errorf("value %.10g, want %.10g", r.ValueUSD, tc.value)
			}
			if r.ValueUSD < -1e-9 && tc.pol.HysteresisUSDPerMWh == 0 && tc.pol.MinRun == 0 {
				t.Errorf("the plain rule lost money: %v", r.ValueUSD)
			}
			if r.Hours != 24 {
				t.Errorf("replayed %v h, want 24 (the gap row lasts until the next)", r.Hours)
			}
		})
	}
}

func TestAdvisorNeverCurtailsLeasedOrNegativePrices(t *testing.T) {
	adv := Advisor{Policy: AdvicePolicy{DRCreditUSDPerMWh: 30}}
	gpu := AdviceInput{ID: "gpu-0", BreakevenUSDPerMWh: -500, FacilityPowerW: 1265, Leased: true} // loses money mining, leased anyway
	at := time.Date(2026, 7, 8, 0, 0, 0, 0, time.UTC)
	for _, p := range []float64{-40, 0, 60, 4500} {
		as := adv.Step(at, p, []AdviceInput{rig60, gpu})
		if as[1].Curtail() || as[1].Reason != ReasonLeased {
			t.Errorf("$%v: leased GPU advised %s (%s)", p, as[1].Advice, as[1].Reason)
		}
		// The rig: off when 60 − p < 30, i.e. above $30/MWh; at a negative
		// price it runs and is paid to.
		if want := p > 30; as[0].Curtail() != want {
			t.Errorf("$%v: rig advised %s, want curtail=%v", p, as[0].Advice, want)
		}
		if as[0].MarginUSDPerMWh != 60-p || math.Abs(as[0].DRCreditUSDPerHour-0.0035*30) > 1e-12 {
			t.Errorf("$%v: margin %v credit/h %v", p, as[0].MarginUSDPerMWh, as[0].DRCreditUSDPerHour)
		}
		at = at.Add(time.Hour)
	}
	if _, err := ReplayAdvice(AdvicePolicy{HysteresisUSDPerMWh: -1}, rig60, nil); err == nil {
		t.Error("negative hysteresis accepted")
	}
}

// TestCurtailAndAdvisorAgree: `econ curtail` and the live advisor share one
// rule, so with no hysteresis and no minimum times they switch off the same
// intervals and value them the same, on the spiky series and on the
// embedded synthetic week, with and without a demand-response credit.
func TestCurtailAndAdvisorAgree(t *testing.T) {
	m := Market{Difficulty: 1e14, BTCPriceUSD: 100000, SubsidyBTC: 3.125, FeesBTCPerBlock: 0.025, Source: "test",
		AsOf: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	p := NewMining("S21 XP", 270e12, 1)
	p.PowerW, p.PoolFee, p.Pool, p.Uptime = 3645, 0.025, FPPS, 1
	for name, series := range map[string][]PriceInterval{"spikes": spikes(t), "synthetic week": SyntheticPrices()} {
		for _, credit := range []float64{0, 20} {
			c, err := Curtail(p, m, 10e6, series, CurtailPolicy{Economic: true, DRCreditUSDPerMWh: credit})
			if err != nil {
				t.Fatal(err)
			}
			r, err := ReplayAdvice(AdvicePolicy{DRCreditUSDPerMWh: credit},
				AdviceInput{ID: "fleet", BreakevenUSDPerMWh: c.BreakevenUSDPerMWh, FacilityPowerW: 10e6}, series)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Off) == 0 {
				t.Fatalf("%s: nothing curtailed; the series no longer tests anything", name)
			}
			if !slices.EqualFunc(c.Off, r.Off, time.Time.Equal) {
				t.Errorf("%s credit %v: curtail off %d intervals, advisor %d", name, credit, len(c.Off), len(r.Off))
			}
			if math.Abs(c.ValueUSD-r.ValueUSD) > 1e-6*math.Max(1, math.Abs(c.ValueUSD)) {
				t.Errorf("%s credit %v: curtail value %.6f, advisor %.6f", name, credit, c.ValueUSD, r.ValueUSD)
			}
			if math.Abs(c.Curtailed.DRCreditUSD-r.DRCreditUSD) > 1e-6 {
				t.Errorf("%s: DR credit %v vs %v", name, c.Curtailed.DRCreditUSD, r.DRCreditUSD)
			}
		}
	}
}

// dayOfPolls is a day of one-minute recorded prices: what the agent
// replays per device at each advice write.
func dayOfPolls() []PriceInterval {
	start := time.Date(2026, 7, 8, 0, 0, 0, 0, time.UTC)
	out := make([]PriceInterval, 1440)
	for i := range out {
		out[i] = PriceInterval{Start: start.Add(time.Duration(i) * time.Minute), Hours: 1.0 / 60,
			USDPerMWh: 60 + 40*math.Sin(float64(i)/37) + float64(i%7)}
	}
	return out
}

// The replay of one device's day as the agent runs it at each advice
// write, beside Curtail over the same day (its after-the-fact peer).
func BenchmarkReplayAdviceDay(b *testing.B) {
	prices := dayOfPolls()
	pol := AdvicePolicy{HysteresisUSDPerMWh: 5, MinRun: 15 * time.Minute, MinStop: 15 * time.Minute}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReplayAdviceValue(pol, rig60, prices); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCurtailDay(b *testing.B) {
	prices := dayOfPolls()
	m := Market{Difficulty: 1e14, BTCPriceUSD: 100000, SubsidyBTC: 3.125, FeesBTCPerBlock: 0.025, Source: "test",
		AsOf: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	p := NewMining("S21 XP", 270e12, 1)
	p.PowerW, p.Uptime = 3645, 1
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Curtail(p, m, 3645, prices, CurtailPolicy{Economic: true}); err != nil {
			b.Fatal(err)
		}
	}
}
