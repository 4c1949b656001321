package gpubench

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

// idleEdgesPower is a board that is idle whenever the benchmark is
// synchronised: the opening and closing readings of a window (taken around
// the steady phase's synchronisations) carry gpu_idle and idle clocks, the
// readings in between a power cap.
type idleEdgesPower struct {
	mu    sync.Mutex
	t     time.Time
	calls int
	busy  bool
}

func (p *idleEdgesPower) Sample(context.Context, string) (PowerSample, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	p.t = p.t.Add(100 * time.Millisecond)
	s := PowerSample{Time: p.t, PowerW: 80, PowerInstantW: 70, HasInstant: true, SMClockMHz: 345,
		ThrottleReasons: 0x1, EnergyMJ: uint64(p.calls) * 40000, HasEnergy: true}
	if p.busy {
		s.PowerW, s.PowerInstantW, s.SMClockMHz, s.ThrottleReasons = 400, 390+float64(p.calls%3)*10, 1755, 0x4
	}
	return s, nil
}

func TestPowerWindowIgnoresIdleEdges(t *testing.T) {
	p := &idleEdgesPower{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	ctx := t.Context()
	w := startPowerWindow(ctx, p, "0000:3b:00.0", time.Hour) // no ticks: samples below by hand
	p.busy = true
	for range 5 {
		s, _ := p.Sample(ctx, "")
		w.samples = append(w.samples, s)
	}
	p.busy = false
	st, err := w.stop(ctx, p, "0000:3b:00.0")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Throttles, []string{"sw_power_cap"}) {
		t.Errorf("throttles %v: the idle opening and closing readings leaked in", st.Throttles)
	}
	if st.SMClockMHz != 1755 || st.SampledAvgW != 400 || st.Samples != 5 {
		t.Errorf("clock %g MHz, sampled %g W over %d samples: idle edges counted", st.SMClockMHz, st.SampledAvgW, st.Samples)
	}
	if st.MinMaxSource != "instant" || st.MinW != 390 || st.MaxW != 410 {
		t.Errorf("min/max %g..%g from %s, want 390..410 from the instant readings", st.MinW, st.MaxW, st.MinMaxSource)
	}
}

func TestSummarisePowerWindowFigures(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(sec, w float64, mj uint64) PowerSample {
		return PowerSample{Time: t0.Add(time.Duration(sec * float64(time.Second))), PowerW: w, EnergyMJ: mj, HasEnergy: true}
	}
	start, end := at(0, 300, 0), at(10, 300, 4_000_000)
	inside := []PowerSample{at(1, 380, 0), at(2, 390, 0), at(8, 410, 0), at(9, 420, 0)}
	st := summarisePower(start, end, inside)
	if st.AvgW != 400 || st.EnergyResolutionPct != 2 {
		t.Errorf("avg %g W ±%g%%, want 400 W ±2%% (two 100 ms counter steps on 10 s)", st.AvgW, st.EnergyResolutionPct)
	}
	if want := 100 * (415.0 - 385.0) / 385.0; math.Abs(st.DriftPct-want) > 1e-9 {
		t.Errorf("drift %g%%, want %g%%", st.DriftPct, want)
	}
	if st.MinMaxSource != "average_1s" || st.MinW != 380 || st.MaxW != 420 {
		t.Errorf("min/max %g..%g from %s", st.MinW, st.MaxW, st.MinMaxSource)
	}
	// A window too short for any sample inside: power and clocks from the
	// edges, throttle reasons from nothing.
	start.ThrottleReasons, end.ThrottleReasons = 0x1, 0x1
	if st := summarisePower(start, end, nil); st.SampledAvgW != 300 || len(st.Throttles) != 0 {
		t.Errorf("edge-only window: %+v", st)
	}
}

// flakyPower fails the calls listed in failOn (1-based), then answers.
type flakyPower struct {
	idleEdgesPower
	failOn map[int]bool
	n      int
}

func (p *flakyPower) Sample(ctx context.Context, bus string) (PowerSample, error) {
	p.mu.Lock()
	p.n++
	fail := p.failOn[p.n]
	p.mu.Unlock()
	if fail {
		return PowerSample{}, errors.New("nvml: GPU 0: energy: unknown error")
	}
	return p.idleEdgesPower.Sample(ctx, bus)
}

// One failed opening or closing reading used to cost the window its watts;
// it is retried, and only a persistent failure is reported.
func TestPowerWindowRetriesEdgeReadings(t *testing.T) {
	ctx := t.Context()
	p := &flakyPower{failOn: map[int]bool{1: true, 3: true}}
	p.t = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := startPowerWindow(ctx, p, "0000:3b:00.0", time.Hour)
	st, err := w.stop(ctx, p, "0000:3b:00.0")
	if err != nil || st == nil || st.AvgW <= 0 {
		t.Fatalf("stats %+v, err %v: a transient failure at each edge lost the window", st, err)
	}
	dead := &flakyPower{failOn: map[int]bool{1: true, 2: true, 3: true}}
	w = startPowerWindow(ctx, dead, "0000:3b:00.0", time.Hour)
	if _, err := w.stop(ctx, dead, "0000:3b:00.0"); err == nil {
		t.Error("a persistent failure of the opening reading was not reported")
	}
}
