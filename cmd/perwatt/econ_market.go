package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/market"
)

// marketFlags are shared by econ and its subcommands (persistent flags).
type marketFlags struct {
	fs         *pflag.FlagSet
	offline    bool
	difficulty float64
	btcPrice   float64
	height     int64
	subsidy    float64
	fees       float64
	powerUSD   float64
}

func (f *marketFlags) register(fs *pflag.FlagSet) {
	f.fs = fs
	fs.BoolVar(&f.offline, "offline", false, "use the market snapshot embedded in the binary; no network")
	fs.Float64Var(&f.difficulty, "difficulty", 0, "network difficulty D (overrides market data)")
	fs.Float64Var(&f.btcPrice, "btc-price", 0, "BTC price in USD (overrides market data)")
	fs.Int64Var(&f.height, "height", 0, "block height, for the subsidy (overrides market data)")
	fs.Float64Var(&f.subsidy, "subsidy", 0, "block subsidy in BTC (instead of --height)")
	fs.Float64Var(&f.fees, "fees", 0, "average fees per block in BTC (overrides market data)")
	fs.Float64Var(&f.powerUSD, "power-price", 0, "power price in USD/kWh (default: economics.power_price_usd_per_kwh)")
}

func (f *marketFlags) changed(name string) bool { return f.fs.Changed(name) }

// resolvedMarket is the market in use and a line saying where it came from.
type resolvedMarket struct {
	market economics.Market
	note   string
}

// resolve picks the market data: all four values on the command line, the
// embedded snapshot (--offline), or the live chain with its fallbacks; then
// applies single-value overrides, naming them in the source.
func (f *marketFlags) resolve(a *app) (resolvedMarket, error) {
	if f.changed("height") && f.changed("subsidy") {
		return resolvedMarket{}, usagef("--height and --subsidy both set the subsidy: give one")
	}
	for name, v := range map[string]float64{"difficulty": f.difficulty, "btc-price": f.btcPrice} {
		if f.changed(name) && !(v > 0) {
			return resolvedMarket{}, usagef("--%s %v: must be positive", name, v)
		}
	}
	if f.changed("fees") && f.fees < 0 {
		return resolvedMarket{}, usagef("--fees %v: must not be negative", f.fees)
	}
	if f.changed("subsidy") && (f.subsidy < 0 || f.subsidy > 50) {
		return resolvedMarket{}, usagef("--subsidy %v: must be from 0 to 50 BTC", f.subsidy)
	}
	if f.changed("height") && f.height < 0 {
		return resolvedMarket{}, usagef("--height %d: must not be negative", f.height)
	}
	now := time.Now()
	var m economics.Market
	var note string
	allGiven := f.changed("difficulty") && f.changed("btc-price") && f.changed("fees") && (f.changed("height") || f.changed("subsidy"))
	switch {
	case allGiven:
		m = economics.Market{Source: "command line", AsOf: now}
		note = "market data: command line (--difficulty, --btc-price, --height/--subsidy, --fees)"
	case f.offline:
		s := market.Offline()
		m = s.Market()
		note = market.Resolved{Snapshot: s, Origin: market.OriginOffline}.Note(now)
	default:
		cfg := a.cfg.Economics
		cache := &market.Cache{Path: cfg.CacheFile}
		if cache.Path == "" {
			if dir, err := os.UserCacheDir(); err == nil {
				cache.Path = filepath.Join(dir, "perwatt", "market.json")
			}
		}
		sources, err := marketSources(a)
		if err != nil {
			return resolvedMarket{}, err
		}
		chain := market.Chain{Sources: sources, Cache: cache, MaxAge: cfg.MaxMarketAge.D(),
			Logger: a.logger.With("component", "market")}
		r := chain.Resolve(a.ctx)
		for _, err := range r.Skipped {
			a.logger.Warn("market data source skipped", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		m, note = r.Snapshot.Market(), r.Note(now)
	}
	var over []string
	if f.changed("difficulty") {
		m.Difficulty = f.difficulty
		over = append(over, "--difficulty")
	}
	if f.changed("btc-price") {
		m.BTCPriceUSD = f.btcPrice
		over = append(over, "--btc-price")
	}
	if f.changed("height") {
		m.Height, m.SubsidyBTC = f.height, economics.SubsidyBTC(f.height)
		over = append(over, "--height")
	}
	if f.changed("subsidy") {
		m.Height, m.SubsidyBTC = 0, f.subsidy
		over = append(over, "--subsidy")
	}
	if f.changed("fees") {
		m.FeesBTCPerBlock = f.fees
		over = append(over, "--fees")
	}
	if len(over) > 0 && !allGiven {
		m.Source += " with " + strings.Join(over, ", ") + " from the command line"
		note += "; overridden: " + strings.Join(over, ", ")
	}
	if err := m.Validate(); err != nil {
		return resolvedMarket{}, fmt.Errorf("market data from %s: %w", m.Source, err)
	}
	return resolvedMarket{market: m, note: note}, nil
}

// powerPrice is --power-price or the configured price.
func (f *marketFlags) powerPrice(a *app) (float64, error) {
	if !f.changed("power-price") {
		return a.cfg.Economics.PowerPriceUSDPerKWh, nil
	}
	if !(f.powerUSD >= 0) || f.powerUSD > 10 {
		return 0, usagef("--power-price %v: want USD per kWh from 0 to 10 (0.05 is 5 cents)", f.powerUSD)
	}
	return f.powerUSD, nil
}

// marketSources lists the configured sources in order: the operator's own
// node (priced by the first web source), mempool.space, blockchain.info.
func marketSources(a *app) ([]market.Source, error) {
	cfg := a.cfg.Economics
	var web []market.Source
	var price market.PriceSource
	if cfg.MempoolURL != "" {
		mp := market.Mempool{BaseURL: cfg.MempoolURL}
		web, price = append(web, mp), mp
	}
	if cfg.BlockchainURL != "" {
		bc := market.Blockchain{BaseURL: cfg.BlockchainURL, Now: time.Now}
		web = append(web, bc)
		if price == nil {
			price = bc
		}
	}
	if cfg.BitcoindURL == "" {
		return web, nil
	}
	user, pass := a.getenv("PERWATT_BITCOIND_RPC_USER"), a.getenv("PERWATT_BITCOIND_RPC_PASSWORD")
	if cfg.BitcoindCookieFile != "" {
		b, err := os.ReadFile(cfg.BitcoindCookieFile)
		if err != nil {
			return nil, fmt.Errorf("economics.bitcoind_cookie_file: %w", err)
		}
		u, p, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
		if !ok {
			return nil, fmt.Errorf("economics.bitcoind_cookie_file %s: want user:password as bitcoind writes it", cfg.BitcoindCookieFile)
		}
		user, pass = u, p
	}
	if price == nil {
		a.logger.Warn("economics.bitcoind_url is set but no web source gives a BTC price; the node is skipped")
		return web, nil
	}
	return append([]market.Source{market.Bitcoind{URL: cfg.BitcoindURL, User: user, Password: pass, Price: price}}, web...), nil
}

// benchMarket is the market a benchmark's --market flag names: "offline"
// (the embedded snapshot) or "live" (the same chain as `perwatt econ`: live
// sources, disk cache, embedded snapshot).
func benchMarket(a *app, mode string, now time.Time) (resolvedMarket, error) {
	if mode == "live" {
		mf := &marketFlags{}
		mf.register(pflag.NewFlagSet("market", pflag.ContinueOnError))
		return mf.resolve(a)
	}
	s := market.Offline()
	return resolvedMarket{market: s.Market(), note: market.Resolved{Snapshot: s, Origin: market.OriginOffline}.Note(now)}, nil
}
