package main

import (
	"context"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/collectors"
	"github.com/perwatt/perwatt/gpubench"
	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/sha256bench"
)

// agentBenchmarks builds the scheduled benchmarks of [bench.*]; every = 0
// leaves one out. The returned function releases the NVML handle the GPU
// busy check holds.
func (a *app) agentBenchmarks(ctx context.Context, cfg *config.Config) ([]agent.ScheduledBenchmark, func()) {
	var bs []agent.ScheduledBenchmark
	release := func() {}
	if sc := cfg.Bench.SHA256; sc.Every > 0 {
		bc := sha256bench.Config{Kernel: sc.Kernel, Threads: sc.Threads, Duration: sc.Duration.D(), Logger: a.logger}
		bc.Meter, bc.NoMeterReason = probeRAPL(ctx, a)
		bs = append(bs, agent.ScheduledBenchmark{
			Benchmark: sha256bench.NewBenchmark(bc), Every: sc.Every.D(),
			// Warm-up, the yardstick and verification come on top of the
			// measured time.
			Timeout: 3*sc.Duration.D() + time.Minute,
		})
	}
	if gc := cfg.Bench.GPU; gc.Every > 0 {
		nv := collectors.NewNVMLDriver(a.logger)
		release = func() { _ = nv.Close() }
		busy := func(ctx context.Context, bus string) (float64, error) {
			s, err := nv.Sample(ctx, bus)
			return s.UtilGPUPercent, err
		}
		bs = append(bs, agent.ScheduledBenchmark{
			Benchmark: &gpubench.Scheduled{
				Options:    gpubench.Options{Duration: gc.Duration.D(), Power: gpuNVMLPower{nv}},
				Log:        a.logger,
				Busy:       busy,
				MaxBusyPct: gc.MaxBusyUtil,
			},
			Every:   gc.Every.D(),
			Timeout: 20*gc.Duration.D() + time.Minute,
		})
	}
	return bs, release
}
