package config

import (
	"strings"
	"testing"
)

// A file with many kinds of mistake reports them all in one pass, in order,
// each with its line and key, without Go type names.
func TestEveryProblemInOnePass(t *testing.T) {
	src := `[agent]
interval = 1
batch_size = "lots"
jitter = "1 second"
self_metrics = "yes"
memory_limit = "64MiB"

[tags]
site = 7

[spool]
sync = "sometimes"
max_size = 2147483648

[bench.sha256]
kernel = "foo"
threads = 2.5

[economics]
power_price_usd_per_kwh = nan
pue = inf
lease_rate_usd_per_gpu_hour = 2
nosuch = 1
`
	_, err := Parse([]byte(src), "site.toml", noenv, Kernels("generic", "stdlib"))
	if err == nil {
		t.Fatal("want errors")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		`site.toml:2: agent.interval: want a quoted duration with a unit such as "500ms", "10s", "1m30s" or "6h" (units ns, us, ms, s, m, h), got the bare number 1 (no unit)`,
		`site.toml:3: agent.batch_size: want a whole number, got the string "lots"`,
		`site.toml:4: agent.jitter: want a quoted duration`,
		`site.toml:5: agent.self_metrics: want true or false, got the string "yes"`,
		`site.toml:9: tags.site: want a string, got the number 7`,
		`site.toml:12: spool.sync: want "batch", "interval" or "none", got "sometimes"`,
		`site.toml:16: bench.sha256.kernel: want one of auto, generic, stdlib, got "foo"`,
		`site.toml:17: bench.sha256.threads: want a whole number, got the number 2.5`,
		`site.toml:20: economics.power_price_usd_per_kwh: want a finite number, got nan`,
		`site.toml:21: economics.pue: want a finite number, got inf`,
		`site.toml:23: economics.nosuch: unknown key`,
	}
	if len(got) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s…", i, got[i], want[i])
		}
	}
	if strings.Contains(err.Error(), "struct field") || strings.Contains(err.Error(), "config.") {
		t.Errorf("Go internals in the message:\n%s", err)
	}
}

// A valid file sets what it says, and bare byte counts are still sizes.
func TestAssignSetsValues(t *testing.T) {
	src := `[agent]
interval = "2s"
batch_size = 10
memory_limit = 16777216
[tags]
site = "tx-1"
[economics]
power_price_usd_per_kwh = 0.04
lease_rate_usd_per_gpu_hour = 2
[economics.lease_rates]
H100 = 2.5
[[collectors.asic.rigs]]
address = "10.0.0.1:4028"
nameplate_w = 3250
`
	cfg, err := Parse([]byte(src), "ok.toml", noenv, Kernels("generic"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Agent.Interval.D().String() != "2s" || cfg.Agent.BatchSize != 10 || cfg.Agent.MemoryLimit != 16<<20 {
		t.Errorf("agent = %+v", cfg.Agent)
	}
	if cfg.Tags["site"] != "tx-1" || cfg.Tags["host"] == "" {
		t.Errorf("tags = %v (the host default must stay)", cfg.Tags)
	}
	if cfg.Economics.LeaseRateUSDPerHour != 2 || cfg.Economics.LeaseRates["H100"] != 2.5 || cfg.Economics.PowerPriceUSDPerKWh != 0.04 {
		t.Errorf("economics = %+v", cfg.Economics)
	}
	if len(cfg.Collectors.ASIC.Rigs) != 1 || cfg.Collectors.ASIC.Rigs[0].NameplateW != 3250 {
		t.Errorf("rigs = %+v", cfg.Collectors.ASIC.Rigs)
	}
}

func TestPowerPricePerMWhRefused(t *testing.T) {
	_, err := Parse([]byte("[economics]\npower_price_usd_per_kwh = 50\n"), "p.toml", noenv)
	if err == nil || !strings.Contains(err.Error(), "p.toml:2: economics.power_price_usd_per_kwh: want USD per kWh") {
		t.Fatalf("err = %v", err)
	}
}
