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

// wiredCollector is a collector with its interval: its own
// [collectors.*] interval, or [agent].interval.
type wiredCollector struct {
	c     collector
	every time.Duration
}

// buildCollectors is the one place that turns configuration into collectors,
// so the one-shot `collect` and the daemon read exactly the same sources.
// Adding a collector is one entry here. The returned function releases what
// they hold (NVML, sockets).
func buildCollectors(cfg *config.Config, logger *slog.Logger) ([]wiredCollector, func()) {
	var cs []wiredCollector
	var closers []func()
	co := cfg.Collectors
	add := func(c collector, every config.Duration) {
		if every <= 0 {
			every = cfg.Agent.Interval
		}
		cs = append(cs, wiredCollector{c, every.D()})
	}
	if h := co.Host; h.Enabled {
		add(collectors.NewHost(collectors.HostOptions{
			PerCPU: h.PerCPU, SlowInterval: h.SlowInterval.D(),
			Mounts:         collectors.NameFilter{Include: h.MountPointsInclude, Exclude: h.MountPointsExclude},
			Devices:        collectors.NameFilter{Include: h.DevicesInclude, Exclude: h.DevicesExclude},
			Interfaces:     collectors.NameFilter{Include: h.InterfacesInclude, Exclude: h.InterfacesExclude},
			FSTypesExclude: h.FSTypesExclude, Skip: h.Skip,
			ProcRoot: h.ProcRoot, SysRoot: h.SysRoot, RootFS: h.RootFS,
		}, logger), h.Interval)
	}
	if co.NVML.Enabled {
		n := collectors.NewNVMLDriver(logger)
		add(n, co.NVML.Interval)
		closers = append(closers, func() { _ = n.Close() })
	}
	if co.RAPL.Enabled {
		add(collectors.NewRAPL(co.RAPL.SysfsRoot, logger), co.RAPL.Interval)
	}
	if ip := co.IPMI; ip.Enabled {
		c := collectors.NewIPMI(collectors.IPMIOptions{
			Address: ip.Address, Device: ip.Device, Interface: ip.Interface, Username: ip.Username,
			Password: ip.Password.Reveal(), CipherSuite: ip.CipherSuite, Timeout: ip.Timeout.D(),
		}, logger)
		add(c, ip.Interval)
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
			add(c, rf.Interval)
			closers = append(closers, func() { _ = c.Close() })
		}
	}
	if co.ASIC.Enabled && (len(co.ASIC.Rigs) > 0 || len(co.ASIC.Ranges) > 0) {
		add(collectors.NewASIC(asicRigs(co.ASIC), asicOptions(co.ASIC), logger), co.ASIC.Interval)
	}
	return cs, func() {
		for _, c := range closers {
			c()
		}
	}
}

func unwire(ws []wiredCollector) []collector {
	cs := make([]collector, len(ws))
	for i, w := range ws {
		cs[i] = w.c
	}
	return cs
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
