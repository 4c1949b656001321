package gpubench

import (
	"context"
	"errors"
	"log/slog"
	"testing"
)

func TestScheduledSkipsBusyGPUs(t *testing.T) {
	a, c := smallGPU("NVIDIA H100 80GB HBM3", 9, 0), smallGPU("NVIDIA H100 80GB HBM3", 9, 0)
	c.busID = "00000000:5E:00.0"
	f := newFakeDriver(a, c)
	opts := quickOpts()
	opts.Kernels = []string{KernelMemcpyDtoD}
	s := &Scheduled{
		Options: opts, MaxBusyPct: 5,
		Busy: func(_ context.Context, bus string) (float64, error) {
			if bus == "0000:3b:00.0" {
				return 97, nil // a tenant is training on GPU 0
			}
			return 0, nil
		},
		open: func(context.Context, *slog.Logger) (*Bench, error) {
			b := newBench(f, startCUDAThread(), nil)
			return b, nil
		},
	}
	pts, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 || pts[0].Tags["gpu"] != "1" || pts[0].Measurement != Measurement {
		t.Fatalf("points %v", pts)
	}
	if l := f.leaks(); len(l) > 0 {
		t.Errorf("leaked %v", l)
	}

	s.Busy = func(context.Context, string) (float64, error) { return 50, nil }
	if pts, err := s.Run(t.Context()); err != nil || len(pts) != 0 {
		t.Errorf("all busy: %v, %v", pts, err)
	}
}

func TestScheduledNoDriver(t *testing.T) {
	s := &Scheduled{open: func(context.Context, *slog.Logger) (*Bench, error) {
		return nil, ErrNoDriver
	}}
	if _, err := s.Run(t.Context()); !errors.Is(err, ErrNoDriver) {
		t.Errorf("error %v", err)
	}
	if s.Name() != "gpu" {
		t.Errorf("name %q", s.Name())
	}
}
