package main

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/economics/market"
	"github.com/perwatt/perwatt/internal/config"
)

// appraisalTerms maps [economics] onto the appraisal's terms.
func appraisalTerms(cfg *config.Config) appraisal.Terms {
	e := cfg.Economics
	return appraisal.Terms{
		PowerPriceUSDPerKWh: e.PowerPriceUSDPerKWh, PoolFee: e.PoolFee,
		Pool: economics.PoolModel(strings.ToLower(e.Pool)), PUE: e.PUE,
		LeaseRates: e.LeaseRates, LeaseRate: e.LeaseRateUSDPerHour,
		Utilization: e.Utilization, ServerOverheadW: e.GPUServerOverheadW,
	}
}

// appraisalJob wires the appraisal round: every collector and benchmark
// that holds device readings is a source.
func (a *app) appraisalJob(cfg *config.Config, parts ...any) *appraisal.Job {
	j := &appraisal.Job{Market: agentMarket{a: a, cfg: cfg}, Terms: appraisalTerms(cfg),
		Catalogue: cfg.Agent.EconomicsCatalogue, Power: a.livePower(cfg)}
	for _, p := range parts {
		if s, ok := p.(appraisal.Source); ok {
			j.Sources = append(j.Sources, s)
		}
	}
	return j
}

// agentMarket resolves the market for the agent's appraisal rounds.
type agentMarket struct {
	a   *app
	cfg *config.Config
}

func (m agentMarket) Quote(ctx context.Context) (appraisal.Quote, error) {
	ea := *m.a
	ea.cfg = m.cfg
	sources, err := marketSources(&ea)
	if err != nil {
		return appraisal.Quote{}, err
	}
	cache := &market.Cache{Path: m.cfg.Economics.CacheFile}
	if cache.Path == "" {
		cache.Path = filepath.Join(filepath.Dir(filepath.Clean(m.cfg.Spool.Dir)), "market.json")
	}
	chain := market.Chain{Sources: sources, Cache: cache, MaxAge: m.cfg.Economics.MaxMarketAge.D(),
		Logger: m.a.logger.With("component", "market")}
	r := chain.Resolve(ctx)
	for _, err := range r.Skipped {
		m.a.logger.Debug("market data source skipped", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return appraisal.Quote{Market: r.Snapshot.Market(), Source: string(r.Origin), Note: r.Note(time.Now())}, nil
}
