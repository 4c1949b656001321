package main

import (
	"strings"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/economics/powerprice"
	"github.com/perwatt/perwatt/internal/config"
)

// powerChain builds the live power price from [power]: url, file, command,
// schedule, then the fixed economics.power_price_usd_per_kwh. live is false
// when only the fixed price is configured.
func (a *app) powerChain(cfg *config.Config) (c powerprice.Chain, live bool) {
	p := cfg.Power
	fixed := cfg.Economics.PowerPriceUSDPerKWh * 1000
	if p.URL != "" {
		c.Sources = append(c.Sources, powerprice.URL{URL: p.URL, Timeout: p.URLTimeout.D(), Token: p.URLToken.Reveal()})
	}
	if p.File != "" {
		c.Sources = append(c.Sources, powerprice.File{Path: p.File})
	}
	if len(p.Command) > 0 {
		c.Sources = append(c.Sources, powerprice.Exec{Command: p.Command, Timeout: p.CommandTimeout.D()})
	}
	if len(p.Schedule) > 0 {
		loc, _ := time.LoadLocation(p.Timezone) // validated by the config package
		s := powerprice.Schedule{OtherUSDPerMWh: fixed, Location: loc}
		for _, w := range p.Schedule {
			pw := powerprice.Window{StartHour: w.StartHour, EndHour: w.EndHour, USDPerMWh: w.USDPerMWh}
			for _, d := range w.Days {
				pw.Days = append(pw.Days, config.Weekdays[strings.ToLower(d)])
			}
			s.Windows = append(s.Windows, pw)
		}
		c.Sources = append(c.Sources, s)
	}
	live = len(c.Sources) > 0
	c.Sources = append(c.Sources, powerprice.Fixed{USDPerMWh: fixed})
	c.MaxAge, c.MaxGap = p.MaxAge.D(), p.MaxGap.D()
	c.Logger = a.logger.With("component", "power_price")
	return c, live
}

// livePower is the appraisal's price source: nil (the fixed price in the
// terms) unless [power] names a live source.
func (a *app) livePower(cfg *config.Config) appraisal.PriceSource {
	if c, live := a.powerChain(cfg); live {
		return c
	}
	return nil
}

// adviceJob wires the run-or-curtail advice over the appraisal round's
// devices; nil when [advice] is off or the appraisal is.
func (a *app) adviceJob(cfg *config.Config, job *appraisal.Job) *appraisal.Advice {
	if !cfg.Advice.Enabled || job == nil {
		return nil
	}
	c, live := a.powerChain(cfg)
	ad := cfg.Advice
	return &appraisal.Advice{Appraisals: job, Price: c, GPUsLeased: ad.GPUsLeased, PriceAlways: live,
		Policy: economics.AdvicePolicy{DRCreditUSDPerMWh: ad.DRCreditUSDPerMWh, HysteresisUSDPerMWh: ad.HysteresisUSDPerMWh,
			MinRun: ad.MinRun.D(), MinStop: ad.MinStop.D()},
		Every: cfg.Agent.EconomicsInterval.D(), MaxGap: max(cfg.Power.MaxGap.D(), 2*cfg.Power.PollInterval.D())}
}

// adviceCollector schedules the advice job on [power] poll_interval.
func (a *app) adviceCollector(cfg *config.Config, job *appraisal.Job) []agent.ScheduledCollector {
	j := a.adviceJob(cfg, job)
	if j == nil {
		return nil
	}
	iv := cfg.Power.PollInterval.D()
	// Every price source has its own timeout; the chain may try them all.
	return []agent.ScheduledCollector{{Collector: j, Interval: iv, Jitter: min(cfg.Agent.Jitter.D(), iv/2),
		Timeout: cfg.Power.URLTimeout.D() + cfg.Power.CommandTimeout.D() + 10*time.Second}}
}
