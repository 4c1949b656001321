package main

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/market"
	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/internal/metric"
)

// econCollector evaluates the built-in mining and leasing profiles against
// the current market on the agent's schedule (agent.economics_interval), so
// the dashboard's revenue-per-watt panels follow the market without anyone
// running `perwatt econ`. One host of a fleet is enough to enable it on.
type econCollector struct {
	a   *app
	cfg *config.Config
}

func (e *econCollector) Name() string { return "economics" }

func (e *econCollector) Collect(ctx context.Context) ([]metric.Point, error) {
	ea := *e.a
	ea.cfg = e.cfg
	sources, err := marketSources(&ea)
	if err != nil {
		return nil, err
	}
	cache := &market.Cache{Path: e.cfg.Economics.CacheFile}
	if cache.Path == "" {
		// Beside the spool: the one directory a sandboxed agent may write.
		cache.Path = filepath.Join(filepath.Dir(filepath.Clean(e.cfg.Spool.Dir)), "market.json")
	}
	chain := market.Chain{Sources: sources, Cache: cache, MaxAge: e.cfg.Economics.MaxMarketAge.D(),
		Logger: e.a.logger.With("collector", "economics")}
	r := chain.Resolve(ctx)
	for _, err := range r.Skipped {
		e.a.logger.Debug("market data source skipped", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	rep, err := economics.Evaluate(r.Snapshot.Market(), e.cfg.Economics.PowerPriceUSDPerKWh, economics.Catalogue(), time.Now())
	if err != nil {
		return nil, err
	}
	return rep.Points(), nil
}
