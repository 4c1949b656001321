package gpubench

import "strings"

// Arch is what the peak tables need to know about a GPU generation.
type Arch struct {
	Name string
	// FP32FlopsPerClkPerSM counts an FMA as two operations.
	FP32FlopsPerClkPerSM float64
	// TensorFlopsPerClkPerSM is the dense FP16/BF16 tensor rate with FP32
	// accumulate on data-centre and workstation parts, by the fastest
	// instruction the generation has (wgmma on Hopper). Some boards run
	// FP32-accumulate at half this (see tensorRate).
	TensorFlopsPerClkPerSM float64
	// BF16 is false where the tensor cores have no bfloat16 (Volta, Turing).
	BF16 bool
	// MMASync is the fraction of TensorFlopsPerClkPerSM that the warp-level
	// mma.sync the benchmark issues can reach: 1 where it is the native
	// tensor instruction, below 1 where a newer one (wgmma) is needed for
	// the full rate, 0 where unknown. MMASyncProvisional marks a figure
	// taken from published microbenchmarks, not yet measured by perwatt.
	MMASync            float64
	MMASyncProvisional bool
}

// hopperMMASync: published microbenchmarks of H800/H100 put mma.sync
// m16n8k16 (FP16/BF16, FP32 accumulate) at about 63% of the wgmma rate.
const hopperMMASync = 0.63

// archByCC maps compute capability (major*10+minor) to its generation's
// per-SM rates, from NVIDIA's architecture whitepapers.
// GA10x (8.6) tensor cores do 1024 dense FP16 FLOP/clk/SM with FP32
// accumulate on A10, A40 and RTX A6000 (A10: 72 SMs x 1.695 GHz x 1024 =
// 125 TFLOPS); GeForce RTX 30 boards run it at half. 8.7 (Orin) is left
// as it was: no datasheet at hand to check it against.
var archByCC = map[int]Arch{
	70:  {"Volta", 128, 1024, false, 1, false},
	72:  {"Volta", 128, 1024, false, 1, false},
	75:  {"Turing", 128, 1024, false, 1, false},
	80:  {"Ampere", 128, 2048, true, 1, false},
	86:  {"Ampere", 256, 1024, true, 1, false},
	87:  {"Ampere", 256, 512, true, 1, false},
	89:  {"Ada", 256, 1024, true, 1, false},
	90:  {"Hopper", 256, 4096, true, hopperMMASync, true},
	100: {"Blackwell", 256, 8192, true, 0, false},
	103: {"Blackwell", 256, 8192, true, 0, false},
	120: {"Blackwell", 256, 1024, true, 1, false},
	121: {"Blackwell", 256, 1024, true, 1, false},
}

// ArchFor returns the generation of compute capability major.minor; ok is
// false for one the tables do not know (peaks are then not reported).
func ArchFor(major, minor int) (Arch, bool) {
	a, ok := archByCC[major*10+minor]
	return a, ok
}

// halfRateFP32Acc says whether the board runs FP16/BF16 tensor maths with
// FP32 accumulate at half rate: the datasheet row decides (L40 does, L40S
// does not); a board without one is judged by its name, GeForce and TITAN
// parts being the half-rate ones.
func halfRateFP32Acc(name string) bool {
	if ds, ok := DatasheetFor(name); ok {
		return ds.HalfRateFP32Acc
	}
	n := strings.ToLower(name)
	return strings.Contains(n, "geforce") || strings.Contains(n, "titan")
}

// tensorRate is the dense tensor FLOPs per clock per SM for this board.
func tensorRate(a Arch, name string) float64 {
	r := a.TensorFlopsPerClkPerSM
	if halfRateFP32Acc(name) {
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
// SMs and the two clocks are what the published figures imply (figure =
// SMs x clock x per-SM rate): NVIDIA quotes FP32 and tensor peaks at
// different clocks for some SKUs (H100 SXM: FP32 at 1980 MHz, tensor at
// 1830 MHz), so each figure carries its own. Zero where not known.
type Datasheet struct {
	SKU            string
	FP32TFLOPS     float64
	TensorTFLOPS   float64 // dense BF16/FP16, FP32 accumulate
	MemoryTBps     float64
	BoardPowerW    float64
	SMs            int
	FP32ClockMHz   float64
	TensorClockMHz float64
	// HalfRateFP32Acc: FP16/BF16 tensor maths with FP32 accumulate runs at
	// half the architecture's rate on this board (GeForce, L40).
	HalfRateFP32Acc bool
	match, excludes []string
}

// datasheets is ordered: the first entry whose every match substring (and
// no excludes substring) appears in the lower-cased device name wins.
var datasheets = []Datasheet{
	// Grace Hopper: the H100 SXM die; board power is the module's (450-1000 W
	// configurable), so none is given.
	{SKU: "GH200 144GB", FP32TFLOPS: 67, TensorTFLOPS: 989.4, MemoryTBps: 4.9, SMs: 132, FP32ClockMHz: 1980, TensorClockMHz: 1830, match: []string{"gh200", "144g"}},
	{SKU: "GH200 96GB", FP32TFLOPS: 67, TensorTFLOPS: 989.4, MemoryTBps: 4.0, SMs: 132, FP32ClockMHz: 1980, TensorClockMHz: 1830, match: []string{"gh200"}},
	{SKU: "H200 NVL", FP32TFLOPS: 60, TensorTFLOPS: 835, MemoryTBps: 4.8, BoardPowerW: 600, SMs: 132, FP32ClockMHz: 1785, TensorClockMHz: 1545, match: []string{"h200", "nvl"}},
	{SKU: "H200 SXM", FP32TFLOPS: 67, TensorTFLOPS: 989.4, MemoryTBps: 4.8, BoardPowerW: 700, SMs: 132, FP32ClockMHz: 1980, TensorClockMHz: 1830, match: []string{"h200"}},
	{SKU: "H100 NVL", FP32TFLOPS: 60, TensorTFLOPS: 835, MemoryTBps: 3.9, BoardPowerW: 400, SMs: 132, FP32ClockMHz: 1785, TensorClockMHz: 1545, match: []string{"h100", "nvl"}},
	{SKU: "H100 PCIe", FP32TFLOPS: 51.2, TensorTFLOPS: 756.5, MemoryTBps: 2.0, BoardPowerW: 350, SMs: 114, FP32ClockMHz: 1755, TensorClockMHz: 1620, match: []string{"h100", "pcie"}},
	// The 94 GB SXM part has a sixth HBM3 stack enabled; NVIDIA quotes its
	// memory with the H100 NVL's 3.9 TB/s.
	{SKU: "H100 SXM 94GB", FP32TFLOPS: 67, TensorTFLOPS: 989.4, MemoryTBps: 3.9, BoardPowerW: 700, SMs: 132, FP32ClockMHz: 1980, TensorClockMHz: 1830, match: []string{"h100", "94gb"}},
	{SKU: "H100 SXM", FP32TFLOPS: 67, TensorTFLOPS: 989.4, MemoryTBps: 3.35, BoardPowerW: 700, SMs: 132, FP32ClockMHz: 1980, TensorClockMHz: 1830, match: []string{"h100"}},
	{SKU: "H800 PCIe", FP32TFLOPS: 51.2, TensorTFLOPS: 756.5, MemoryTBps: 2.0, BoardPowerW: 350, SMs: 114, FP32ClockMHz: 1755, TensorClockMHz: 1620, match: []string{"h800", "pcie"}},
	{SKU: "H800 SXM", FP32TFLOPS: 67, TensorTFLOPS: 989.4, MemoryTBps: 3.35, BoardPowerW: 700, SMs: 132, FP32ClockMHz: 1980, TensorClockMHz: 1830, match: []string{"h800"}},
	// H20: tensor throughput is capped far below the Hopper rate, so its
	// "% of peak" against SMs x clock x 4096 reads low; the datasheet
	// figure is the one to compare with. SM count not published.
	{SKU: "H20", FP32TFLOPS: 44, TensorTFLOPS: 148, MemoryTBps: 4.0, BoardPowerW: 400, match: []string{"h20"}},
	{SKU: "B200", FP32TFLOPS: 75, TensorTFLOPS: 2250, MemoryTBps: 8.0, BoardPowerW: 1000, SMs: 148, FP32ClockMHz: 1980, TensorClockMHz: 1856, match: []string{"b200"}},
	{SKU: "A100 PCIe 40GB", FP32TFLOPS: 19.5, TensorTFLOPS: 312, MemoryTBps: 1.555, BoardPowerW: 250, SMs: 108, FP32ClockMHz: 1410, TensorClockMHz: 1410, match: []string{"a100", "pcie", "40gb"}},
	{SKU: "A100 PCIe 80GB", FP32TFLOPS: 19.5, TensorTFLOPS: 312, MemoryTBps: 1.935, BoardPowerW: 300, SMs: 108, FP32ClockMHz: 1410, TensorClockMHz: 1410, match: []string{"a100", "pcie"}},
	{SKU: "A100 SXM 40GB", FP32TFLOPS: 19.5, TensorTFLOPS: 312, MemoryTBps: 1.555, BoardPowerW: 400, SMs: 108, FP32ClockMHz: 1410, TensorClockMHz: 1410, match: []string{"a100", "40gb"}},
	{SKU: "A100 SXM 80GB", FP32TFLOPS: 19.5, TensorTFLOPS: 312, MemoryTBps: 2.039, BoardPowerW: 400, SMs: 108, FP32ClockMHz: 1410, TensorClockMHz: 1410, match: []string{"a100"}},
	{SKU: "L40S", FP32TFLOPS: 91.6, TensorTFLOPS: 362.05, MemoryTBps: 0.864, BoardPowerW: 350, SMs: 142, FP32ClockMHz: 2520, TensorClockMHz: 2490, match: []string{"l40s"}},
	{SKU: "L40", FP32TFLOPS: 90.5, TensorTFLOPS: 181.05, MemoryTBps: 0.864, BoardPowerW: 300, SMs: 142, FP32ClockMHz: 2490, TensorClockMHz: 2490, HalfRateFP32Acc: true, match: []string{"l40"}},
	{SKU: "L4", FP32TFLOPS: 30.3, TensorTFLOPS: 121, MemoryTBps: 0.3, BoardPowerW: 72, SMs: 58, FP32ClockMHz: 2040, TensorClockMHz: 2040, match: []string{"l4"}, excludes: []string{"l40"}},
	{SKU: "A10", FP32TFLOPS: 31.2, TensorTFLOPS: 125, MemoryTBps: 0.6, BoardPowerW: 150, SMs: 72, FP32ClockMHz: 1695, TensorClockMHz: 1695, match: []string{"a10"}, excludes: []string{"a100"}},
	{SKU: "A40", FP32TFLOPS: 37.4, TensorTFLOPS: 149.7, MemoryTBps: 0.696, BoardPowerW: 300, SMs: 84, FP32ClockMHz: 1740, TensorClockMHz: 1740, match: []string{"a40"}},
	{SKU: "RTX A6000", FP32TFLOPS: 38.7, TensorTFLOPS: 154.8, MemoryTBps: 0.768, BoardPowerW: 300, SMs: 84, FP32ClockMHz: 1800, TensorClockMHz: 1800, match: []string{"rtx a6000"}},
	{SKU: "RTX 4090", FP32TFLOPS: 82.6, TensorTFLOPS: 165.2, MemoryTBps: 1.008, BoardPowerW: 450, SMs: 128, FP32ClockMHz: 2520, TensorClockMHz: 2520, HalfRateFP32Acc: true, match: []string{"rtx 4090"}},
	{SKU: "V100S PCIe", FP32TFLOPS: 16.4, TensorTFLOPS: 130, MemoryTBps: 1.134, BoardPowerW: 250, SMs: 80, FP32ClockMHz: 1601, TensorClockMHz: 1597, match: []string{"v100s"}},
	{SKU: "V100 PCIe", FP32TFLOPS: 14, TensorTFLOPS: 112, MemoryTBps: 0.9, BoardPowerW: 250, SMs: 80, FP32ClockMHz: 1370, TensorClockMHz: 1370, match: []string{"v100", "pcie"}},
	{SKU: "V100 SXM2", FP32TFLOPS: 15.7, TensorTFLOPS: 125, MemoryTBps: 0.9, BoardPowerW: 300, SMs: 80, FP32ClockMHz: 1530, TensorClockMHz: 1530, match: []string{"v100"}},
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
