package sha256bench

import (
	"sync"

	"context"
	"github.com/perwatt/perwatt/economics/appraisal"

	"github.com/perwatt/perwatt/internal/metric"
)

// Benchmark runs the measurement for the agent's scheduler; it satisfies
// the agent's Benchmark interface (Name, Run) without importing it.
type Benchmark struct {
	cfg Config

	mu   sync.Mutex
	last appraisal.Reading
	has  bool
}

// NewBenchmark returns a benchmark that runs Run with cfg each time.
func NewBenchmark(cfg Config) *Benchmark { return &Benchmark{cfg: cfg} }

// Name is the benchmark's name in the agent's logs and self-metrics.
func (b *Benchmark) Name() string { return "sha256" }

// Run measures once and returns the sha256_bench points. A run cut short by
// ctx still returns what it measured, marked interrupted=true.
func (b *Benchmark) Run(ctx context.Context) ([]metric.Point, error) {
	res, err := Run(ctx, b.cfg)
	if err != nil {
		return nil, err
	}
	if rd, ok := res.Reading(); ok {
		b.mu.Lock()
		b.last, b.has = rd, true
		b.mu.Unlock()
	}
	return res.Points(), nil
}

// Readings is the last complete run as an appraisal reading, until the
// next one replaces it; none before the first.
func (b *Benchmark) Readings() []appraisal.Reading {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.has {
		return nil
	}
	return []appraisal.Reading{b.last}
}
