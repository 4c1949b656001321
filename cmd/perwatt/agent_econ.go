package main

import (
	"context"
	"os"
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
	r, err := resolveMarket(ctx, e.a, e.cfg, market.Overrides{}, false, e.a.logger.With("collector", "economics"))
	if err != nil {
		return nil, err
	}
	for _, err := range r.Skipped {
		e.a.logger.Debug("market data source skipped", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	rep, err := economics.Evaluate(r.Market, e.cfg.Economics.PowerPriceUSDPerKWh, economics.Catalogue(), time.Now())
	if err != nil {
		return nil, err
	}
	return rep.Points(), nil
}

// econPhase is this host's slot in the economics interval, from a hash of
// its host tag: a fleet fetches market data spread across the interval, not
// all on the hour, and each host keeps its slot across restarts.
func econPhase(cfg *config.Config, interval time.Duration) time.Duration {
	host := cfg.Tags["host"]
	if host == "" {
		host, _ = os.Hostname()
	}
	return market.Spread(host, interval)
}
