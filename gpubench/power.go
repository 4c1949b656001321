package gpubench

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/perwatt/perwatt/internal/gpuid"
)

// PowerSample is one reading of a GPU's board power and state, as NVML
// reports it. Zero values mean "not reported".
type PowerSample struct {
	Time time.Time
	// PowerW is NVML's power usage: a 1-second average on Ampere and newer.
	// PowerInstantW is the instantaneous reading where the driver has one
	// (HasInstant); min and max come from it when every sample has it.
	PowerW        float64
	PowerInstantW float64
	HasInstant    bool
	// EnergyMJ is the board's cumulative energy counter (millijoules since
	// driver load); HasEnergy is false where the GPU has none (pre-Volta).
	EnergyMJ        uint64
	HasEnergy       bool
	SMClockMHz      float64
	MemClockMHz     float64
	TempC           float64
	PowerLimitW     float64
	ThrottleReasons uint64
}

// PowerSampler reads a GPU's power by its PCI bus id (gpuid.NormalizePCIBusID
// form). The CLI adapts the NVML collector to it; tests use a fake.
type PowerSampler interface {
	Sample(ctx context.Context, pciBusID string) (PowerSample, error)
}

// PowerStats summarise a kernel's steady phase.
type PowerStats struct {
	// AvgW is the energy-counter delta over the steady window divided by its
	// length; when the GPU has no energy counter it is SampledAvgW.
	AvgW        float64 `json:"avg_w"`
	SampledAvgW float64 `json:"sampled_avg_w"`
	// MinW and MaxW are over the samples inside the window, from the
	// instantaneous reading where every sample has one (MinMaxSource
	// "instant"), else from the 1-second average ("average_1s"), which
	// hides short peaks.
	MinW         float64 `json:"min_w"`
	MaxW         float64 `json:"max_w"`
	MinMaxSource string  `json:"min_max_source,omitempty"`
	EnergyJ      float64 `json:"energy_j"`
	WindowS      float64 `json:"window_s"`
	Source       string  `json:"source"` // "energy_counter" or "samples"
	// EnergyResolutionPct bounds the energy average's error from the
	// counter's update interval: up to energyCounterStep stale at each end
	// of the window, relative to its length.
	EnergyResolutionPct float64 `json:"energy_resolution_pct,omitempty"`
	// DriftPct is the sampled power of the window's second half against its
	// first half: a large value means the board had not settled (heating,
	// clocks still falling) and the figures flatter sustained load.
	DriftPct float64 `json:"drift_pct"`
	// CrossCheckOK is false when the energy-counter average and the sampled
	// average differ by more than crossCheckTolerance.
	CrossCheckOK    bool     `json:"cross_check_ok"`
	Samples         int      `json:"samples"`
	SMClockMHz      float64  `json:"sm_clock_mhz"`
	MemClockMHz     float64  `json:"mem_clock_mhz"`
	MaxTempC        float64  `json:"max_temp_c"`
	PowerLimitW     float64  `json:"power_limit_w"`
	ThrottleReasons uint64   `json:"throttle_reasons"`
	Throttles       []string `json:"throttles,omitempty"`
}

// crossCheckTolerance: NVML's instantaneous power on Ampere and later is a
// 1 s average, so on a window of several seconds the two agree within a few
// percent; beyond this the reading is suspect and flagged.
const crossCheckTolerance = 0.10

// energyCounterStep is the slowest update interval reported for NVML's
// energy counter (20-100 ms); each end of a window may be this stale.
const energyCounterStep = 100 * time.Millisecond

// powerWindow records samples during a steady phase on its own goroutine.
type powerWindow struct {
	mu      sync.Mutex
	samples []PowerSample
	errs    int
	lastErr error
	start   PowerSample
	startOK bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// startPowerWindow takes the opening reading and samples every interval until
// stop. A nil sampler yields nil (no power figures).
func startPowerWindow(ctx context.Context, s PowerSampler, busID string, every time.Duration) *powerWindow {
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &powerWindow{cancel: cancel, done: make(chan struct{})}
	if first, err := edgeSample(ctx, s, busID); err == nil {
		w.start, w.startOK = first, true
	} else {
		w.errs, w.lastErr = 1, err
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			smp, err := s.Sample(ctx, busID)
			w.mu.Lock()
			if err != nil {
				w.errs++
				w.lastErr = err
			} else {
				w.samples = append(w.samples, smp)
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// edgeRetries is how often an opening or closing reading is retried: the
// whole window's energy hangs on those two, so one transient NVML error
// must not cost the kernel its watts.
const edgeRetries = 2

// edgeSample takes an opening or closing reading, retrying a failure.
func edgeSample(ctx context.Context, s PowerSampler, busID string) (PowerSample, error) {
	var err error
	for range 1 + edgeRetries {
		var smp PowerSample
		if smp, err = s.Sample(ctx, busID); err == nil || ctx.Err() != nil {
			return smp, err
		}
	}
	return PowerSample{}, err
}

// stop takes the closing reading and summarises the window.
func (w *powerWindow) stop(ctx context.Context, s PowerSampler, busID string) (*PowerStats, error) {
	w.cancel()
	<-w.done
	end, err := edgeSample(ctx, s, busID)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.startOK || err != nil {
		if err == nil {
			err = w.lastErr
		}
		return nil, fmt.Errorf("power readings for %s: %w", busID, err)
	}
	return summarisePower(w.start, end, w.samples), nil
}

// summarisePower computes the window's figures: energy from its opening and
// closing readings, everything else from the samples taken while the
// kernel ran. The opening and closing readings are taken with the GPU
// synchronised, hence idle: their clocks, temperature and throttle reasons
// (gpu_idle) describe the pauses around the window, not the kernel. Only
// when no sample fell inside a very short window are they used for power,
// clocks and temperature; their throttle reasons never are.
func summarisePower(start, end PowerSample, inside []PowerSample) *PowerStats {
	st := &PowerStats{Samples: len(inside), MinW: math.Inf(1)}
	window := end.Time.Sub(start.Time).Seconds()
	st.WindowS = window
	state := inside
	if len(state) == 0 {
		state = []PowerSample{start, end}
	}
	instant := true
	for _, s := range state {
		instant = instant && s.HasInstant
	}
	st.MinMaxSource = "average_1s"
	if instant {
		st.MinMaxSource = "instant"
	}
	var sumW, sumClk, sumMem float64
	var nW, nClk, nMem int
	for _, s := range state {
		if s.PowerW > 0 {
			sumW += s.PowerW
			nW++
		}
		mm := s.PowerW
		if instant {
			mm = s.PowerInstantW
		}
		if mm > 0 {
			st.MinW = math.Min(st.MinW, mm)
			st.MaxW = math.Max(st.MaxW, mm)
		}
		if s.SMClockMHz > 0 {
			sumClk += s.SMClockMHz
			nClk++
		}
		if s.MemClockMHz > 0 {
			sumMem += s.MemClockMHz
			nMem++
		}
		st.MaxTempC = math.Max(st.MaxTempC, s.TempC)
		st.PowerLimitW = math.Max(st.PowerLimitW, s.PowerLimitW)
	}
	for _, s := range inside {
		st.ThrottleReasons |= s.ThrottleReasons
	}
	if math.IsInf(st.MinW, 1) {
		st.MinW = 0
	}
	if nW > 0 {
		st.SampledAvgW = sumW / float64(nW)
	}
	st.DriftPct = powerDrift(inside)
	if nClk > 0 {
		st.SMClockMHz = sumClk / float64(nClk)
	}
	if nMem > 0 {
		st.MemClockMHz = sumMem / float64(nMem)
	}
	st.Throttles = gpuid.ClockEventNames(st.ThrottleReasons)
	if start.HasEnergy && end.HasEnergy && end.EnergyMJ >= start.EnergyMJ && window > 0 {
		st.EnergyJ = float64(end.EnergyMJ-start.EnergyMJ) / 1000
		st.AvgW = st.EnergyJ / window
		st.Source = "energy_counter"
		st.EnergyResolutionPct = 100 * 2 * energyCounterStep.Seconds() / window
		st.CrossCheckOK = st.SampledAvgW > 0 && math.Abs(st.AvgW-st.SampledAvgW) <= crossCheckTolerance*st.AvgW
		return st
	}
	st.AvgW = st.SampledAvgW
	st.EnergyJ = st.AvgW * window
	st.Source = "samples"
	st.CrossCheckOK = nW >= 2
	return st
}

// powerDrift is the mean sampled power of the second half of the samples
// against the first half, in percent; 0 with fewer than four samples.
func powerDrift(samples []PowerSample) float64 {
	var ws []float64
	for _, s := range samples {
		if s.PowerW > 0 {
			ws = append(ws, s.PowerW)
		}
	}
	if len(ws) < 4 {
		return 0
	}
	mean := func(xs []float64) float64 {
		var t float64
		for _, x := range xs {
			t += x
		}
		return t / float64(len(xs))
	}
	first, second := mean(ws[:len(ws)/2]), mean(ws[len(ws)/2:])
	return 100 * (second - first) / first
}
