package gpubench

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fma32 must round once, exactly as IEEE-754 fusedMultiplyAdd in binary32;
// big.Float computes the exact product and sum and rounds once to 24 bits.
func TestFMA32MatchesExactRounding(t *testing.T) {
	ref := func(x, a, b float32) float32 {
		p := new(big.Float).SetPrec(200).Mul(big.NewFloat(float64(x)), big.NewFloat(float64(a)))
		s := new(big.Float).SetPrec(200).Add(p, big.NewFloat(float64(b)))
		r := new(big.Float).SetPrec(24).SetMode(big.ToNearestEven).Set(s)
		f, _ := r.Float32()
		return f
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cases := [][3]float32{
		{1, 1, 0}, {1.0001221, 1.5, -1.5}, {0.1, 10, -1},
		// Ties after the double-precision rounding: where naive float32(x*a+b) in float64 double-rounds.
		{1 + 1.0/(1<<23), 1 + 1.0/(1<<23), -1},
		{16777215, 1, 0.5}, {16777215, 1, 0.49999997},
	}
	for i := 0; i < 200000; i++ {
		r := func() float32 { return float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(20)-10))) }
		cases = append(cases, [3]float32{r(), r(), r()})
	}
	for _, c := range cases {
		if got, want := fma32(c[0], c[1], c[2]), ref(c[0], c[1], c[2]); got != want && !(got == 0 && want == 0) {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", c[0], c[1], c[2], got, want)
		}
	}
}

func TestCheckResultNamesTheCall(t *testing.T) {
	for _, tc := range []struct {
		code  int
		namer errorNamer
		want  string
	}{
		{cudaErrorOutOfMemory, nil, "cuda: cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY"},
		{cudaErrorOutOfMemory, func(int) (string, string, bool) { return "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", true },
			"cuda: cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (out of memory)"},
		{4242, func(int) (string, string, bool) { return "", "", false }, "cuda: cuMemAlloc_v2: CUresult 4242"},
	} {
		err := checkResult("cuMemAlloc_v2", tc.code, tc.namer)
		if err == nil || err.Error() != tc.want {
			t.Errorf("code %d: %v, want %q", tc.code, err, tc.want)
		}
	}
	if checkResult("cuInit", cudaSuccess, nil) != nil {
		t.Error("CUDA_SUCCESS is an error")
	}
	if !errors.Is(checkResult("cuInit", cudaErrorNoDevice, nil), ErrNoDevice) {
		t.Error("CUDA_ERROR_NO_DEVICE does not match ErrNoDevice")
	}
	if !errors.Is(checkResult("cuInit", cudaErrorInsufficientDriver, nil), ErrNoDriver) {
		t.Error("CUDA_ERROR_INSUFFICIENT_DRIVER does not match ErrNoDriver")
	}
	if errors.Is(checkResult("cuMemAlloc_v2", cudaErrorOutOfMemory, nil), ErrNoDevice) {
		t.Error("out of memory matches ErrNoDevice")
	}
}

// On a host without the driver Open must say so in one line, not crash;
// on a host with one it must find at least one GPU.
func TestOpenWithoutDriver(t *testing.T) {
	b, err := Open(t.Context(), nil)
	if err == nil {
		defer b.Close()
		devs, err := b.Devices(t.Context())
		if err != nil || len(devs) == 0 {
			t.Fatalf("driver loaded but devices: %v, %v", devs, err)
		}
		t.Logf("libcuda present: %d GPUs, first %s", len(devs), devs[0].Name)
		return
	}
	if !errors.Is(err, ErrNoDriver) && !errors.Is(err, ErrNoDevice) {
		t.Fatalf("error %v is neither ErrNoDriver nor ErrNoDevice", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("multi-line error %q", err)
	}
	if _, statErr := os.Stat("/usr/lib/x86_64-linux-gnu/libcuda.so.1"); os.IsNotExist(statErr) && errors.Is(err, ErrNoDriver) {
		if err.Error() != "no NVIDIA driver: libcuda.so.1 not found" {
			t.Errorf("error %q", err)
		}
	}
}

func TestArchTables(t *testing.T) {
	// Per-SM rates times SMs times the clock NVIDIA's datasheets use must
	// reproduce the datasheet peaks.
	for _, tc := range []struct {
		sku               string
		major, minor, sms int
		clockMHz          float64
		fp32TF, tensorTF  float64
		name              string
	}{
		{"V100 SXM2", 7, 0, 80, 1530, 15.7, 125, "Tesla V100-SXM2-16GB"},
		{"A100", 8, 0, 108, 1410, 19.5, 312, "NVIDIA A100-SXM4-80GB"},
		{"H100 SXM", 9, 0, 132, 1830, 61.8, 989.4, "NVIDIA H100 80GB HBM3"},
		{"RTX 4090", 8, 9, 128, 2520, 82.6, 165.2, "NVIDIA GeForce RTX 4090"},
		{"L40S", 8, 9, 142, 2520, 91.6, 362.05, "NVIDIA L40S"},
		{"A40", 8, 6, 84, 1740, 37.4, 149.7, "NVIDIA A40"},
		{"A10", 8, 6, 72, 1695, 31.2, 125, "NVIDIA A10"},
		{"RTX 3090", 8, 6, 82, 1695, 35.6, 71, "NVIDIA GeForce RTX 3090"},
		{"L40", 8, 9, 142, 2490, 90.5, 181.05, "NVIDIA L40"},
		{"B200", 10, 0, 148, 1860, 70.4, 2250, "NVIDIA B200"},
		{"RTX 5090", 12, 0, 170, 2407, 104.8, 209.5, "NVIDIA GeForce RTX 5090"},
	} {
		a, ok := ArchFor(tc.major, tc.minor)
		if !ok {
			t.Errorf("%s: no arch for %d.%d", tc.sku, tc.major, tc.minor)
			continue
		}
		fp32 := computePeak(tc.sms, tc.clockMHz, a.FP32FlopsPerClkPerSM) / 1e12
		tensor := computePeak(tc.sms, tc.clockMHz, tensorRate(a, tc.name)) / 1e12
		if math.Abs(fp32-tc.fp32TF)/tc.fp32TF > 0.03 {
			t.Errorf("%s: fp32 %.1f TFLOPS, datasheet %.1f", tc.sku, fp32, tc.fp32TF)
		}
		if math.Abs(tensor-tc.tensorTF)/tc.tensorTF > 0.03 {
			t.Errorf("%s: tensor %.1f TFLOPS, datasheet %.1f", tc.sku, tensor, tc.tensorTF)
		}
	}
	if _, ok := ArchFor(6, 1); ok {
		t.Error("Pascal has no table entry but ArchFor found one")
	}
	if got := computePeak(0, 1000, 128); got != 0 {
		t.Errorf("peak with no SMs = %g", got)
	}
}

func TestMemoryPeak(t *testing.T) {
	for _, tc := range []struct {
		name         string
		memKHz, bits int
		tbps         float64
	}{
		{"H100 SXM HBM3", 2619000, 5120, 3.35},
		{"A100 80GB HBM2e", 1593000, 5120, 2.039},
		{"RTX 4090 GDDR6X", 10501000, 384, 1.008},
	} {
		if got := memoryPeak(tc.memKHz, tc.bits) / 1e12; math.Abs(got-tc.tbps)/tc.tbps > 0.01 {
			t.Errorf("%s: %.3f TB/s, datasheet %.3f", tc.name, got, tc.tbps)
		}
	}
	if memoryPeak(0, 5120) != 0 || memoryPeak(1, 0) != 0 {
		t.Error("peak without attributes is not 0")
	}
}

func TestDatasheetFor(t *testing.T) {
	for name, want := range map[string]string{
		"NVIDIA H100 80GB HBM3":    "H100 SXM",
		"NVIDIA H100 PCIe":         "H100 PCIe",
		"NVIDIA H100 NVL":          "H100 NVL",
		"NVIDIA H200":              "H200 SXM",
		"NVIDIA H200 NVL":          "H200 NVL",
		"NVIDIA A100-SXM4-80GB":    "A100 SXM 80GB",
		"NVIDIA A100-SXM4-40GB":    "A100 SXM 40GB",
		"NVIDIA A100 80GB PCIe":    "A100 PCIe 80GB",
		"NVIDIA A100-PCIE-40GB":    "A100 PCIe 40GB",
		"NVIDIA L40S":              "L40S",
		"NVIDIA L40":               "L40",
		"NVIDIA L4":                "L4",
		"NVIDIA A10":               "A10",
		"NVIDIA GeForce RTX 4090":  "RTX 4090",
		"NVIDIA B200":              "B200",
		"Tesla V100-SXM2-32GB":     "V100 SXM2",
		"NVIDIA GeForce RTX 3080":  "",
		"NVIDIA RTX A6000":         "RTX A6000",
		"NVIDIA A40":               "A40",
		"NVIDIA H800":              "H800 SXM",
		"NVIDIA H800 PCIe":         "H800 PCIe",
		"NVIDIA H20":               "H20",
		"NVIDIA GH200 480GB":       "GH200 96GB",
		"NVIDIA GH200 144G HBM3e":  "GH200 144GB",
		"NVIDIA H100 SXM5 94GB":    "H100 SXM 94GB",
		"Tesla V100-PCIE-16GB":     "V100 PCIe",
		"Tesla V100S-PCIE-32GB":    "V100S PCIe",
		"NVIDIA RTX A4000":         "",
		"NVIDIA GeForce RTX 40900": "",
	} {
		d, ok := DatasheetFor(name)
		if got := d.SKU; got != want || ok != (want != "") {
			t.Errorf("%q: %q (%v), want %q", name, got, ok, want)
		}
	}
}

func TestSummarisePower(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(sec float64, w float64, mj uint64) PowerSample {
		return PowerSample{Time: t0.Add(time.Duration(sec * float64(time.Second))), PowerW: w, EnergyMJ: mj, HasEnergy: true,
			SMClockMHz: 1700, TempC: 50 + sec, PowerLimitW: 700}
	}
	samples := []PowerSample{mk(0, 400, 1_000_000), mk(1, 410, 1_400_000), mk(2, 420, 1_800_000), mk(4, 400, 2_600_000)}
	st := summarisePower(samples[0], samples[3], samples[1:3])
	if st.Source != "energy_counter" || st.EnergyJ != 1600 || st.AvgW != 400 || !st.CrossCheckOK {
		t.Errorf("energy window: %+v", st)
	}
	if st.MinW != 410 || st.MaxW != 420 || st.MaxTempC != 52 || st.SMClockMHz != 1700 || st.Samples != 2 {
		t.Errorf("sample stats: %+v", st)
	}
	// Samples far from the counter's average are flagged.
	bad := []PowerSample{mk(0, 100, 0), mk(4, 100, 1_600_000)}
	if st := summarisePower(bad[0], bad[1], nil); st.AvgW != 400 || st.CrossCheckOK {
		t.Errorf("disagreeing samples not flagged: %+v", st)
	}
	// Without an energy counter the samples are the figure.
	no := []PowerSample{{Time: t0, PowerW: 200}, {Time: t0.Add(2 * time.Second), PowerW: 300}}
	if st := summarisePower(no[0], no[1], nil); st.Source != "samples" || st.AvgW != 250 || st.EnergyJ != 500 {
		t.Errorf("sampled window: %+v", st)
	}
}

func TestPowerWindowFailingSampler(t *testing.T) {
	p := &fakePower{err: errors.New("nvml: not supported")}
	w := startPowerWindow(t.Context(), p, "0000:3b:00.0", time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if st, err := w.stop(t.Context(), p, "0000:3b:00.0"); err == nil || st != nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("stats %+v err %v", st, err)
	}
	if startPowerWindow(t.Context(), nil, "x", time.Millisecond) != nil {
		t.Error("nil sampler gave a window")
	}
}

func goldenReport() *Report {
	when := time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC)
	dev := Device{Index: 0, Name: "NVIDIA H100 80GB HBM3", PCIBusID: "0000:3b:00.0", ComputeCap: "9.0", Arch: "Hopper",
		SMs: 132, MaxClockMHz: 1980, MemoryBytes: 80 << 30, MemClockMHz: 2619, MemBusWidthBits: 5120, ccMajor: 9}
	pw := &PowerStats{AvgW: 650, SampledAvgW: 640, MinW: 600, MaxW: 690, EnergyJ: 6500, WindowS: 10, Source: "energy_counter",
		CrossCheckOK: true, Samples: 101, SMClockMHz: 1755, MaxTempC: 71, PowerLimitW: 700, ThrottleReasons: 4, Throttles: []string{"sw_power_cap"}}
	ks := []KernelResult{
		{Kernel: KernelFP32FMA, Unit: UnitFlops, Rate: 55e12, Verified: true, Power: pw, Work: 55e13, GPUSeconds: 10, Steps: 200},
		{Kernel: KernelCopy, Unit: UnitBytes, Rate: 3.0e12, Verified: true, Work: 3e13, GPUSeconds: 10},
		{Kernel: KernelSHA256d, Unit: UnitHashes, Rate: 9.1e9, Verified: true, Power: pw},
		{Kernel: KernelBF16MMA, Unit: UnitFlops, Error: "verification failed: bf16_mma: 3 wrong outputs"},
		{Kernel: KernelFP16MMA, Unit: UnitFlops, Skipped: "needs compute capability 8.0"},
	}
	for i := range ks {
		if ks[i].Verified {
			fillPeaks(&ks[i], dev)
		}
	}
	ds, _ := DatasheetFor(dev.Name)
	return &Report{DriverVersion: "12.4", Started: when, Finished: when.Add(time.Minute),
		GPUs: []GPUResult{{Device: dev, Datasheet: &ds, Kernels: ks}}}
}

func TestReportGolden(t *testing.T) {
	r := goldenReport()
	var tbl bytes.Buffer
	if err := r.Table(&tbl); err != nil {
		t.Fatal(err)
	}
	lp := metric.Lines(r.Points())
	for name, got := range map[string][]byte{"report.txt": tbl.Bytes(), "report.lp": lp} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from golden:\n%s", name, got)
		}
	}
}

func TestReportMath(t *testing.T) {
	r := goldenReport()
	ks := r.GPUs[0].Kernels
	fma := ks[0]
	if want := 132 * 1755e6 * 256.0; fma.PeakRate != want || fma.ClockSource != "nvml_measured" {
		t.Errorf("fp32 peak %g (%s), want %g", fma.PeakRate, fma.ClockSource, want)
	}
	if want := 100 * 55e12 / (132 * 1755e6 * 256.0); math.Abs(fma.PeakPct-want) > 1e-9 {
		t.Errorf("peak pct %g, want %g", fma.PeakPct, want)
	}
	if want := 100 * 55.0 / 67; math.Abs(fma.DatasheetPct-want) > 1e-9 {
		t.Errorf("datasheet pct %g", fma.DatasheetPct)
	}
	if fma.RatePerW != 55e12/650 {
		t.Errorf("per W %g", fma.RatePerW)
	}
	cp := ks[1]
	if cp.ClockSource != "memory_attributes" || cp.RatePerW != 0 || math.Abs(cp.PeakRate-3.352e12) > 1e9 {
		t.Errorf("copy %+v", cp)
	}
	if ks[2].PeakRate != 0 || ks[2].RatePerW != 9.1e9/650 {
		t.Errorf("sha %+v", ks[2])
	}
	for _, p := range r.Points() {
		if err := p.Validate(); err != nil {
			t.Errorf("point %v: %v", p, err)
		}
		if p.Tags["kernel"] == KernelFP16MMA {
			t.Error("skipped kernel written as a point")
		}
		if p.Tags["kernel"] == KernelBF16MMA && (p.Fields["verified"] != false || p.Fields["flops"] != nil) {
			t.Errorf("failed kernel point %v", p.Fields)
		}
	}
}
