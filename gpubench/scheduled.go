package gpubench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

// Scheduled runs gpubench on the agent's schedule (bench.gpu.every); it
// satisfies the agent's Benchmark interface. Each run opens the driver
// afresh so a reloaded or absent driver is noticed, and releases every
// context afterwards so the GPUs are left to their tenants.
type Scheduled struct {
	Options Options
	Log     *slog.Logger
	// Busy reports a GPU's utilisation in percent (NVML); GPUs busier than
	// MaxBusyPct are skipped, so a scheduled run never competes with a
	// tenant's job. Nil means no check.
	Busy       func(ctx context.Context, pciBusID string) (float64, error)
	MaxBusyPct float64

	open func(ctx context.Context, log *slog.Logger) (*Bench, error) // tests substitute a fake driver

	mu   sync.Mutex
	last map[string]appraisal.Reading // by PCI bus id: a GPU skipped as busy keeps its last run
}

// Name is the benchmark's name in the agent's logs and self-metrics.
func (s *Scheduled) Name() string { return "gpu" }

// Run measures the idle GPUs and returns their gpu_bench points. No driver
// or no GPU returns an error wrapping ErrNoDriver or ErrNoDevice, which the
// agent can log at debug level, as for any absent hardware.
func (s *Scheduled) Run(ctx context.Context) ([]metric.Point, error) {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	open := s.open
	if open == nil {
		open = Open
	}
	b, err := open(ctx, log)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	devs, err := b.Devices(ctx)
	if err != nil {
		return nil, err
	}
	opts := s.Options
	if len(opts.Devices) == 0 {
		for _, d := range devs {
			opts.Devices = append(opts.Devices, d.Index)
		}
	}
	var idle []int
	for _, d := range devs {
		if !contains(opts.Devices, d.Index) {
			continue
		}
		if s.Busy != nil {
			util, err := s.Busy(ctx, d.PCIBusID)
			if err != nil {
				log.Warn("gpu utilisation unknown; not benchmarking it", "gpu", d.Index, "err", err)
				continue
			}
			if util > s.MaxBusyPct {
				log.Info("gpu busy; benchmark skipped", "gpu", d.Index, "util_pct", util, "max_pct", s.MaxBusyPct)
				continue
			}
		}
		idle = append(idle, d.Index)
	}
	if len(idle) == 0 {
		return nil, nil
	}
	opts.Devices = idle
	rep, err := b.Run(ctx, opts)
	if rep == nil {
		return nil, err
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("gpu benchmark: %w", err)
	}
	s.remember(rep.Readings())
	return rep.Points(), err
}

func (s *Scheduled) remember(rs []appraisal.Reading) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = map[string]appraisal.Reading{}
	}
	for _, r := range rs {
		s.last[r.ID] = r
	}
}

// Readings is the last verified run of every GPU benchmarked so far; the
// appraisal merges it with the GPU's live NVML power.
func (s *Scheduled) Readings() []appraisal.Reading {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]appraisal.Reading, 0, len(s.last))
	for _, r := range s.last {
		out = append(out, r)
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
