package main

import (
	"context"
	"log/slog"

	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/internal/metric"
)

// collector is what `perwatt collect` and `perwatt agent` both run; the agent
// package declares the same interface for itself.
type collector interface {
	Name() string
	Collect(ctx context.Context) ([]metric.Point, error)
}

// buildCollectors is the one place that turns configuration into collectors,
// so the one-shot `collect` and the daemon read exactly the same sources.
// The returned function releases what they hold (NVML, sockets).
func buildCollectors(cfg *config.Config, logger *slog.Logger) ([]collector, func()) {
	var cs []collector
	// Host, NVML, RAPL and ASIC collectors are added here as they land.
	_ = cfg
	_ = logger
	return cs, func() {}
}
