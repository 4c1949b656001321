package config

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Power says where the live power price comes from. Sources are tried in
// a fixed order, url, file, command, schedule, and the fixed
// economics.power_price_usd_per_kwh is always the last resort; with none
// of them set the agent uses the fixed price, as it always did.
type Power struct {
	PollInterval   Duration        `toml:"poll_interval" json:"poll_interval"`
	MaxAge         Duration        `toml:"max_age" json:"max_age"`
	MaxGap         Duration        `toml:"max_gap" json:"max_gap"`
	URL            string          `toml:"url" json:"url"`
	URLTimeout     Duration        `toml:"url_timeout" json:"url_timeout"`
	URLTokenFile   string          `toml:"url_token_file" json:"url_token_file"`
	File           string          `toml:"file" json:"file"`
	Command        []string        `toml:"command" json:"command"`
	CommandTimeout Duration        `toml:"command_timeout" json:"command_timeout"`
	Timezone       string          `toml:"timezone" json:"timezone"`
	Schedule       []PowerSchedule `toml:"schedule" json:"schedule"`

	// URLToken is sent as "Authorization: Bearer" to the price URL; it
	// comes from PERWATT_POWER_URL_TOKEN or URLTokenFile, never the file.
	URLToken Secret `toml:"-" json:"url_token,omitempty"`
}

// PowerSchedule is one time-of-use window: on Days (empty: every day),
// from StartHour to EndHour local time (end exclusive; wrapping past
// midnight when the end is earlier).
type PowerSchedule struct {
	Days      []string `toml:"days" json:"days"`
	StartHour int      `toml:"start_hour" json:"start_hour"`
	EndHour   int      `toml:"end_hour" json:"end_hour"`
	USDPerMWh float64  `toml:"usd_per_mwh" json:"usd_per_mwh"`
}

// Advice tunes the run-or-curtail advice per device.
type Advice struct {
	Enabled             bool     `toml:"enabled" json:"enabled"`
	DRCreditUSDPerMWh   float64  `toml:"dr_credit_usd_per_mwh" json:"dr_credit_usd_per_mwh"`
	HysteresisUSDPerMWh float64  `toml:"hysteresis_usd_per_mwh" json:"hysteresis_usd_per_mwh"`
	MinRun              Duration `toml:"min_run" json:"min_run"`
	MinStop             Duration `toml:"min_stop" json:"min_stop"`
	GPUsLeased          bool     `toml:"gpus_leased" json:"gpus_leased"`
}

func defaultPower() Power {
	return Power{PollInterval: Duration(time.Minute), MaxAge: Duration(time.Hour), MaxGap: Duration(time.Hour),
		URLTimeout: Duration(10 * time.Second), CommandTimeout: Duration(10 * time.Second), Timezone: "Local"}
}

func defaultAdvice() Advice {
	return Advice{Enabled: true, HysteresisUSDPerMWh: 5, MinRun: Duration(15 * time.Minute), MinStop: Duration(15 * time.Minute), GPUsLeased: true}
}

// Weekdays are the spellings power.schedule.days accepts.
var Weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// maxPriceUSDPerMWh bounds a believable price in the file (as the price
// sources bound what they read).
const maxPriceUSDPerMWh = 100_000

func (c *Config) validatePower() []Problem {
	var ps []Problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	p := c.Power
	if p.PollInterval.D() < time.Second {
		bad("power.poll_interval", "must be at least 1s, got %s", p.PollInterval.D())
	}
	for _, kv := range []struct {
		key string
		d   Duration
	}{{"power.max_age", p.MaxAge}, {"power.max_gap", p.MaxGap}, {"power.url_timeout", p.URLTimeout}, {"power.command_timeout", p.CommandTimeout}} {
		if kv.d.D() < 0 {
			bad(kv.key, "must not be negative (0: no limit), got %s", kv.d.D())
		}
	}
	if p.URL != "" {
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("power.url", "want an http(s) URL serving CSV or JSON, got %q", redactedURL(p.URL))
		}
	}
	if len(p.Command) > 0 && strings.TrimSpace(p.Command[0]) == "" {
		bad("power.command", "the first element is the program to run and must not be empty")
	}
	if _, err := time.LoadLocation(p.Timezone); err != nil {
		bad("power.timezone", "want an IANA zone such as \"America/Chicago\", \"UTC\" or \"Local\": %v", err)
	}
	for i, w := range p.Schedule {
		key := fmt.Sprintf("power.schedule.%d", i)
		for _, d := range w.Days {
			if _, ok := Weekdays[strings.ToLower(d)]; !ok {
				bad(key+".days", "%q is not a day: want sun, mon, tue, wed, thu, fri or sat", d)
			}
		}
		if w.StartHour < 0 || w.StartHour > 23 {
			bad(key+".start_hour", "want an hour from 0 to 23, got %d", w.StartHour)
		}
		if w.EndHour < 0 || w.EndHour > 24 {
			bad(key+".end_hour", "want an hour from 0 to 24 (end exclusive), got %d", w.EndHour)
		}
		if !(w.USDPerMWh >= -maxPriceUSDPerMWh && w.USDPerMWh <= maxPriceUSDPerMWh) {
			bad(key+".usd_per_mwh", "want a price in USD per MWh (50 is 5 cents per kWh), got %g", w.USDPerMWh)
		}
	}

	a := c.Advice
	if !(a.DRCreditUSDPerMWh >= 0) || a.DRCreditUSDPerMWh > maxPriceUSDPerMWh {
		bad("advice.dr_credit_usd_per_mwh", "want a credit in USD per MWh shed, 0 or more, got %g", a.DRCreditUSDPerMWh)
	}
	if !(a.HysteresisUSDPerMWh >= 0) || a.HysteresisUSDPerMWh > maxPriceUSDPerMWh {
		bad("advice.hysteresis_usd_per_mwh", "want USD per MWh, 0 or more, got %g", a.HysteresisUSDPerMWh)
	}
	if a.MinRun.D() < 0 {
		bad("advice.min_run", "must not be negative, got %s", a.MinRun.D())
	}
	if a.MinStop.D() < 0 {
		bad("advice.min_stop", "must not be negative, got %s", a.MinStop.D())
	}
	return ps
}

// applyPowerSecrets reads the price URL's token from the environment or
// its file.
func (c *Config) applyPowerSecrets(getenv func(string) string) error {
	if tok := getenv("PERWATT_POWER_URL_TOKEN"); tok != "" {
		c.Power.URLToken = Secret(tok)
		return nil
	}
	if c.Power.URLTokenFile != "" {
		b, err := os.ReadFile(c.Power.URLTokenFile)
		if err != nil {
			return fmt.Errorf("config: power.url_token_file: %w", err)
		}
		c.Power.URLToken = Secret(strings.TrimSpace(string(b)))
	}
	return nil
}

func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}
