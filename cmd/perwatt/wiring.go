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
	if h := co.Host; h.Enabled {
		cs = append(cs, collectors.NewHost(collectors.HostOptions{
			PerCPU: h.PerCPU, SlowInterval: h.SlowInterval.D(),
			Mounts:         collectors.NameFilter{Include: h.MountPointsInclude, Exclude: h.MountPointsExclude},
			Devices:        collectors.NameFilter{Include: h.DevicesInclude, Exclude: h.DevicesExclude},
			Interfaces:     collectors.NameFilter{Include: h.InterfacesInclude, Exclude: h.InterfacesExclude},
			FSTypesExclude: h.FSTypesExclude, Skip: h.Skip,
			ProcRoot: h.ProcRoot, SysRoot: h.SysRoot, RootFS: h.RootFS,
		}, logger))
	}
	if co.NVML.Enabled {
		n := collectors.NewNVMLDriver(logger)
		cs = append(cs, n)
		closers = append(closers, func() { _ = n.Close() })
	}
	if co.RAPL.Enabled {
		cs = append(cs, collectors.NewRAPL(co.RAPL.SysfsRoot, logger))
	}
	if ip := co.IPMI; ip.Enabled {
		c := collectors.NewIPMI(collectors.IPMIOptions{
			Address: ip.Address, Device: ip.Device, Interface: ip.Interface, Username: ip.Username,
			Password: ip.Password.Reveal(), CipherSuite: ip.CipherSuite, Timeout: ip.Timeout.D(),
		}, logger)
		cs = append(cs, c)
		closers = append(closers, func() { _ = c.Close() })
	}
	if rf := co.Redfish; rf.Enabled {
		c, err := collectors.NewRedfish(collectors.RedfishOptions{
			URL: rf.URL, Username: rf.Username, Password: rf.Password.Reveal(), Auth: rf.Auth,
			TLSCA: rf.TLSCA, InsecureSkipVerify: rf.InsecureSkipVerify, Timeout: rf.Timeout.D(),
		}, logger)
		if err != nil {
			logger.Error("redfish collector not started", "err", err)
		} else {
			cs = append(cs, c)
			closers = append(closers, func() { _ = c.Close() })
		}
	}
	if co.ASIC.Enabled && len(co.ASIC.Rigs) > 0 {
		rigs := make([]collectors.ASICRig, len(co.ASIC.Rigs))
		for i, r := range co.ASIC.Rigs {
			rigs[i] = collectors.ASICRig{Address: r.Address, Name: r.Name, Site: r.Site, Rack: r.Rack, NameplateW: r.NameplateW}
		}
		cs = append(cs, collectors.NewASIC(rigs, collectors.ASICOptions{
			Timeout: co.ASIC.Timeout.D(), Concurrency: co.ASIC.Concurrency,
		}, logger))
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
	case "ipmi":
		d = cfg.Collectors.IPMI.Interval
	case "redfish":
		d = cfg.Collectors.Redfish.Interval
	}
	if d <= 0 {
		return cfg.Agent.Interval.D()
	}
	return d.D()
}
