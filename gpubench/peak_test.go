package gpubench

import (
	"math"
	"testing"
)

// Every datasheet row's figures must follow from its SMs and clocks with
// the architecture's per-SM rates (and the row's own half-rate flag): a
// wrong per-SM rate or a missing flag shows up as a mismatch here instead
// of as "200% of peak" on a customer's GPU.
func TestDatasheetRowsMatchArchRates(t *testing.T) {
	ccOf := map[string]int{
		"GH200 144GB": 90, "GH200 96GB": 90, "H200 NVL": 90, "H200 SXM": 90, "H100 NVL": 90, "H100 PCIe": 90,
		"H100 SXM 94GB": 90, "H100 SXM": 90, "H800 PCIe": 90, "H800 SXM": 90, "H20": 90, "B200": 100,
		"A100 PCIe 40GB": 80, "A100 PCIe 80GB": 80, "A100 SXM 40GB": 80, "A100 SXM 80GB": 80,
		"L40S": 89, "L40": 89, "L4": 89, "A10": 86, "A40": 86, "RTX A6000": 86, "RTX 4090": 89,
		"V100S PCIe": 70, "V100 PCIe": 70, "V100 SXM2": 70,
	}
	for _, ds := range datasheets {
		cc, ok := ccOf[ds.SKU]
		if !ok {
			t.Errorf("%s: no compute capability in this test", ds.SKU)
			continue
		}
		if ds.SMs == 0 {
			continue // H20: SM count not published, tensor rate capped
		}
		a, _ := ArchFor(cc/10, cc%10)
		tensorPerSM := a.TensorFlopsPerClkPerSM
		if ds.HalfRateFP32Acc {
			tensorPerSM /= 2
		}
		fp32 := computePeak(ds.SMs, ds.FP32ClockMHz, a.FP32FlopsPerClkPerSM) / 1e12
		tensor := computePeak(ds.SMs, ds.TensorClockMHz, tensorPerSM) / 1e12
		if math.Abs(fp32-ds.FP32TFLOPS)/ds.FP32TFLOPS > 0.01 {
			t.Errorf("%s: %d SMs x %.0f MHz gives %.1f FP32 TFLOPS, datasheet %.1f", ds.SKU, ds.SMs, ds.FP32ClockMHz, fp32, ds.FP32TFLOPS)
		}
		if math.Abs(tensor-ds.TensorTFLOPS)/ds.TensorTFLOPS > 0.01 {
			t.Errorf("%s: %d SMs x %.0f MHz gives %.1f tensor TFLOPS, datasheet %.1f", ds.SKU, ds.SMs, ds.TensorClockMHz, tensor, ds.TensorTFLOPS)
		}
	}
}

func TestHalfRateIsPerSKU(t *testing.T) {
	for name, want := range map[string]bool{
		"NVIDIA L40": true, "NVIDIA L40S": false, "NVIDIA GeForce RTX 4090": true, "NVIDIA A40": false,
		"NVIDIA GeForce RTX 3080": true, "NVIDIA TITAN RTX": true, "NVIDIA RTX A4000": false,
	} {
		if got := halfRateFP32Acc(name); got != want {
			t.Errorf("%s: half-rate FP32 accumulate %v, want %v", name, got, want)
		}
	}
}

// On Hopper the tensor peak is wgmma's; the benchmark's mma.sync is shown
// against its own (provisional) ceiling as well.
func TestTensorCeiling(t *testing.T) {
	for _, tc := range []struct {
		name         string
		major, minor int
		wantFrac     float64
		provisional  bool
	}{
		{"NVIDIA H100 80GB HBM3", 9, 0, 0.63, true},
		{"NVIDIA A100-SXM4-80GB", 8, 0, 1, false},
		{"NVIDIA B200", 10, 0, 0, false},
	} {
		dev := Device{Name: tc.name, SMs: 100, MaxClockMHz: 1500, ccMajor: tc.major, ccMinor: tc.minor}
		kr := KernelResult{Kernel: KernelBF16MMA, Rate: 1e14}
		fillPeaks(&kr, dev)
		if got := kr.CeilingRate / kr.PeakRate; math.Abs(got-tc.wantFrac) > 1e-12 || kr.CeilingProvisional != tc.provisional {
			t.Errorf("%s: ceiling %.2f of peak (provisional %v), want %.2f (%v)", tc.name, got, kr.CeilingProvisional, tc.wantFrac, tc.provisional)
		}
		if tc.wantFrac > 0 && math.Abs(kr.CeilingPct-100*kr.Rate/kr.CeilingRate) > 1e-9 {
			t.Errorf("%s: ceiling pct %g", tc.name, kr.CeilingPct)
		}
	}
}
