package gpubench

import (
	"errors"
	"testing"
	"time"
)

// BenchmarkRealGPU measures every kernel on GPU 0 through the real driver
// and reports the verified rates (go test -bench RealGPU -benchtime 1x).
// Hosts without an NVIDIA driver skip it.
func BenchmarkRealGPU(b *testing.B) {
	g, err := Open(b.Context(), nil)
	if errors.Is(err, ErrNoDriver) || errors.Is(err, ErrNoDevice) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	for i := 0; i < b.N; i++ {
		rep, err := g.Run(b.Context(), Options{Devices: []int{0}, Duration: 2 * time.Second, Warmup: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range rep.GPUs[0].Kernels {
			if !k.Verified {
				continue
			}
			v, unit := display(k.Rate, k.Unit)
			b.ReportMetric(v, k.Kernel+"_"+unit)
			if k.PeakPct > 0 {
				b.ReportMetric(k.PeakPct, k.Kernel+"_%peak")
			}
		}
	}
}
