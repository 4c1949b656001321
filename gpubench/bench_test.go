package gpubench

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePower is a board drawing a steady 300 W: every reading is 100 ms after
// the previous one, so the energy counter grows 30 J per reading.
type fakePower struct {
	mu       sync.Mutex
	t        time.Time
	mj       uint64
	calls    int
	noEnergy bool
	err      error
	seen     map[string]int
}

func (p *fakePower) Sample(_ context.Context, bus string) (PowerSample, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]int{}
	}
	p.seen[bus]++
	if p.err != nil {
		return PowerSample{}, p.err
	}
	if p.t.IsZero() {
		p.t = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	p.calls++
	p.t = p.t.Add(100 * time.Millisecond)
	p.mj += 30000
	s := PowerSample{Time: p.t, PowerW: 300, EnergyMJ: p.mj, HasEnergy: !p.noEnergy, SMClockMHz: 1755,
		MemClockMHz: 2619, TempC: 60 + float64(p.calls%5), PowerLimitW: 700}
	s.ThrottleReasons = 0x4 // power-capped throughout
	return s, nil
}

func testBench(t *testing.T, f *fakeDriver) *Bench {
	t.Helper()
	th := startCUDAThread()
	b := newBench(f, th, slog.New(slog.DiscardHandler))
	b.tune = tuning{shaVerifyTarget: 0x0fffffff, shaVerifyNonces: 128}
	t.Cleanup(b.Close)
	return b
}

func quickOpts() Options {
	return Options{Duration: time.Nanosecond, Warmup: -1, StepTarget: 200 * time.Microsecond,
		SampleEvery: time.Millisecond, CopyBytes: 1 << 20}
}

func TestRunAllKernelsVerified(t *testing.T) {
	f := newFakeDriver(smallGPU("NVIDIA H100 80GB HBM3", 9, 0))
	b := testBench(t, f)
	pw := &fakePower{}
	opts := quickOpts()
	opts.Power = pw
	var phases []string
	opts.OnStep = func(p Progress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Kernel+"/"+p.Phase {
			phases = append(phases, p.Kernel+"/"+p.Phase)
		}
	}
	rep, err := b.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.DriverVersion != "12.4" {
		t.Errorf("driver version %q", rep.DriverVersion)
	}
	if len(rep.GPUs) != 1 {
		t.Fatalf("%d GPUs", len(rep.GPUs))
	}
	g := rep.GPUs[0]
	if g.PCIBusID != "0000:3b:00.0" || g.Arch != "Hopper" || g.Datasheet == nil || g.Datasheet.SKU != "H100 SXM" {
		t.Errorf("device %+v datasheet %+v", g.Device, g.Datasheet)
	}
	if len(g.Kernels) != len(KernelNames()) {
		t.Fatalf("%d kernel results", len(g.Kernels))
	}
	for _, k := range g.Kernels {
		if !k.Verified || k.Error != "" || k.Rate <= 0 {
			t.Errorf("%s: verified=%v rate=%g err=%q", k.Kernel, k.Verified, k.Rate, k.Error)
			continue
		}
		if got := k.Work / k.GPUSeconds; math.Abs(got-k.Rate) > 1e-9*k.Rate {
			t.Errorf("%s: rate %g, work/time %g", k.Kernel, k.Rate, got)
		}
		if k.Power == nil || k.Power.AvgW != 300 || k.Power.Source != "energy_counter" || !k.Power.CrossCheckOK {
			t.Errorf("%s: power %+v (%s)", k.Kernel, k.Power, k.PowerError)
			continue
		}
		if math.Abs(k.RatePerW-k.Rate/300) > 1e-9*k.Rate {
			t.Errorf("%s: per W %g, want %g", k.Kernel, k.RatePerW, k.Rate/300)
		}
		// Throttle reasons come from the samples inside the window only (the
		// closing reading is taken idle); a window too short for one has none.
		if capped := strings.Contains(strings.Join(k.Power.Throttles, ","), "sw_power_cap"); capped != (k.Power.Samples > 0) {
			t.Errorf("%s: throttles %v from %d samples inside the window", k.Kernel, k.Power.Throttles, k.Power.Samples)
		}
		switch k.Kernel {
		case KernelFP32FMA:
			if want := 1 * 1755e6 * 256.0; k.PeakRate != want || k.ClockSource != "nvml_measured" {
				t.Errorf("fp32 peak %g from %s, want %g", k.PeakRate, k.ClockSource, want)
			}
			if k.DatasheetRate != 67e12 {
				t.Errorf("fp32 datasheet %g", k.DatasheetRate)
			}
		case KernelBF16MMA:
			if want := 1755e6 * 4096.0; k.PeakRate != want {
				t.Errorf("bf16 peak %g, want %g", k.PeakRate, want)
			}
		case KernelCopy:
			if want := 2619e6 * 2 * 5120 / 8; k.PeakRate != want || k.ClockSource != "memory_attributes" {
				t.Errorf("memory peak %g, want %g", k.PeakRate, want)
			}
		case KernelSHA256d:
			if k.PeakRate != 0 || k.Unit != UnitHashes {
				t.Errorf("sha peak %g unit %s", k.PeakRate, k.Unit)
			}
		}
		if k.PeakRate > 0 && math.Abs(k.PeakPct-100*k.Rate/k.PeakRate) > 1e-9 {
			t.Errorf("%s: peak pct %g", k.Kernel, k.PeakPct)
		}
	}
	if pw.seen["0000:3b:00.0"] == 0 || len(pw.seen) != 1 {
		t.Errorf("power sampled for %v, want the normalized bus id only", pw.seen)
	}
	for _, want := range []string{"fp32_fma/calibrate", "fp32_fma/steady", "fp32_fma/verify", "sha256d/verify"} {
		if !strings.Contains(strings.Join(phases, " "), want) {
			t.Errorf("progress phases %v lack %s", phases, want)
		}
	}
	if l := f.leaks(); len(l) > 0 {
		t.Errorf("leaked %v", l)
	}
}

// A kernel whose output is wrong must not report a rate, and the others
// still run.
func TestRunRefusesUnverifiedResults(t *testing.T) {
	for _, tc := range []struct {
		kernel string
		spoil  func(f *fakeDriver, kernel string, args []kernelArg)
	}{
		{KernelCopy, func(f *fakeDriver, kernel string, args []kernelArg) {
			if kernel == "perwatt_copy_v4" {
				b, _ := f.bytes(args[1].bits+4096, 1)
				b[0] ^= 1
			}
		}},
		{KernelMemcpyDtoD, func(f *fakeDriver, kernel string, args []kernelArg) {
			if kernel == "cuMemcpyDtoD" {
				for p, b := range f.allocs {
					if len(b) == 1<<20 && uint64(p)%2 == 0 {
						b[len(b)-1] ^= 0x80
					}
				}
			}
		}},
		{KernelFP32FMA, func(f *fakeDriver, kernel string, args []kernelArg) {
			if kernel == "perwatt_fma_f32" {
				b, _ := f.bytes(args[0].bits+8, 4)
				b[0]++
			}
		}},
		{KernelBF16MMA, func(f *fakeDriver, kernel string, args []kernelArg) {
			if kernel == "perwatt_mma_bf16" {
				b, _ := f.bytes(args[1].bits+4*37, 4)
				b[1]++
			}
		}},
		{KernelSHA256d, func(f *fakeDriver, kernel string, args []kernelArg) {
			if kernel == "perwatt_sha256d" {
				b, _ := f.bytes(args[1].bits, 8)
				if le32(b, 0) > 0 {
					putLE32(b, 1, le32(b, 1)+1) // a wrong nonce
				} else {
					putLE32(b, 0, 1) // a hit that is not one
					putLE32(b, 1, 12345)
				}
			}
		}},
	} {
		t.Run(tc.kernel, func(t *testing.T) {
			f := newFakeDriver(smallGPU("NVIDIA H100 80GB HBM3", 9, 0))
			f.afterLaunch = tc.spoil
			b := testBench(t, f)
			opts := quickOpts()
			opts.Kernels = []string{tc.kernel, KernelFP16MMA}
			rep, err := b.Run(context.Background(), opts)
			if !errors.Is(err, ErrVerification) {
				t.Fatalf("Run error %v, want ErrVerification", err)
			}
			k := rep.GPUs[0].Kernels[0]
			if k.Verified || k.Rate != 0 || k.PeakPct != 0 || !strings.Contains(k.Error, "verification failed") {
				t.Errorf("spoiled %s reported %+v", tc.kernel, k)
			}
			if other := rep.GPUs[0].Kernels[1]; !other.Verified {
				t.Errorf("unspoiled kernel failed too: %s", other.Error)
			}
			if l := f.leaks(); len(l) > 0 {
				t.Errorf("leaked %v", l)
			}
		})
	}
}

func TestRunJITFailureShowsLog(t *testing.T) {
	f := newFakeDriver(smallGPU("NVIDIA A100-SXM4-80GB", 8, 0))
	f.fail["cuModuleLoadDataEx"] = cudaErrorInvalidPTX
	f.jitLog = "ptxas application ptx input, line 12; error   : Unknown symbol 'x'\nptxas fatal   : Ptx assembly aborted"
	b := testBench(t, f)
	opts := quickOpts()
	opts.Kernels = []string{KernelFP32FMA, KernelMemcpyDtoD}
	rep, err := b.Run(context.Background(), opts)
	if !errors.Is(err, ErrJIT) {
		t.Fatalf("error %v, want ErrJIT", err)
	}
	msg := rep.GPUs[0].Kernels[0].Error
	for _, want := range []string{"fma.ptx", "CUDA_ERROR_INVALID_PTX", "line 12", "Ptx assembly aborted"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	if !rep.GPUs[0].Kernels[1].Verified {
		t.Errorf("memcpy (no PTX) failed: %s", rep.GPUs[0].Kernels[1].Error)
	}
	if l := f.leaks(); len(l) > 0 {
		t.Errorf("leaked %v", l)
	}
}

func TestRunOutOfMemoryIsReadable(t *testing.T) {
	f := newFakeDriver(smallGPU("NVIDIA L40S", 8, 9))
	f.fail["cuMemAlloc_v2"] = cudaErrorOutOfMemory
	b := testBench(t, f)
	opts := quickOpts()
	opts.Kernels = []string{KernelCopy}
	rep, err := b.Run(context.Background(), opts)
	if err == nil || !strings.Contains(rep.GPUs[0].Kernels[0].Error, "cuda: cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY") {
		t.Fatalf("error %v / %q", err, rep.GPUs[0].Kernels[0].Error)
	}
	if l := f.leaks(); len(l) > 0 {
		t.Errorf("leaked %v", l)
	}
}

func TestRunSkipsMMABeforeAmpere(t *testing.T) {
	f := newFakeDriver(smallGPU("Tesla T4", 7, 5))
	b := testBench(t, f)
	opts := quickOpts()
	opts.Kernels = []string{KernelBF16MMA, KernelFP32FMA}
	rep, err := b.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	k := rep.GPUs[0].Kernels
	if !strings.Contains(k[0].Skipped, "8.0") || k[0].Verified || f.calls["cuModuleLoadDataEx"] != 1 {
		t.Errorf("bf16 on sm_75: %+v (%d JIT calls)", k[0], f.calls["cuModuleLoadDataEx"])
	}
	if !k[1].Verified {
		t.Errorf("fp32 on sm_75: %s", k[1].Error)
	}
	if k[1].Power != nil || k[1].RatePerW != 0 || k[1].ClockSource != "max_boost" {
		t.Errorf("without a sampler: power %+v per W %g clock %s", k[1].Power, k[1].RatePerW, k[1].ClockSource)
	}
}

func TestRunDeviceSelection(t *testing.T) {
	a, c := smallGPU("NVIDIA H100 80GB HBM3", 9, 0), smallGPU("NVIDIA H100 80GB HBM3", 9, 0)
	c.busID = "00000000:5E:00.0"
	f := newFakeDriver(a, c)
	b := testBench(t, f)
	opts := quickOpts()
	opts.Kernels = []string{KernelMemcpyDtoD}
	opts.Devices = []int{1}
	pw := &fakePower{}
	opts.Power = pw
	rep, err := b.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.GPUs) != 1 || rep.GPUs[0].Index != 1 || rep.GPUs[0].PCIBusID != "0000:5e:00.0" {
		t.Fatalf("GPUs %+v", rep.GPUs)
	}
	if pw.seen["0000:5e:00.0"] == 0 || pw.seen["0000:3b:00.0"] != 0 {
		t.Errorf("power read for %v", pw.seen)
	}
	opts.Devices = []int{2}
	if _, err := b.Run(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "gpu 2 does not exist") {
		t.Errorf("missing device: %v", err)
	}
}

func TestRunNoDevices(t *testing.T) {
	b := testBench(t, newFakeDriver())
	if _, err := b.Run(context.Background(), quickOpts()); !errors.Is(err, ErrNoDevice) {
		t.Errorf("error %v, want ErrNoDevice", err)
	}
}

func TestRunCancelled(t *testing.T) {
	f := newFakeDriver(smallGPU("NVIDIA H100 80GB HBM3", 9, 0))
	b := testBench(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	opts := quickOpts()
	opts.Duration = time.Hour
	opts.OnStep = func(p Progress) {
		if p.Phase == "steady" {
			cancel()
		}
	}
	_, err := b.Run(ctx, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
	if l := f.leaks(); len(l) > 0 {
		t.Errorf("leaked %v", l)
	}
}

func TestOptionsValidateReportsEverything(t *testing.T) {
	err := Options{Kernels: []string{"fp64", "sha256d", "int8"}, Devices: []int{-1}, CopyBytes: 10}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"fp64"`, `"int8"`, "gpu index -1", "copy buffer 10 bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %s", err, want)
		}
	}
}
