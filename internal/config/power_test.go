package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestPowerAndAdviceProblemsLocated(t *testing.T) {
	src := `[power]
poll_interval = "0s"
url = "https://user:hunter2@prices.example/rt"
max_gap = "-1m"
timezone = "Mars/Olympus"

[[power.schedule]]
days = ["mon", "funday"]
start_hour = 25
end_hour = 20
usd_per_mwh = 120

[advice]
dr_credit_usd_per_mwh = -3
min_stop = "-1m"
`
	_, err := Parse([]byte(src), "site.toml", func(string) string { return "" })
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	for _, want := range []string{
		"site.toml:2: power.poll_interval: must be at least 1s",
		"site.toml:4: power.max_gap: must not be negative",
		"site.toml:5: power.timezone: want an IANA zone",
		`site.toml:8: power.schedule.0.days: "funday" is not a day`,
		"site.toml:9: power.schedule.0.start_hour: want an hour from 0 to 23, got 25",
		"site.toml:14: advice.dr_credit_usd_per_mwh: want a credit",
		"site.toml:15: advice.min_stop: must not be negative",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("password leaked: %s", msg)
	}
}

func TestPowerDefaultsKeepTheFixedPrice(t *testing.T) {
	c := Default()
	p := c.Power
	if p.URL != "" || p.File != "" || len(p.Command) != 0 || len(p.Schedule) != 0 {
		t.Errorf("a live price source is on by default: %+v", p)
	}
	if p.PollInterval.D() != time.Minute || !c.Advice.Enabled || !c.Advice.GPUsLeased || len(c.validatePower()) != 0 {
		t.Errorf("defaults: %+v %+v %v", p, c.Advice, c.validatePower())
	}
}

func TestPowerURLTokenFromEnvOrFile(t *testing.T) {
	dir := t.TempDir()
	tok := dir + "/tok"
	if err := os.WriteFile(tok, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := []byte("[power]\nurl = \"https://prices.example/rt\"\nurl_token_file = \"" + tok + "\"\n")
	c, err := Parse(src, "site.toml", func(string) string { return "" })
	if err != nil || c.Power.URLToken.Reveal() != "from-file" {
		t.Fatalf("file: %v %v", c, err)
	}
	c, err = Parse(src, "site.toml", func(k string) string {
		if k == "PERWATT_POWER_URL_TOKEN" {
			return "from-env"
		}
		return ""
	})
	if err != nil || c.Power.URLToken.Reveal() != "from-env" || strings.Contains(fmt.Sprintf("%v %+v", c.Power, c.Power), "from-env") {
		t.Fatalf("env: %+v %v", c.Power, err)
	}
}
