package config

import (
	"fmt"
	"net"
	"net/url"
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
			bad("influx.url", "want http(s)://host:port, got %q", in.URL)
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
	if co.ASIC.Concurrency < 1 {
		bad("collectors.asic.concurrency", "must be at least 1, got %d", co.ASIC.Concurrency)
	}
	seen := map[string]int{}
	for i, r := range co.ASIC.Rigs {
		key := fmt.Sprintf("collectors.asic.rigs.%d", i)
		if _, _, err := net.SplitHostPort(r.Address); err != nil {
			bad(key+".address", "want host:port such as 10.0.0.21:4028, got %q", r.Address)
		} else if j, dup := seen[r.Address]; dup {
			bad(key+".address", "%s is also rig %d", r.Address, j)
		} else {
			seen[r.Address] = i
		}
		if r.NameplateW < 0 {
			bad(key+".nameplate_w", "must not be negative, got %g", r.NameplateW)
		}
	}

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
	if e.PowerPriceUSDPerKWh < 0 {
		bad("economics.power_price_usd_per_kwh", "must not be negative, got %g", e.PowerPriceUSDPerKWh)
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
	return ps
}
