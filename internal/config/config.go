// Package config loads perwatt's TOML configuration: defaults, then the file,
// then secrets from the environment. Unknown keys are errors and every problem
// is reported with its key and line so an operator can fix a file in one pass.
package config

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Config is the whole configuration. Each section is owned by the part of
// perwatt that reads it; keys are documented in README.md.
type Config struct {
	Agent      Agent             `toml:"agent" json:"agent"`
	Tags       map[string]string `toml:"tags" json:"tags"`
	Influx     Influx            `toml:"influx" json:"influx"`
	Spool      Spool             `toml:"spool" json:"spool"`
	Collectors Collectors        `toml:"collectors" json:"collectors"`
	Bench      Bench             `toml:"bench" json:"bench"`
	Economics  Economics         `toml:"economics" json:"economics"`
	Power      Power             `toml:"power" json:"power"`
	Advice     Advice            `toml:"advice" json:"advice"`
	Prometheus Prometheus        `toml:"prometheus" json:"prometheus"`

	// Path is the file this config was read from ("" for defaults only).
	Path string `toml:"-" json:"-"`
}

// Agent tunes the daemon's scheduling and shipping.
type Agent struct {
	Interval          Duration `toml:"interval" json:"interval"`
	Jitter            Duration `toml:"jitter" json:"jitter"`
	CollectTimeout    Duration `toml:"collect_timeout" json:"collect_timeout"`
	FlushInterval     Duration `toml:"flush_interval" json:"flush_interval"`
	BatchSize         int      `toml:"batch_size" json:"batch_size"`
	ShutdownTimeout   Duration `toml:"shutdown_timeout" json:"shutdown_timeout"`
	HealthListen      string   `toml:"health_listen" json:"health_listen"`
	Output            string   `toml:"output" json:"output"`
	DeadLetter        string   `toml:"dead_letter" json:"dead_letter"`
	SelfMetrics       bool     `toml:"self_metrics" json:"self_metrics"`
	SelfMetricsPeriod Duration `toml:"self_metrics_interval" json:"self_metrics_interval"`
	RetryMaxBackoff   Duration `toml:"retry_max_backoff" json:"retry_max_backoff"`
	MemoryLimit       Size     `toml:"memory_limit" json:"memory_limit"`
	EconomicsInterval Duration `toml:"economics_interval" json:"economics_interval"`
	// EconomicsCatalogue also writes the built-in catalogue's economics at
	// each appraisal round, for comparison with this host's devices.
	EconomicsCatalogue bool `toml:"economics_catalogue" json:"economics_catalogue"`
}

// Influx is the InfluxDB v2-API endpoint (InfluxDB 1.8+, 2.x, 3.x).
type Influx struct {
	URL                string   `toml:"url" json:"url"`
	Org                string   `toml:"org" json:"org"`
	Bucket             string   `toml:"bucket" json:"bucket"`
	TokenFile          string   `toml:"token_file" json:"token_file"`
	Gzip               bool     `toml:"gzip" json:"gzip"`
	Timeout            Duration `toml:"timeout" json:"timeout"`
	TLSCA              string   `toml:"tls_ca" json:"tls_ca"`
	InsecureSkipVerify bool     `toml:"insecure_skip_verify" json:"insecure_skip_verify"`

	// Token comes from PERWATT_INFLUX_TOKEN or TokenFile, never from the
	// config file itself, so a config can be shared without leaking it.
	Token Secret `toml:"-" json:"token,omitempty"`
}

// Spool is the on-disk buffer between measurement and InfluxDB.
type Spool struct {
	Dir          string   `toml:"dir" json:"dir"`
	MaxBytes     Size     `toml:"max_size" json:"max_size"`
	SegmentBytes Size     `toml:"segment_size" json:"segment_size"`
	Sync         string   `toml:"sync" json:"sync"`
	SyncInterval Duration `toml:"sync_interval" json:"sync_interval"`
	Full         string   `toml:"full" json:"full"`
}

// Collectors configures each source; Interval zero means [agent].interval.
type Collectors struct {
	Host HostCollector `toml:"host" json:"host"`
	NVML NVMLCollector `toml:"nvml" json:"nvml"`
	RAPL RAPLCollector `toml:"rapl" json:"rapl"`
	ASIC ASICCollector `toml:"asic" json:"asic"`
	// IPMI and Redfish read the server's wall power from its BMC
	// (collectors_bmc.go).
	IPMI    IPMICollector    `toml:"ipmi" json:"ipmi"`
	Redfish RedfishCollector `toml:"redfish" json:"redfish"`
}

type HostCollector struct {
	Enabled  bool     `toml:"enabled" json:"enabled"`
	Interval Duration `toml:"interval" json:"interval"`
	PerCPU   bool     `toml:"per_cpu" json:"per_cpu"`
	// SlowInterval spaces out disk space, process states, CPU frequency,
	// pressure and vmstat (0: 10s). The filters are shell globs; absent
	// lists take the built-in defaults (README.md, "Host collector").
	SlowInterval       Duration `toml:"slow_interval" json:"slow_interval"`
	MountPointsInclude []string `toml:"mount_points_include" json:"mount_points_include"`
	MountPointsExclude []string `toml:"mount_points_exclude" json:"mount_points_exclude"`
	FSTypesExclude     []string `toml:"fs_types_exclude" json:"fs_types_exclude"`
	DevicesInclude     []string `toml:"devices_include" json:"devices_include"`
	DevicesExclude     []string `toml:"devices_exclude" json:"devices_exclude"`
	InterfacesInclude  []string `toml:"interfaces_include" json:"interfaces_include"`
	InterfacesExclude  []string `toml:"interfaces_exclude" json:"interfaces_exclude"`
	// Skip turns parts off: diskio, net, temp, disk, processes, pressure,
	// vmstat, cpufreq.
	Skip []string `toml:"skip" json:"skip"`
	// ProcRoot, SysRoot and RootFS read another machine's /proc, /sys and /
	// (a container watching its host: /host/proc, /host/sys, /host/root).
	ProcRoot string `toml:"proc_root" json:"proc_root"`
	SysRoot  string `toml:"sys_root" json:"sys_root"`
	RootFS   string `toml:"root_fs" json:"root_fs"`
}

type NVMLCollector struct {
	Enabled  bool     `toml:"enabled" json:"enabled"`
	Interval Duration `toml:"interval" json:"interval"`
}

type RAPLCollector struct {
	Enabled   bool     `toml:"enabled" json:"enabled"`
	Interval  Duration `toml:"interval" json:"interval"`
	SysfsRoot string   `toml:"sysfs_root" json:"sysfs_root"`
}

type ASICCollector struct {
	Enabled         bool        `toml:"enabled" json:"enabled"`
	Interval        Duration    `toml:"interval" json:"interval"`
	Timeout         Duration    `toml:"timeout" json:"timeout"`         // per command or HTTP request
	RigTimeout      Duration    `toml:"rig_timeout" json:"rig_timeout"` // per rig, all commands; 0 = 3 × timeout
	Concurrency     int         `toml:"concurrency" json:"concurrency"`
	Rigs            []Rig       `toml:"rigs" json:"rigs"`
	Ranges          []ASICRange `toml:"ranges" json:"ranges"`
	Rescan          Duration    `toml:"rescan" json:"rescan"`                     // how often ranges are scanned for new rigs
	DiscoverTimeout Duration    `toml:"discover_timeout" json:"discover_timeout"` // per address in a scan; 0 = min(1s, timeout)
	User            string      `toml:"user" json:"user"`                         // web API login (Antminer stock web)
	PasswordFile    string      `toml:"password_file" json:"password_file"`
	// Password comes from PERWATT_ASIC_PASSWORD or PasswordFile, never
	// from the config file.
	Password Secret `toml:"-" json:"password,omitempty"`
}

// Rig is one miner. NameplateW is used only when the firmware reports no
// power of its own. Firmware forces the protocol; empty detects it.
type Rig struct {
	Address    string  `toml:"address" json:"address"`
	Name       string  `toml:"name" json:"name"`
	Site       string  `toml:"site" json:"site"`
	Rack       string  `toml:"rack" json:"rack"`
	NameplateW float64 `toml:"nameplate_w" json:"nameplate_w"`
	Firmware   string  `toml:"firmware" json:"firmware"`
}

// Bench schedules benchmarks in the agent and sets CLI defaults.
type Bench struct {
	SHA256 SHA256Bench `toml:"sha256" json:"sha256"`
	GPU    GPUBench    `toml:"gpu" json:"gpu"`
}

type SHA256Bench struct {
	Every    Duration `toml:"every" json:"every"`
	Duration Duration `toml:"duration" json:"duration"`
	Threads  int      `toml:"threads" json:"threads"`
	Kernel   string   `toml:"kernel" json:"kernel"`
}

type GPUBench struct {
	Every       Duration `toml:"every" json:"every"`
	Duration    Duration `toml:"duration" json:"duration"`
	MaxBusyUtil float64  `toml:"max_busy_util_pct" json:"max_busy_util_pct"`
}

// Economics holds the operator's costs and where market data comes from.
type Economics struct {
	PowerPriceUSDPerKWh float64 `toml:"power_price_usd_per_kwh" json:"power_price_usd_per_kwh"`
	MempoolURL          string  `toml:"mempool_url" json:"mempool_url"`
	BlockchainURL       string  `toml:"blockchain_url" json:"blockchain_url"` // fallback source; "" disables it
	// BitcoindURL is the operator's own Bitcoin Core JSON-RPC endpoint, tried
	// first when set; credentials come from BitcoindCookieFile or the
	// PERWATT_BITCOIND_RPC_USER / PERWATT_BITCOIND_RPC_PASSWORD environment.
	BitcoindURL         string   `toml:"bitcoind_url" json:"bitcoind_url"`
	BitcoindCookieFile  string   `toml:"bitcoind_cookie_file" json:"bitcoind_cookie_file"`
	MaxMarketAge        Duration `toml:"max_market_age" json:"max_market_age"`
	CacheFile           string   `toml:"cache_file" json:"cache_file"`
	LeaseRateUSDPerHour float64  `toml:"lease_rate_usd_per_gpu_hour" json:"lease_rate_usd_per_gpu_hour"`
	// LeaseRates prices GPUs by model (USD per GPU-hour): a key matches a
	// GPU whose name contains it, the longest key winning.
	LeaseRates         map[string]float64 `toml:"lease_rates" json:"lease_rates,omitempty"`
	Utilization        float64            `toml:"utilization" json:"utilization"`
	PoolFee            float64            `toml:"pool_fee" json:"pool_fee"`
	Pool               string             `toml:"pool" json:"pool"`
	GPUServerOverheadW float64            `toml:"gpu_server_overhead_w" json:"gpu_server_overhead_w"`
	PUE                float64            `toml:"pue" json:"pue"`
	// Capital appraisal defaults; each has a flag of the same meaning.
	DiscountRate                float64 `toml:"discount_rate" json:"discount_rate"`
	DifficultyGrowthPerRetarget float64 `toml:"difficulty_growth_per_retarget" json:"difficulty_growth_per_retarget"`
	BTCPriceGrowthPerYear       float64 `toml:"btc_price_growth_per_year" json:"btc_price_growth_per_year"`
	DebtShare                   float64 `toml:"debt_share" json:"debt_share"`
	DebtRate                    float64 `toml:"debt_rate" json:"debt_rate"`
	DebtTermYears               int     `toml:"debt_term_years" json:"debt_term_years"`
	HostingUSDPerKWh            float64 `toml:"hosting_usd_per_kwh" json:"hosting_usd_per_kwh"`
}

// Default returns the configuration used when no file is given.
func Default() *Config {
	host, _ := os.Hostname()
	return &Config{
		Agent: Agent{
			Interval:          Duration(10 * time.Second),
			Jitter:            Duration(time.Second),
			CollectTimeout:    Duration(5 * time.Second),
			FlushInterval:     Duration(10 * time.Second),
			BatchSize:         5000,
			ShutdownTimeout:   Duration(10 * time.Second),
			Output:            "stdout",
			SelfMetrics:       true,
			SelfMetricsPeriod: Duration(10 * time.Second),
			RetryMaxBackoff:   Duration(30 * time.Second),
			MemoryLimit:       32 << 20,
			// Appraisal on by default: every device's revenue per watt every
			// 5 minutes; the market comes from its cache between fetches.
			EconomicsInterval: Duration(5 * time.Minute),
		},
		Tags: map[string]string{"host": host},
		Influx: Influx{
			Gzip:    true,
			Timeout: Duration(10 * time.Second),
		},
		Spool: Spool{
			Dir:          "/var/lib/perwatt/spool",
			MaxBytes:     1 << 30,
			SegmentBytes: 16 << 20,
			Sync:         "batch",
			SyncInterval: Duration(time.Second),
			Full:         "drop_oldest",
		},
		Collectors: Collectors{
			Host:    HostCollector{Enabled: true, PerCPU: true},
			NVML:    NVMLCollector{Enabled: true},
			RAPL:    RAPLCollector{Enabled: true, SysfsRoot: "/sys/class/powercap"},
			ASIC:    ASICCollector{Enabled: true, Interval: Duration(30 * time.Second), Timeout: Duration(5 * time.Second), Concurrency: 256, Rescan: Duration(10 * time.Minute), User: "root"},
			IPMI:    IPMICollector{Enabled: true, Device: "/dev/ipmi0", Interface: "lanplus", Timeout: Duration(5 * time.Second)},
			Redfish: RedfishCollector{Auth: "session", Timeout: Duration(10 * time.Second)},
		},
		Prometheus: Prometheus{StaleAfter: Duration(5 * time.Minute)},
		Bench: Bench{
			SHA256: SHA256Bench{Duration: Duration(10 * time.Second), Kernel: "auto"},
			GPU:    GPUBench{Duration: Duration(5 * time.Second), MaxBusyUtil: 5},
		},
		Economics: Economics{
			PowerPriceUSDPerKWh:         0.05,
			MempoolURL:                  "https://mempool.space",
			BlockchainURL:               "https://api.blockchain.info",
			MaxMarketAge:                Duration(2 * time.Hour),
			PUE:                         1.0,
			Utilization:                 0.7,
			PoolFee:                     0.025,
			Pool:                        "fpps",
			DiscountRate:                0.10,
			DifficultyGrowthPerRetarget: 0.01,
		},
		Power:  defaultPower(),
		Advice: defaultAdvice(),
	}
}

// InfluxEnabled reports whether points go to InfluxDB rather than Output.
func (c *Config) InfluxEnabled() bool { return strings.TrimSpace(c.Influx.URL) != "" }

// Load reads path over the defaults and applies secrets from getenv. An
// empty path yields the defaults plus environment.
func Load(path string, getenv func(string) string, opts ...Option) (*Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		if err := decode(cfg, data, path, opts...); err != nil {
			return nil, err
		}
		cfg.Path = path
	}
	if err := cfg.applySecrets(getenv); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Parse decodes and validates data as if read from the file name.
func Parse(data []byte, name string, getenv func(string) string, opts ...Option) (*Config, error) {
	cfg := Default()
	if err := decode(cfg, data, name, opts...); err != nil {
		return nil, err
	}
	cfg.Path = name
	if err := cfg.applySecrets(getenv); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) applySecrets(getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	if err := c.applyPowerSecrets(getenv); err != nil {
		return err
	}
	if err := c.Collectors.ASIC.applySecrets(getenv); err != nil {
		return err
	}
	if err := c.applyBMCSecrets(getenv); err != nil {
		return err
	}
	if tok := getenv("PERWATT_INFLUX_TOKEN"); tok != "" {
		c.Influx.Token = Secret(tok)
		return nil
	}
	if c.Influx.TokenFile != "" {
		b, err := os.ReadFile(c.Influx.TokenFile)
		if err != nil {
			// The path is fine to show; the content never is.
			return fmt.Errorf("config: influx.token_file: %w", err)
		}
		c.Influx.Token = Secret(strings.TrimSpace(string(b)))
	}
	return nil
}
