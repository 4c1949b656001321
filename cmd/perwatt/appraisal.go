package main

import (
	"context"
	"fmt"
	"os"
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

// agentMarket resolves the market for the agent's appraisal rounds with
// the same resolver, sources and cache file as `perwatt econ`. Each host
// fetches once an hour, at its own slot of the hour (a hash of its host
// name): between slots the cached snapshot is fresh, so a fleet restarted
// at once does not fetch at once, and its fetches spread over the hour.
type agentMarket struct {
	a   *app
	cfg *config.Config
	now func() time.Time
}

func (m agentMarket) Quote(ctx context.Context) (appraisal.Quote, error) {
	opts := marketOptions(m.a, m.cfg)
	now := time.Now
	if m.now != nil {
		now, opts.Now = m.now, m.now
	}
	opts.FreshFor, opts.NoEmbedded = market.SlotFreshFor(hostKey(m.cfg), now()), true
	r, err := market.NewResolver(opts, m.a.logger.With("component", "market"))
	if err != nil {
		return appraisal.Quote{}, fmt.Errorf("economics: %w", err)
	}
	res, err := r.Resolve(ctx)
	if err != nil {
		return appraisal.Quote{}, err
	}
	for _, err := range res.Skipped {
		m.a.logger.Debug("market data source skipped", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return appraisal.Quote{Market: res.Market, Source: string(res.Via), Note: res.Note}, nil
}

// econPhase is this host's slot in the economics interval, from a hash of
// its host tag: a fleet fetches market data spread across the interval, not
// all at once, and each host keeps its slot across restarts.
func econPhase(cfg *config.Config, interval time.Duration) time.Duration {
	return market.Spread(hostKey(cfg), interval)
}

// hostKey names this host for spreading a fleet's work: its host tag, else
// the machine's name.
func hostKey(cfg *config.Config) string {
	if h := cfg.Tags["host"]; h != "" {
		return h
	}
	h, _ := os.Hostname()
	return h
}
