package gpubench

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PowerSample is one reading of a GPU's board power and state, as NVML
// reports it. Zero values mean "not reported".
type PowerSample struct {
	Time   time.Time
	PowerW float64
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

// PowerSampler reads a GPU's power by its PCI bus id (NormalizePCIBusID
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
	MinW        float64 `json:"min_w"`
	MaxW        float64 `json:"max_w"`
	EnergyJ     float64 `json:"energy_j"`
	WindowS     float64 `json:"window_s"`
	Source      string  `json:"source"` // "energy_counter" or "samples"
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
	if first, err := s.Sample(ctx, busID); err == nil {
		w.start, w.startOK = first, true
		w.samples = append(w.samples, first)
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

// stop takes the closing reading and summarises the window.
func (w *powerWindow) stop(ctx context.Context, s PowerSampler, busID string) (*PowerStats, error) {
	w.cancel()
	<-w.done
	end, err := s.Sample(ctx, busID)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.samples = append(w.samples, end)
	}
	if !w.startOK || err != nil {
		if err == nil {
			err = w.lastErr
		}
		return nil, fmt.Errorf("power readings for %s: %w", busID, err)
	}
	return summarisePower(w.start, end, w.samples), nil
}

// summarisePower computes the window's figures from its first and last
// readings (energy counter) and every sample in between.
func summarisePower(start, end PowerSample, samples []PowerSample) *PowerStats {
	st := &PowerStats{Samples: len(samples), MinW: math.Inf(1)}
	window := end.Time.Sub(start.Time).Seconds()
	st.WindowS = window
	var sumW, sumClk, sumMem float64
	var nW, nClk, nMem int
	for _, s := range samples {
		if s.PowerW > 0 {
			sumW += s.PowerW
			nW++
			st.MinW = math.Min(st.MinW, s.PowerW)
			st.MaxW = math.Max(st.MaxW, s.PowerW)
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
		st.ThrottleReasons |= s.ThrottleReasons
	}
	if nW == 0 {
		st.MinW = 0
	} else {
		st.SampledAvgW = sumW / float64(nW)
	}
	if nClk > 0 {
		st.SMClockMHz = sumClk / float64(nClk)
	}
	if nMem > 0 {
		st.MemClockMHz = sumMem / float64(nMem)
	}
	st.Throttles = ThrottleNames(st.ThrottleReasons)
	if start.HasEnergy && end.HasEnergy && end.EnergyMJ >= start.EnergyMJ && window > 0 {
		st.EnergyJ = float64(end.EnergyMJ-start.EnergyMJ) / 1000
		st.AvgW = st.EnergyJ / window
		st.Source = "energy_counter"
		st.CrossCheckOK = st.SampledAvgW > 0 && math.Abs(st.AvgW-st.SampledAvgW) <= crossCheckTolerance*st.AvgW
		return st
	}
	st.AvgW = st.SampledAvgW
	st.EnergyJ = st.AvgW * window
	st.Source = "samples"
	st.CrossCheckOK = nW >= 2
	return st
}

// NVML clocks-event (throttle) reason bits, nvmlClocksEventReason*.
var throttleBits = []struct {
	bit  uint64
	name string
}{
	{0x1, "gpu_idle"},
	{0x2, "applications_clocks"},
	{0x4, "sw_power_cap"},
	{0x8, "hw_slowdown"},
	{0x10, "sync_boost"},
	{0x20, "sw_thermal"},
	{0x40, "hw_thermal"},
	{0x80, "hw_power_brake"},
	{0x100, "display_clocks"},
}

// ThrottleNames spells out an NVML throttle-reason mask.
func ThrottleNames(mask uint64) []string {
	var out []string
	for _, t := range throttleBits {
		if mask&t.bit != 0 {
			out = append(out, t.name)
			mask &^= t.bit
		}
	}
	if mask != 0 {
		out = append(out, fmt.Sprintf("0x%x", mask))
	}
	return out
}

// NormalizePCIBusID turns the driver's and NVML's spellings of a PCI address
// ("0000:3B:00.0", "00000000:3b:00.0") into one form, "0000:3b:00.0", so the
// two can be matched.
func NormalizePCIBusID(s string) (string, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	var domain, bus, dev, fn uint64
	parts := strings.Split(s, ":")
	if len(parts) == 2 {
		parts = append([]string{"0"}, parts...)
	}
	if len(parts) != 3 {
		return "", fmt.Errorf("pci bus id %q: want domain:bus:device.function", s)
	}
	df := strings.Split(parts[2], ".")
	if len(df) != 2 {
		return "", fmt.Errorf("pci bus id %q: want domain:bus:device.function", s)
	}
	for _, f := range []struct {
		txt string
		dst *uint64
		max uint64
	}{{parts[0], &domain, 0xffffffff}, {parts[1], &bus, 0xff}, {df[0], &dev, 0x1f}, {df[1], &fn, 7}} {
		v, err := strconv.ParseUint(f.txt, 16, 64)
		if err != nil {
			return "", fmt.Errorf("pci bus id %q: bad field %q", s, f.txt)
		}
		*f.dst = v
		if v > f.max {
			return "", fmt.Errorf("pci bus id %q: field %q out of range", s, f.txt)
		}
	}
	return fmt.Sprintf("%04x:%02x:%02x.%x", domain, bus, dev, fn), nil
}
