package sha256bench_test

import (
	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/sha256bench"
)

// The agent schedules the benchmark through its own interface.
var _ agent.Benchmark = (*sha256bench.Benchmark)(nil)
