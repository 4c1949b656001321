package main

import (
	"context"
	"errors"
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

// freshFor is how long ago this host's last hourly slot was: a snapshot
// fetched since then is used without fetching.
func (m agentMarket) freshFor() time.Duration {
	now := time.Now()
	if m.now != nil {
		now = m.now()
	}
	slot := now.Truncate(time.Hour).Add(market.Spread(hostKey(m.cfg), time.Hour))
	if slot.After(now) {
		slot = slot.Add(-time.Hour)
	}
	return max(now.Sub(slot), market.DefaultFreshFor)
}

func (m agentMarket) Quote(ctx context.Context) (appraisal.Quote, error) {
	opts := marketOptions(m.a, m.cfg)
	opts.FreshFor = m.freshFor()
	if m.now != nil {
		opts.Now = m.now
	}
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
	// The embedded snapshot is months old: a daemon pricing a live fleet
	// with it would stream plausible, wrong money. It is used only where
	// the operator configured no source at all (an air-gapped site).
	if e := m.cfg.Economics; res.Via == market.ViaOffline && (e.MempoolURL != "" || e.BlockchainURL != "" || e.BitcoindURL != "") {
		return appraisal.Quote{}, fmt.Errorf("every market source failed and there is no cached snapshot (%d source(s) skipped; the last: %w)",
			len(res.Skipped), lastErr(res.Skipped))
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

func lastErr(errs []error) error {
	if len(errs) == 0 {
		return errors.New("none answered")
	}
	return errs[len(errs)-1]
}
