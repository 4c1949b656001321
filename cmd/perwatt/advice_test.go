package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/config"
)

// TestPowerChainFromConfig: [power] sources are tried url, file, command,
// schedule, then the fixed price, each falling through to the next.
func TestPowerChainFromConfig(t *testing.T) {
	src := `[economics]
power_price_usd_per_kwh = 0.05
[power]
url = "http://` + deadAddr(t) + `/price"
url_timeout = "2s"
command = ["echo", "42.5", "usd/mwh"]
timezone = "UTC"
[[power.schedule]]
start_hour = 0
end_hour = 0
usd_per_mwh = 120
`
	noenv := func(string) string { return "" }
	cfg, err := config.Parse([]byte(src), "site.toml", noenv)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{ctx: context.Background(), getenv: noenv, logger: slog.New(slog.DiscardHandler), cfg: cfg}
	resolve := func(cfg *config.Config) (string, float64, int) {
		c, _ := a.powerChain(cfg)
		r, err := c.Resolve(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return r.Source, r.USDPerMWh, len(r.Skipped)
	}
	if s, p, n := resolve(cfg); s != "exec" || p != 42.5 || n != 1 {
		t.Errorf("got %s %v after %d skipped; want exec 42.5 after the dead url", s, p, n)
	}
	cfg.Power.Command = []string{"false"}
	if s, p, n := resolve(cfg); s != "schedule" || p != 120 || n != 2 {
		t.Errorf("got %s %v after %d skipped; want schedule 120", s, p, n)
	}
	cfg.Power.Schedule, cfg.Power.Command, cfg.Power.URL = nil, nil, ""
	if s, p, n := resolve(cfg); s != "fixed" || p != 50 || n != 0 {
		t.Errorf("got %s %v after %d skipped; want the fixed 50", s, p, n)
	}
	if a.livePower(cfg) != nil {
		t.Error("the appraisal takes a live price with only the fixed one configured")
	}
	if j := a.adviceJob(cfg, &appraisal.Job{}); j == nil || j.PriceAlways {
		t.Errorf("advice job %+v: want one that stays quiet without devices", j)
	}
	cfg.Advice.Enabled = false
	if a.adviceJob(cfg, &appraisal.Job{}) != nil {
		t.Error("advice job built with [advice] enabled = false")
	}
}
