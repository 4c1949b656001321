package gpubench

import (
	"testing"
	"time"
)

func TestReportReadings(t *testing.T) {
	rep := &Report{Finished: time.Unix(1700000000, 0), GPUs: []GPUResult{
		{Device: Device{Name: "NVIDIA H100 80GB HBM3", PCIBusID: "0000:3b:00.0"}, Kernels: []KernelResult{
			{Kernel: KernelBF16MMA, Unit: UnitFlops, Rate: 6e14, Verified: true, Power: &PowerStats{AvgW: 690}},
			{Kernel: KernelFP32FMA, Unit: UnitFlops, Rate: 5e13, Verified: true, Power: &PowerStats{AvgW: 600}},
			{Kernel: KernelSHA256d, Unit: UnitHashes, Rate: 9e9, Verified: true, Power: &PowerStats{AvgW: 610}},
			{Kernel: KernelFP16MMA, Unit: UnitFlops, Rate: 9e14, Verified: false, Power: &PowerStats{AvgW: 900}}, // failed: says nothing
		}},
		{Device: Device{Name: "broken", PCIBusID: "0000:5e:00.0"}, Kernels: []KernelResult{{Kernel: KernelFP32FMA, Unit: UnitFlops, Verified: false}}},
	}}
	rs := rep.Readings()
	if len(rs) != 1 {
		t.Fatalf("%d readings, want 1 (a GPU with no verified kernel has none): %+v", len(rs), rs)
	}
	r := rs[0]
	if r.ID != "0000:3b:00.0" || r.HashrateHS != 9e9 || r.HashPowerW != 610 || r.AILoadW != 690 || r.FLOPS != 6e14 || !r.At.Equal(rep.Finished) {
		t.Errorf("reading %+v", r)
	}
}
