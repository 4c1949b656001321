package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/market"
	"github.com/perwatt/perwatt/internal/config"
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

// flagNames maps the resolver's field names to the flags that set them.
var flagNames = map[string]string{"difficulty": "--difficulty", "btc_price_usd": "--btc-price",
	"fees_btc_per_block": "--fees", "height": "--height", "subsidy_btc": "--subsidy"}

// overrides turns the flags given into market overrides.
func (f *marketFlags) overrides() market.Overrides {
	o := market.Overrides{By: "the command line"}
	if f.changed("difficulty") {
		o.Difficulty = &f.difficulty
	}
	if f.changed("btc-price") {
		o.BTCPriceUSD = &f.btcPrice
	}
	if f.changed("fees") {
		o.FeesBTCPerBlock = &f.fees
	}
	if f.changed("height") {
		o.Height = &f.height
	}
	if f.changed("subsidy") {
		o.SubsidyBTC = &f.subsidy
	}
	return o
}

// resolve maps flags and configuration onto the shared market resolver:
// --offline, single-value overrides, or all four values on the command line.
func (f *marketFlags) resolve(a *app) (resolvedMarket, error) {
	if f.changed("height") && f.changed("subsidy") {
		return resolvedMarket{}, usagef("--height and --subsidy both set the subsidy: give one")
	}
	res, err := resolveMarket(a.ctx, a, a.cfg, f.overrides(), f.offline, a.logger.With("component", "market"))
	if err != nil {
		if oe := (*market.OverrideError)(nil); errors.As(err, &oe) {
			return resolvedMarket{}, usagef("%s %v: %s", flagNames[oe.Field], oe.Value, oe.Reason)
		}
		return resolvedMarket{}, err
	}
	for _, err := range res.Skipped {
		a.logger.Warn("market data source skipped", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return resolvedMarket{market: res.Market, note: res.Note}, nil
}

// marketOptions maps the configuration onto the resolver's options; the
// agent and every econ command use the same.
func marketOptions(a *app, cfg *config.Config) market.Options {
	e := cfg.Economics
	cache := e.CacheFile
	if cache == "" {
		cache = market.DefaultCacheFile(a.getenv)
	}
	return market.Options{MempoolURL: e.MempoolURL, BlockchainURL: e.BlockchainURL, BitcoindURL: e.BitcoindURL,
		BitcoindCookieFile: e.BitcoindCookieFile,
		BitcoindUser:       a.getenv("PERWATT_BITCOIND_RPC_USER"), BitcoindPassword: a.getenv("PERWATT_BITCOIND_RPC_PASSWORD"),
		CacheFile: cache, MaxAge: e.MaxMarketAge.D()}
}

// resolveMarket resolves the market once with cfg's sources.
func resolveMarket(ctx context.Context, a *app, cfg *config.Config, o market.Overrides, offline bool, log *slog.Logger) (market.Resolved, error) {
	opts := marketOptions(a, cfg)
	opts.Overrides, opts.Offline = o, offline
	r, err := market.NewResolver(opts, log)
	if err != nil {
		return market.Resolved{}, fmt.Errorf("economics: %w", err)
	}
	return r.Resolve(ctx)
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

// benchMarket is the market a benchmark's --market flag names: "offline"
// (the embedded snapshot) or "live" (the same chain as `perwatt econ`: live
// sources, disk cache, embedded snapshot).
func benchMarket(a *app, mode string, _ time.Time) (resolvedMarket, error) {
	if mode == "live" {
		mf := &marketFlags{}
		mf.register(pflag.NewFlagSet("market", pflag.ContinueOnError))
		return mf.resolve(a)
	}
	mf := &marketFlags{}
	mf.register(pflag.NewFlagSet("market", pflag.ContinueOnError))
	mf.offline = true
	return mf.resolve(a)
}
