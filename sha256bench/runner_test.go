package sha256bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

var update = flag.Bool("update", false, "rewrite golden files")

func quick(cfg Config) Config {
	cfg.Duration = 400 * time.Millisecond
	cfg.Warmup = 50 * time.Millisecond
	cfg.Window = MinWindow
	return cfg
}

// fakeMeter is a package energy counter drawing a constant power.
type fakeMeter struct {
	mu    sync.Mutex
	watts float64
	start time.Time
	err   error
	reads int
}

func (m *fakeMeter) EnergyJ(ctx context.Context) (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.err != nil {
		return 0, m.err
	}
	return 1000 + m.watts*time.Since(m.start).Seconds(), nil
}

func TestRunMeasuresEveryThread(t *testing.T) {
	var progress []Progress
	res, err := Run(context.Background(), quick(Config{Threads: 2, Progress: func(p Progress) { progress = append(progress, p) }}))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.Hashes == 0 || len(res.PerThreadHS) != 2 || res.HashrateHS <= 0 {
		t.Fatalf("result %+v", res)
	}
	var sum float64
	for _, v := range res.PerThreadHS {
		if v <= 0 {
			t.Errorf("idle thread: %v", res.PerThreadHS)
		}
		sum += v
	}
	if math.Abs(sum-res.HashrateHS) > 1e-6*res.HashrateHS {
		t.Errorf("per-thread rates sum to %v, total %v", sum, res.HashrateHS)
	}
	// How many windows fit depends on how late a busy machine wakes the
	// sampler; at most duration/window, at least one.
	w := res.WindowHS
	if w == nil || w.Count < 1 || w.Count > 4 || !(w.Min <= w.Median && w.Median <= w.Max) || w.Min <= 0 {
		t.Errorf("windows %+v", w)
	}
	if res.Interrupted || res.DurationS < 0.3 {
		t.Errorf("duration %v interrupted %v", res.DurationS, res.Interrupted)
	}
	if res.PowerW != nil || res.PowerSource != PowerSourceUnavailable || res.PowerNote == "" {
		t.Errorf("power without a meter: %v %q %q", res.PowerW, res.PowerSource, res.PowerNote)
	}
	var warm, measured bool
	for _, p := range progress {
		warm = warm || p.Warmup
		measured = measured || (!p.Warmup && p.Hashes > 0)
	}
	if !warm || !measured {
		t.Errorf("progress never reported both phases: %+v", progress)
	}
}

func TestRunPower(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		source string
		watts  float64
	}{
		{"meter", Config{Meter: &fakeMeter{watts: 120, start: time.Now()}}, PowerSourceMeter, 120},
		{"flag wins over meter", Config{PowerW: 95, Meter: &fakeMeter{watts: 120, start: time.Now()}}, PowerSourceFlag, 95},
		{"meter error", Config{Meter: &fakeMeter{err: errors.New("rapl: permission denied")}}, PowerSourceUnavailable, 0},
		{"no meter", Config{NoMeterReason: "no intel-rapl zones"}, PowerSourceUnavailable, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := quick(c.cfg)
			cfg.Threads = 1
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.PowerSource != c.source {
				t.Fatalf("source %q, want %q (note %q)", res.PowerSource, c.source, res.PowerNote)
			}
			if c.watts == 0 {
				if res.PowerW != nil || res.JPerTH != nil || res.PowerNote == "" {
					t.Errorf("invented power: %v %v note %q", res.PowerW, res.JPerTH, res.PowerNote)
				}
				return
			}
			if math.Abs(*res.PowerW-c.watts) > 0.05*c.watts {
				t.Errorf("power %v W, want about %v", *res.PowerW, c.watts)
			}
			if want := *res.PowerW / res.HashrateHS * 1e12; math.Abs(*res.JPerTH-want) > 1e-9*want {
				t.Errorf("J/TH %v, want %v", *res.JPerTH, want)
			}
			if want := res.HashrateHS / *res.PowerW; math.Abs(*res.HPerJ-want) > 1e-9*want {
				t.Errorf("H/J %v, want %v", *res.HPerJ, want)
			}
		})
	}
}

func TestRunCancelReturnsPartialResult(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(400*time.Millisecond, cancel)
	start := time.Now()
	res, err := Run(ctx, Config{Threads: 1, Duration: time.Minute, Warmup: 100 * time.Millisecond, Window: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
	if !res.Interrupted || res.Hashes == 0 || res.DurationS > 5 {
		t.Errorf("partial result %+v", res)
	}
}

func TestRunRefusesAFailingKernel(t *testing.T) {
	broken := Kernel{Name: "broken", Lanes: 1, support: func() string { return "" },
		scan: func(wk *work, start, count uint32, cands []uint32) []uint32 {
			// Right except that it never reports the last nonce of a range.
			return scanGeneric(wk, start, count-1, cands)
		}}
	if err := SelfCheck(broken); !errors.Is(err, ErrSelfCheck) {
		t.Fatalf("self-check of a broken kernel: %v", err)
	}
	res, err := run(context.Background(), quick(Config{}).withDefaults(), broken)
	if !errors.Is(err, ErrSelfCheck) || res != nil {
		t.Errorf("run with a broken kernel: %v, %v", res, err)
	}
	for _, k := range supportedKernels(t) {
		if err := SelfCheck(k); err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
	}
}

func TestRunUnknownKernel(t *testing.T) {
	if _, err := Run(context.Background(), Config{Kernel: "sse9"}); !errors.Is(err, ErrUnknownKernel) {
		t.Errorf("err %v", err)
	}
}

func goldenResult() *Result {
	w, j, h, e := 65.5, 65.5/30e6*1e12, 30e6/65.5, 655.0
	return &Result{
		Kernel: "avx512", Threads: 2, DurationS: 10, Hashes: 300_000_000, HashrateHS: 30e6,
		PerThreadHS: []float64{15.1e6, 14.9e6}, WindowHS: &Windows{Count: 10, Min: 29e6, Median: 30e6, Max: 31e6},
		Verified: true, PowerW: &w, PowerSource: PowerSourceMeter, EnergyJ: &e, JPerTH: &j, HPerJ: &h,
		CPUModel: "Test CPU", CPUFlags: []string{"avx2", "sha-ni"}, Pinned: true,
		YardstickHS: 4.2e6, VsYardstick: 30e6 / 2 / 4.2e6, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestResultGolden(t *testing.T) {
	r := goldenResult()
	var buf bytes.Buffer
	if err := r.Table(&buf); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("--- line protocol\n")
	pts := r.Points()
	for _, p := range pts {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	buf.Write(metric.Lines(pts))
	unavailable := *r
	unavailable.PowerW, unavailable.JPerTH, unavailable.HPerJ, unavailable.EnergyJ = nil, nil, nil, nil
	unavailable.PowerSource, unavailable.PowerNote = PowerSourceUnavailable, "no intel-rapl zones"
	buf.WriteString("--- without power\n")
	if err := unavailable.Table(&buf); err != nil {
		t.Fatal(err)
	}
	const path = "testdata/result.golden"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("output differs from %s (run with -update):\n%s", path, got)
	}
	if !strings.Contains(buf.String(), "power       unavailable (no intel-rapl zones)") {
		t.Errorf("no power line for the unavailable case")
	}
}

func TestFormatHS(t *testing.T) {
	for v, want := range map[float64]string{12: "12.0 H/s", 30_664_518: "30.665 MH/s", 1.5e12: "1.500 TH/s", 4_200: "4.200 kH/s"} {
		if got := FormatHS(v); got != want {
			t.Errorf("FormatHS(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestBenchmarkForTheAgent(t *testing.T) {
	b := NewBenchmark(quick(Config{Threads: 1}))
	if b.Name() != "sha256" {
		t.Errorf("name %q", b.Name())
	}
	pts, err := b.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].Measurement != "sha256_bench" || pts[1].Measurement != "sha256_bench_thread" {
		t.Fatalf("points %v", pts)
	}
	for _, p := range pts {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	if hs, _ := pts[0].Fields["hashrate_hs"].(float64); hs <= 0 {
		t.Errorf("hashrate field %v", pts[0].Fields["hashrate_hs"])
	}
}

func TestRunCancelledDuringWarmupReportsWarmupFlagged(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	m := &fakeMeter{watts: 80, start: time.Now()}
	res, err := Run(ctx, Config{Threads: 1, Warmup: time.Minute, Duration: time.Minute, Window: 100 * time.Millisecond, Meter: m})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || !res.WarmupIncluded || res.Hashes == 0 {
		t.Errorf("result %+v", res)
	}
	// The energy covers the same interval as the hashes.
	if res.PowerW == nil || math.Abs(*res.PowerW-80) > 8 {
		t.Errorf("power %v, want about 80 W", res.PowerW)
	}
}
