package appraisal

import (
	"context"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/powerprice"
	"github.com/perwatt/perwatt/internal/metric"
)

// latest hands the advice job a fixed appraisal round.
type latest []Appraisal

func (l latest) Latest() ([]Appraisal, time.Time) { return l, time.Time{} }

// fleet: a rig breaking even at $60/MWh on 3.5 kW, a leased GPU that would
// lose money mining, and a rig without a power reading (no advice).
var fleet = latest{
	{Kind: KindASIC, ID: "rig-a", Model: "Antminer S21", Mining: &Use{Name: UseMining, BreakevenPowerPriceUSDPerKWh: ptr(0.060), FacilityPowerW: ptr(3500)}},
	{Kind: KindGPU, ID: "0000:3b:00.0", Model: "NVIDIA H100 80GB HBM3",
		Mining:  &Use{Name: UseMining, BreakevenPowerPriceUSDPerKWh: ptr(0.0001), FacilityPowerW: ptr(1225)},
		Leasing: &Use{Name: UseLeasing, BreakevenPowerPriceUSDPerKWh: ptr(1.1067), FacilityPowerW: ptr(1265)}},
	{Kind: KindASIC, ID: "rig-b", Mining: &Use{Name: UseMining}},
}

const spikyCSV = "../testdata/prices_15min_spikes_gaps.csv"

// livePolls runs the advice job every 15 minutes through the recorded day,
// the price read from the CSV through a chain that treats the missing hour
// as a gap and falls back to a fixed $50/MWh, and returns every point.
func livePolls(t *testing.T, pol economics.AdvicePolicy) ([][]metric.Point, []time.Time) {
	t.Helper()
	start := time.Date(2026, 7, 8, 0, 0, 0, 0, time.FixedZone("CDT", -5*3600))
	now := start
	j := &Advice{Appraisals: fleet, Policy: pol, GPUsLeased: true, Every: time.Hour, MaxGap: 30 * time.Minute,
		Price: powerprice.Chain{Sources: []powerprice.Source{powerprice.File{Path: spikyCSV}, powerprice.Fixed{USDPerMWh: 50}},
			MaxAge: time.Hour, MaxGap: 30 * time.Minute},
		Now: func() time.Time { return now }}
	var rounds [][]metric.Point
	var at []time.Time
	for i := 0; i < 96; i++ {
		pts, err := j.Collect(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", now.Format("15:04"), err)
		}
		for _, p := range pts {
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		rounds = append(rounds, pts)
		at = append(at, now)
		now = now.Add(15 * time.Minute)
	}
	return rounds, at
}

func find(pts []metric.Point, measurement, device string) *metric.Point {
	for i, p := range pts {
		if p.Measurement == measurement && (device == "" || p.Tags["device"] == device) {
			return &pts[i]
		}
	}
	return nil
}

// recorded is what the chain serves at each 15-minute poll: the CSV's row,
// or the fixed $50 where the row spans the missing hour.
func recorded(t *testing.T) []economics.PriceInterval {
	t.Helper()
	f, err := os.Open(spikyCSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := economics.ReadPriceCSV(f, spikyCSV)
	if err != nil {
		t.Fatal(err)
	}
	var out []economics.PriceInterval
	for _, r := range rows {
		for h := 0.0; h < r.Hours-1e-9; h += 0.25 {
			p := r.USDPerMWh
			if r.Hours > 0.5 {
				p = 50
			}
			out = append(out, economics.PriceInterval{Start: r.Start.Add(time.Duration(h * float64(time.Hour))), Hours: 0.25, USDPerMWh: p})
		}
	}
	return out
}

func TestAdviceLiveMatchesCurtailOnRecordedDay(t *testing.T) {
	pol := economics.AdvicePolicy{DRCreditUSDPerMWh: 5}
	rounds, at := livePolls(t, pol)
	series := recorded(t)
	if len(series) != 96 {
		t.Fatalf("recorded %d intervals, want 96", len(series))
	}
	// The live advice for the rig, poll by poll, against econ curtail's
	// rule over the same prices (a fleet of the rig's breakeven and power).
	var off []time.Time
	gaps := 0
	curtailing := false
	for i, pts := range rounds {
		pp := find(pts, MeasurementPowerPrice, "")
		if pp == nil || pp.Fields["usd_per_mwh"] != series[i].USDPerMWh {
			t.Fatalf("%s: price point %v, want %v", at[i].Format("15:04"), pp, series[i].USDPerMWh)
		}
		if pp.Tags["source"] == "fixed" {
			gaps++
			if pp.Fields["fallback"] != true || pp.Fields["skipped"] == nil {
				t.Errorf("%s: fallback not flagged: %v", at[i].Format("15:04"), pp.Fields)
			}
		}
		if a := find(pts, MeasurementAdvice, "0000:3b:00.0"); a != nil && (a.Fields["curtail"] != int64(0) || a.Fields["reason"] != economics.ReasonLeased) {
			t.Errorf("%s: leased GPU advised %v", at[i].Format("15:04"), a.Fields)
		}
		if find(pts, MeasurementAdvice, "rig-b") != nil {
			t.Error("advice for a rig without power")
		}
		// Advice is written on changes and hourly; in between it holds.
		if a := find(pts, MeasurementAdvice, "rig-a"); a != nil {
			curtailing = a.Fields["curtail"] == int64(1)
		}
		if curtailing {
			off = append(off, at[i])
		}
	}
	if gaps != 5 {
		t.Errorf("%d polls fell back to the fixed price, want 5 (09:45 to 10:45: the row spanning the missing hour)", gaps)
	}
	// econ curtail's rule, interval by interval (economics'
	// TestCurtailAndAdvisorAgree ties it to Curtail itself).
	var want []time.Time
	for _, iv := range series {
		if economics.CurtailPays(60-iv.USDPerMWh, pol.DRCreditUSDPerMWh) {
			want = append(want, iv.Start)
		}
	}
	if len(want) < 10 || !slices.EqualFunc(off, want, time.Time.Equal) {
		t.Errorf("live advice curtailed at %d polls, econ curtail's rule at %d:\n%v\n%v", len(off), len(want), off, want)
	}
}

func TestAdviceHysteresisAndValue(t *testing.T) {
	// Without a band the $57–$63 chatter around the rig's $60 breakeven
	// would flip it eight times between 14:00 and 16:00. With $5 each way
	// it stops only past $65 (the spike, 18:00) and restarts only at or
	// below $55 (21:00, $40): two changes all day, the negative hours and
	// the fallback hour included.
	pol := economics.AdvicePolicy{HysteresisUSDPerMWh: 5, MinRun: 30 * time.Minute, MinStop: 30 * time.Minute}
	rounds, at := livePolls(t, pol)
	writes := 0
	var changes []string
	for i, pts := range rounds {
		a := find(pts, MeasurementAdvice, "rig-a")
		if a == nil {
			continue
		}
		writes++
		if a.Fields["changed"] == true {
			changes = append(changes, at[i].Format("15:04")+" "+a.Fields["advice"].(string))
		}
	}
	if want := []string{"18:00 curtail", "21:00 run"}; !slices.Equal(changes, want) {
		t.Errorf("advice changed %v, want %v", changes, want)
	}
	// A write at every price change, every advice change, and hourly when
	// neither happens: far fewer than the 96 polls.
	if writes < 24 || writes > 60 {
		t.Errorf("advice written %d times in 96 polls", writes)
	}
	k := len(rounds) - 1
	for k > 0 && find(rounds[k], MeasurementAdviceSite, "") == nil {
		k--
	}
	site := find(rounds[k], MeasurementAdviceSite, "")
	if k < 80 {
		t.Fatalf("last advice_site point at poll %d", k)
	}
	// The value over the day replays the recorded prices through a fresh
	// advisor with the same policy: the figure the economics package
	// computes for the k intervals elapsed before that poll.
	rep, err := economics.ReplayAdvice(pol, economics.AdviceInput{ID: "rig-a", BreakevenUSDPerMWh: 60, FacilityPowerW: 3500}, recorded(t)[:k])
	if err != nil {
		t.Fatal(err)
	}
	if v := site.Fields["value_24h_usd"].(float64); math.Abs(v-rep.ValueUSD) > 1e-9 || !(v > 5) {
		t.Errorf("value_24h_usd %v, want %v (and positive: the spike alone is worth over $5)", v, rep.ValueUSD)
	}
	if w := site.Fields["value_window_h"].(float64); w != float64(k)/4 {
		t.Errorf("value window %v h, want %v", w, float64(k)/4)
	}
	if site.Fields["leased_w"] != 1265.0 {
		t.Errorf("leased_w %v", site.Fields["leased_w"])
	}
}

// TestJobAppraisesAtTheLivePrice: with a price source the round uses the
// live price (a negative one as 0: the net figures take no negative
// price), and Latest hands the round to the advice job.
func TestJobAppraisesAtTheLivePrice(t *testing.T) {
	rig := readings{{Kind: KindASIC, ID: "rig-a", HashrateHS: 200e12, PowerW: 3500, PowerSource: PowerMeasured}}
	for _, tc := range []struct{ usdPerMWh, wantKWh float64 }{{4500, 4.5}, {-20, 0}, {42.5, 0.0425}} {
		j := &Job{Sources: []Source{rig}, Market: fixedMarket{q: Quote{Market: handMarket, Source: "test"}}, Terms: handTerms,
			Power: powerprice.Chain{Sources: []powerprice.Source{powerprice.Fixed{USDPerMWh: tc.usdPerMWh}}}}
		if _, err := j.Collect(context.Background()); err != nil {
			t.Fatal(err)
		}
		as, at := j.Latest()
		if len(as) != 1 || at.IsZero() || as[0].PowerPriceUSDPerKWh != tc.wantKWh {
			t.Fatalf("$%v/MWh: latest %+v at %v; want one appraisal at %v USD/kWh", tc.usdPerMWh, as, at, tc.wantKWh)
		}
		// The breakeven is the rig's, whatever the price.
		near(t, "breakeven", as[0].Mining.BreakevenPowerPriceUSDPerKWh, 0.14710240066051483)
	}
}
