package gpubench

import "strings"

// Arch is what the peak tables need to know about a GPU generation.
type Arch struct {
	Name string
	// FP32FlopsPerClkPerSM counts an FMA as two operations.
	FP32FlopsPerClkPerSM float64
	// TensorFlopsPerClkPerSM is the dense FP16/BF16 tensor rate with FP32
	// accumulate on data-centre and workstation parts. GeForce parts of the
	// same generation run FP32-accumulate at half this (see tensorRate).
	TensorFlopsPerClkPerSM float64
	// BF16 is false where the tensor cores have no bfloat16 (Volta, Turing).
	BF16 bool
}

// archByCC maps compute capability (major*10+minor) to its generation's
// per-SM rates, from NVIDIA's architecture whitepapers.
var archByCC = map[int]Arch{
	70:  {"Volta", 128, 1024, false},
	72:  {"Volta", 128, 1024, false},
	75:  {"Turing", 128, 1024, false},
	80:  {"Ampere", 128, 2048, true},
	86:  {"Ampere", 256, 512, true},
	87:  {"Ampere", 256, 512, true},
	89:  {"Ada", 256, 1024, true},
	90:  {"Hopper", 256, 4096, true},
	100: {"Blackwell", 256, 8192, true},
	103: {"Blackwell", 256, 8192, true},
	120: {"Blackwell", 256, 1024, true},
	121: {"Blackwell", 256, 1024, true},
}

// ArchFor returns the generation of compute capability major.minor; ok is
// false for one the tables do not know (peaks are then not reported).
func ArchFor(major, minor int) (Arch, bool) {
	a, ok := archByCC[major*10+minor]
	return a, ok
}

// isGeForce: consumer boards halve the FP32-accumulate tensor rate.
func isGeForce(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "geforce") || strings.Contains(n, "titan")
}

// tensorRate is the dense tensor FLOPs per clock per SM for this board.
func tensorRate(a Arch, name string) float64 {
	r := a.TensorFlopsPerClkPerSM
	if isGeForce(name) {
		r /= 2
	}
	return r
}

// computePeak is SMs x clock x per-SM rate, in FLOP/s.
func computePeak(sms int, clockMHz, perClkPerSM float64) float64 {
	if sms <= 0 || clockMHz <= 0 || perClkPerSM <= 0 {
		return 0
	}
	return float64(sms) * clockMHz * 1e6 * perClkPerSM
}

// memoryPeak is the DRAM interface rate in bytes/s: the driver's memory
// clock is the base clock of a double-data-rate interface (HBM and GDDR as
// reported), so two transfers per clock across busBits.
func memoryPeak(memClockKHz, busBits int) float64 {
	if memClockKHz <= 0 || busBits <= 0 {
		return 0
	}
	return float64(memClockKHz) * 1e3 * 2 * float64(busBits) / 8
}

// Datasheet holds NVIDIA's published peaks for one SKU (dense, no sparsity).
type Datasheet struct {
	SKU             string
	FP32TFLOPS      float64
	TensorTFLOPS    float64 // dense BF16/FP16, FP32 accumulate
	MemoryTBps      float64
	BoardPowerW     float64
	match, excludes []string
}

// datasheets is ordered: the first entry whose every match substring (and
// no excludes substring) appears in the lower-cased device name wins.
var datasheets = []Datasheet{
	{SKU: "H200 NVL", FP32TFLOPS: 60, TensorTFLOPS: 835, MemoryTBps: 4.8, BoardPowerW: 600, match: []string{"h200", "nvl"}},
	{SKU: "H200 SXM", FP32TFLOPS: 67, TensorTFLOPS: 989.4, MemoryTBps: 4.8, BoardPowerW: 700, match: []string{"h200"}},
	{SKU: "H100 NVL", FP32TFLOPS: 60, TensorTFLOPS: 835, MemoryTBps: 3.9, BoardPowerW: 400, match: []string{"h100", "nvl"}},
	{SKU: "H100 PCIe", FP32TFLOPS: 51.2, TensorTFLOPS: 756.5, MemoryTBps: 2.0, BoardPowerW: 350, match: []string{"h100", "pcie"}},
	{SKU: "H100 SXM", FP32TFLOPS: 67, TensorTFLOPS: 989.4, MemoryTBps: 3.35, BoardPowerW: 700, match: []string{"h100"}},
	{SKU: "B200", FP32TFLOPS: 75, TensorTFLOPS: 2250, MemoryTBps: 8.0, BoardPowerW: 1000, match: []string{"b200"}},
	{SKU: "A100 PCIe 40GB", FP32TFLOPS: 19.5, TensorTFLOPS: 312, MemoryTBps: 1.555, BoardPowerW: 250, match: []string{"a100", "pcie", "40gb"}},
	{SKU: "A100 PCIe 80GB", FP32TFLOPS: 19.5, TensorTFLOPS: 312, MemoryTBps: 1.935, BoardPowerW: 300, match: []string{"a100", "pcie"}},
	{SKU: "A100 SXM 40GB", FP32TFLOPS: 19.5, TensorTFLOPS: 312, MemoryTBps: 1.555, BoardPowerW: 400, match: []string{"a100", "40gb"}},
	{SKU: "A100 SXM 80GB", FP32TFLOPS: 19.5, TensorTFLOPS: 312, MemoryTBps: 2.039, BoardPowerW: 400, match: []string{"a100"}},
	{SKU: "L40S", FP32TFLOPS: 91.6, TensorTFLOPS: 362.05, MemoryTBps: 0.864, BoardPowerW: 350, match: []string{"l40s"}},
	{SKU: "L40", FP32TFLOPS: 90.5, TensorTFLOPS: 181.05, MemoryTBps: 0.864, BoardPowerW: 300, match: []string{"l40"}},
	{SKU: "L4", FP32TFLOPS: 30.3, TensorTFLOPS: 121, MemoryTBps: 0.3, BoardPowerW: 72, match: []string{"l4"}, excludes: []string{"l40"}},
	{SKU: "A10", FP32TFLOPS: 31.2, TensorTFLOPS: 125, MemoryTBps: 0.6, BoardPowerW: 150, match: []string{"a10"}, excludes: []string{"a100"}},
	{SKU: "RTX 4090", FP32TFLOPS: 82.6, TensorTFLOPS: 165.2, MemoryTBps: 1.008, BoardPowerW: 450, match: []string{"rtx 4090"}},
	{SKU: "V100 SXM2", FP32TFLOPS: 15.7, TensorTFLOPS: 125, MemoryTBps: 0.9, BoardPowerW: 300, match: []string{"v100"}},
}

// DatasheetFor finds the published figures for a device name as the driver
// reports it (e.g. "NVIDIA H100 80GB HBM3").
func DatasheetFor(name string) (Datasheet, bool) {
	n := strings.ToLower(name)
	for _, d := range datasheets {
		ok := true
		for _, m := range d.match {
			if !containsWord(n, m) {
				ok = false
				break
			}
		}
		for _, x := range d.excludes {
			if strings.Contains(n, x) {
				ok = false
			}
		}
		if ok {
			return d, true
		}
	}
	return Datasheet{}, false
}

// containsWord matches m in n only at a word start, so "l4" does not match
// "rtx a4000l4" style accidents and "a10" does not match inside "xa10".
func containsWord(n, m string) bool {
	for i := 0; ; {
		j := strings.Index(n[i:], m)
		if j < 0 {
			return false
		}
		j += i
		if j == 0 || !isAlnum(n[j-1]) {
			end := j + len(m)
			if end == len(n) || !isAlnum(n[end]) || !isAlnum(m[len(m)-1]) || isDigit(m[len(m)-1]) != isDigit(n[end]) {
				return true
			}
		}
		i = j + 1
	}
}

func isAlnum(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
