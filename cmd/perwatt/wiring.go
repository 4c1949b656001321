package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/perwatt/perwatt/collectors"
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
	var closers []func()
	co := cfg.Collectors
	if co.Host.Enabled {
		cs = append(cs, collectors.NewHost(collectors.HostOptions{PerCPU: co.Host.PerCPU}, logger))
	}
	if co.NVML.Enabled {
		n := collectors.NewNVMLDriver(logger)
		cs = append(cs, n)
		closers = append(closers, func() { _ = n.Close() })
	}
	if co.RAPL.Enabled {
		cs = append(cs, collectors.NewRAPL(co.RAPL.SysfsRoot, logger))
	}
	if co.ASIC.Enabled && (len(co.ASIC.Rigs) > 0 || len(co.ASIC.Ranges) > 0) {
		cs = append(cs, collectors.NewASIC(asicRigs(co.ASIC), asicOptions(co.ASIC), logger))
	}
	return cs, func() {
		for _, c := range closers {
			c()
		}
	}
}

// collectorInterval is a collector's own interval, or [agent].interval.
func collectorInterval(cfg *config.Config, name string) time.Duration {
	var d config.Duration
	switch name {
	case "host":
		d = cfg.Collectors.Host.Interval
	case "nvml":
		d = cfg.Collectors.NVML.Interval
	case "rapl":
		d = cfg.Collectors.RAPL.Interval
	case "asic":
		d = cfg.Collectors.ASIC.Interval
	}
	if d <= 0 {
		return cfg.Agent.Interval.D()
	}
	return d.D()
}

func asicRigs(c config.ASICCollector) []collectors.ASICRig {
	rigs := make([]collectors.ASICRig, len(c.Rigs))
	for i, r := range c.Rigs {
		rigs[i] = collectors.ASICRig{Address: r.Address, Name: r.Name, Site: r.Site, Rack: r.Rack, NameplateW: r.NameplateW, Firmware: r.Firmware}
	}
	return rigs
}

func asicOptions(c config.ASICCollector) collectors.ASICOptions {
	o := collectors.ASICOptions{
		Timeout: c.Timeout.D(), RigTimeout: c.RigTimeout.D(), Concurrency: c.Concurrency,
		Rescan: c.Rescan.D(), DiscoverTimeout: c.DiscoverTimeout.D(),
		Credentials: collectors.ASICCredentials{User: c.User, Password: c.Password.Reveal()},
	}
	for _, r := range c.Ranges {
		o.Ranges = append(o.Ranges, collectors.ASICRange{Range: r.Range, Ports: r.Ports, Site: r.Site, Rack: r.Rack, NameplateW: r.NameplateW, Firmware: r.Firmware})
	}
	return o
}
