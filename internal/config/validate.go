package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// validate checks meaning, not syntax. Keys are dotted paths as written in the
// file so problems can be located.
func (c *Config) validate() []Problem {
	var ps []Problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	positive := func(key string, d Duration) {
		if d.D() <= 0 {
			bad(key, "must be a positive duration, got %s", d.D())
		}
	}
	nonNegative := func(key string, d Duration) {
		if d.D() < 0 {
			bad(key, "must not be negative, got %s", d.D())
		}
	}

	a := c.Agent
	positive("agent.interval", a.Interval)
	nonNegative("agent.jitter", a.Jitter)
	positive("agent.collect_timeout", a.CollectTimeout)
	positive("agent.flush_interval", a.FlushInterval)
	positive("agent.shutdown_timeout", a.ShutdownTimeout)
	positive("agent.self_metrics_interval", a.SelfMetricsPeriod)
	if a.RetryMaxBackoff.D() < time.Second || a.RetryMaxBackoff.D() > time.Hour {
		bad("agent.retry_max_backoff", "must be between 1s and 1h, got %s", a.RetryMaxBackoff.D())
	}
	if a.EconomicsInterval != 0 && a.EconomicsInterval.D() < time.Minute {
		bad("agent.economics_interval", "must be 0 (off) or at least 1m, got %s", a.EconomicsInterval.D())
	}
	if a.MemoryLimit != 0 && a.MemoryLimit < 8<<20 {
		bad("agent.memory_limit", "must be 0 (no limit) or at least 8MiB, got %d bytes", a.MemoryLimit)
	}
	if a.BatchSize < 1 || a.BatchSize > 1_000_000 {
		bad("agent.batch_size", "must be between 1 and 1000000, got %d", a.BatchSize)
	}
	if a.HealthListen != "" {
		if _, _, err := net.SplitHostPort(a.HealthListen); err != nil {
			bad("agent.health_listen", "want host:port such as 127.0.0.1:9273: %v", err)
		}
	}
	for k, v := range c.Tags {
		if k == "" || strings.ContainsAny(k, "\n") || strings.ContainsAny(v, "\n") {
			bad("tags."+k, "tag keys and values must be non-empty single-line strings")
		}
	}

	in := c.Influx
	if in.URL != "" {
		u, err := url.Parse(in.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The value may hold a password (http://user:pass@host): show
			// it only with the password hidden.
			shown := "a value that does not parse as a URL"
			if err == nil {
				shown = fmt.Sprintf("%q", u.Redacted())
			}
			bad("influx.url", "want http(s)://host:port, got %s", shown)
		}
		if in.Bucket == "" {
			bad("influx.bucket", "required when influx.url is set (InfluxDB 1.8: \"database/retention-policy\")")
		}
	}
	positive("influx.timeout", in.Timeout)

	s := c.Spool
	if s.Dir == "" {
		bad("spool.dir", "required")
	}
	if s.MaxBytes < 1<<20 {
		bad("spool.max_size", "must be at least 1MiB, got %d bytes", s.MaxBytes)
	}
	if s.SegmentBytes < 64<<10 || s.SegmentBytes > s.MaxBytes {
		bad("spool.segment_size", "must be between 64KiB and spool.max_size, got %d bytes", s.SegmentBytes)
	}
	switch s.Sync {
	case "batch", "interval", "none":
	default:
		bad("spool.sync", "want \"batch\", \"interval\" or \"none\", got %q", s.Sync)
	}
	positive("spool.sync_interval", s.SyncInterval)
	switch s.Full {
	case "drop_oldest", "reject_new":
	default:
		bad("spool.full", "want \"drop_oldest\" or \"reject_new\", got %q", s.Full)
	}

	co := c.Collectors
	nonNegative("collectors.host.interval", co.Host.Interval)
	nonNegative("collectors.nvml.interval", co.NVML.Interval)
	nonNegative("collectors.rapl.interval", co.RAPL.Interval)
	nonNegative("collectors.asic.interval", co.ASIC.Interval)
	positive("collectors.asic.timeout", co.ASIC.Timeout)
	validateASIC(co.ASIC, bad)

	ps = append(ps, c.validateHostAndBMC()...)

	b := c.Bench
	nonNegative("bench.sha256.every", b.SHA256.Every)
	positive("bench.sha256.duration", b.SHA256.Duration)
	if b.SHA256.Threads < 0 {
		bad("bench.sha256.threads", "must not be negative (0 = all logical CPUs), got %d", b.SHA256.Threads)
	}
	if b.SHA256.Every > 0 && b.SHA256.Every.D() < 10*b.SHA256.Duration.D() {
		bad("bench.sha256.every", "%s leaves the CPU benchmarking more than a tenth of the time (duration %s)", b.SHA256.Every.D(), b.SHA256.Duration.D())
	}
	nonNegative("bench.gpu.every", b.GPU.Every)
	positive("bench.gpu.duration", b.GPU.Duration)
	if b.GPU.MaxBusyUtil < 0 || b.GPU.MaxBusyUtil > 100 {
		bad("bench.gpu.max_busy_util_pct", "must be between 0 and 100, got %g", b.GPU.MaxBusyUtil)
	}

	e := c.Economics
	// The same rule as --power-price: a price in USD per kWh, not per MWh.
	if !(e.PowerPriceUSDPerKWh >= 0) || e.PowerPriceUSDPerKWh > 10 {
		bad("economics.power_price_usd_per_kwh", "want USD per kWh from 0 to 10 (0.05 is 5 cents), got %g", e.PowerPriceUSDPerKWh)
	}
	if e.MempoolURL != "" {
		if u, err := url.Parse(e.MempoolURL); err != nil || u.Host == "" {
			bad("economics.mempool_url", "want an http(s) URL, got %q", e.MempoolURL)
		}
	}
	for _, kv := range [][2]string{{"economics.blockchain_url", e.BlockchainURL}, {"economics.bitcoind_url", e.BitcoindURL}} {
		if kv[1] == "" {
			continue
		}
		if u, err := url.Parse(kv[1]); err != nil || u.Host == "" {
			bad(kv[0], "want an http(s) URL, got %q", kv[1])
		} else if u.User != nil {
			// Credentials in a URL end up in logs; they belong in the cookie file or the environment.
			bad(kv[0], "must not carry credentials (use economics.bitcoind_cookie_file or PERWATT_BITCOIND_RPC_USER/PASSWORD), got %q", u.Redacted())
		}
	}
	if e.MaxMarketAge.D() < time.Minute {
		bad("economics.max_market_age", "must be at least 1m, got %s", e.MaxMarketAge.D())
	}
	if e.LeaseRateUSDPerHour < 0 {
		bad("economics.lease_rate_usd_per_gpu_hour", "must not be negative, got %g", e.LeaseRateUSDPerHour)
	}
	if e.GPUServerOverheadW < 0 {
		bad("economics.gpu_server_overhead_w", "must not be negative, got %g", e.GPUServerOverheadW)
	}
	if e.PUE < 1 || e.PUE > 3 {
		bad("economics.pue", "must be between 1.0 and 3.0, got %g", e.PUE)
	}
	if !(e.Utilization > 0) || e.Utilization > 1 {
		bad("economics.utilization", "must be a fraction above 0 and at most 1 (0.7 is 70 %% of hours billed), got %g", e.Utilization)
	}
	if !(e.PoolFee >= 0) || e.PoolFee >= 1 {
		bad("economics.pool_fee", "must be a fraction from 0 to below 1 (0.025 is 2.5 %%), got %g", e.PoolFee)
	}
	if p := strings.ToLower(e.Pool); p != "fpps" && p != "pps" {
		bad("economics.pool", "must be \"fpps\" (subsidy and fees) or \"pps\" (subsidy only), got %q", e.Pool)
	}
	for _, model := range slices.Sorted(maps.Keys(e.LeaseRates)) {
		if v := e.LeaseRates[model]; !(v > 0) || v > 1000 {
			bad("economics.lease_rates."+model, "must be a rate in USD per GPU-hour above 0 (2.0 is $2/GPU-hour), got %g", v)
		}
	}
	if !(e.DiscountRate > -1) || e.DiscountRate > 1 {
		bad("economics.discount_rate", "must be between -1 and 1 (0.10 is 10 %% a year), got %g", e.DiscountRate)
	}
	if !(e.DifficultyGrowthPerRetarget > -0.75) || e.DifficultyGrowthPerRetarget > 3 {
		bad("economics.difficulty_growth_per_retarget", "must be between -0.75 and 3 (0.01 is +1 %% per 2016 blocks), got %g", e.DifficultyGrowthPerRetarget)
	}
	if !(e.BTCPriceGrowthPerYear > -1) || e.BTCPriceGrowthPerYear > 10 {
		bad("economics.btc_price_growth_per_year", "must be between -1 and 10, got %g", e.BTCPriceGrowthPerYear)
	}
	if !(e.DebtShare >= 0) || e.DebtShare > 1 {
		bad("economics.debt_share", "must be a fraction from 0 to 1, got %g", e.DebtShare)
	}
	if !(e.DebtRate > -1) || e.DebtRate > 1 {
		bad("economics.debt_rate", "must be between -1 and 1 (0.08 is 8 %% a year), got %g", e.DebtRate)
	}
	if e.DebtShare > 0 && (e.DebtTermYears < 1 || e.DebtTermYears > 50) {
		bad("economics.debt_term_years", "must be 1 to 50 when economics.debt_share is set, got %d", e.DebtTermYears)
	}
	if !(e.HostingUSDPerKWh >= 0) || e.HostingUSDPerKWh > 1 {
		bad("economics.hosting_usd_per_kwh", "must be from 0 to 1 USD/kWh, got %g", e.HostingUSDPerKWh)
	}
	ps = append(ps, c.validatePower()...)
	return ps
}
