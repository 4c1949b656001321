package main

import (
	"context"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/metric"
)

// onceRateInterval separates the two samples `agent --once` takes from
// collectors that report rates: long enough for CPU tick counters (100 Hz)
// and RAPL to give a stable figure, short enough for an interactive check.
const onceRateInterval = time.Second

// agentOnce prints one full round of what the daemon would spool: every
// collector once (rate collectors twice, onceRateInterval apart), then the
// appraisal of what they read and the advice on it, the global tags added,
// invalid points left out as the daemon leaves them out.
func (a *app) agentOnce(ctx context.Context) error {
	cs, closeAll := a.agentCollectors(a.cfg)
	defer closeAll()
	return a.onceRound(ctx, cs)
}

func (a *app) onceRound(ctx context.Context, cs []wiredCollector) error {
	if len(cs) == 0 {
		a.logger.Warn("no collector is enabled or available; nothing to print")
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.Agent.CollectTimeout.D()+onceRateInterval)
	defer cancel()
	res := collectOnce(cctx, unwire(cs), onceRateInterval)
	if cfg := a.cfg; cfg.Agent.EconomicsInterval.D() > 0 {
		parts := make([]any, len(cs))
		for i, w := range cs {
			parts[i] = w.c
		}
		job := a.appraisalJob(cfg, parts...)
		rounds := []collector{job}
		if adv := a.adviceJob(cfg, job); adv != nil {
			rounds = append(rounds, adv) // the advice on the round just appraised
		}
		for _, c := range rounds {
			at := time.Now()
			pts, err := c.Collect(ctx)
			res.Collectors = append(res.Collectors, newCollectorResult(c.Name(), pts, err, time.Since(at)))
		}
	}
	for i, c := range res.Collectors {
		var kept []metric.Point
		for _, p := range c.points {
			if p.Time.IsZero() {
				p.Time = res.Time
			}
			p = p.WithTags(a.cfg.Tags)
			if err := p.Validate(); err != nil {
				a.logger.Warn("point left out", "collector", c.Name, "err", err)
				continue
			}
			kept = append(kept, p)
		}
		res.Collectors[i] = newCollectorResult(c.Name, kept, c.err, time.Duration(c.TookMS*float64(time.Millisecond)))
		// The collector's error names it already; absent hardware is a
		// state, said at info with its reason and fix.
		switch {
		case c.err == nil:
		case agent.IsAbsent(c.err):
			a.logger.Info("source not present on this host; not collected", "collector", c.Name, "reason", c.err.Error())
		default:
			a.logger.Warn("collection failed", "collector", c.Name, "err", c.err)
		}
	}
	if a.output == "json" {
		return a.render(res)
	}
	_, err := a.stdout.Write(metric.Lines(res.Points()))
	return err
}
