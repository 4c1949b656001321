package market

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// Field-origin tokens: where one field of a snapshot came from.
const (
	FromBitcoind   = "bitcoind"
	FromMempool    = "mempool"
	FromBlockchain = "blockchain"
	FromOverride   = "override"
	FromOffline    = "offline"
)

// Via says which rung of the fallback chain answered.
type Via string

const (
	ViaLive      Via = "live"
	ViaCache     Via = "cache"
	ViaOffline   Via = "offline"
	ViaOverrides Via = "overrides"
)

// Defaults for Options left zero.
const (
	DefaultMaxAge   = 2 * time.Hour
	DefaultFreshFor = 15 * time.Minute
	DefaultCooldown = 10 * time.Minute
)

// Source is one place market data comes from. Fetch returns every part it
// could read (a field's origin token set in Snapshot.Origins means it was
// read) and an error naming each part it could not.
type Source interface {
	Name() string
	Fetch(ctx context.Context) (Snapshot, error)
}

// PriceSource is a Source that can give the price alone, in fewer requests
// than a full Fetch.
type PriceSource interface {
	PriceUSD(ctx context.Context) (float64, time.Time, error)
}

// Overrides replace single fields; nil leaves the field to the sources.
// With difficulty, price, fees and height (or subsidy) all given nothing is
// fetched.
type Overrides struct {
	Difficulty      *float64
	BTCPriceUSD     *float64
	FeesBTCPerBlock *float64
	Height          *int64   // the chain tip; the subsidy is that of Height+1
	SubsidyBTC      *float64 // instead of Height
	// By names where overrides come from in output ("the command line").
	By string
}

// OverrideError is an override out of range; Field is the Snapshot JSON name
// (difficulty, btc_price_usd, fees_btc_per_block, height, subsidy_btc).
type OverrideError struct {
	Field  string
	Value  any
	Reason string
}

func (e *OverrideError) Error() string {
	return fmt.Sprintf("market override %s = %v: %s", e.Field, e.Value, e.Reason)
}

func (o Overrides) validate() error {
	var errs []error
	bad := func(f string, v any, why string) {
		errs = append(errs, &OverrideError{Field: f, Value: v, Reason: why})
	}
	if v := o.Difficulty; v != nil && (!(*v > 0) || math.IsInf(*v, 0)) {
		bad("difficulty", *v, "must be positive")
	}
	if v := o.BTCPriceUSD; v != nil && (!(*v > 0) || math.IsInf(*v, 0)) {
		bad("btc_price_usd", *v, "must be positive")
	}
	if v := o.FeesBTCPerBlock; v != nil && (!(*v >= 0) || *v > 50) {
		bad("fees_btc_per_block", *v, "must be from 0 to 50 BTC")
	}
	if v := o.SubsidyBTC; v != nil && (!(*v >= 0) || *v > 50) {
		bad("subsidy_btc", *v, "must be from 0 to 50 BTC")
	}
	if v := o.Height; v != nil && *v < 0 {
		bad("height", *v, "must not be negative")
	}
	if o.Height != nil && o.SubsidyBTC != nil {
		bad("height", *o.Height, "and subsidy_btc both set the subsidy: give one")
	}
	return errors.Join(errs...)
}

func (o Overrides) complete() bool {
	return o.Difficulty != nil && o.BTCPriceUSD != nil && o.FeesBTCPerBlock != nil && (o.Height != nil || o.SubsidyBTC != nil)
}

// Options configure a Resolver. An empty URL leaves that source out.
type Options struct {
	MempoolURL    string // e.g. https://mempool.space or a self-hosted mempool
	BlockchainURL string // e.g. https://api.blockchain.info
	BitcoindURL   string // the operator's own Bitcoin Core JSON-RPC, asked first
	// Bitcoin Core credentials: the cookie file (user:password, as bitcoind
	// writes it) wins over User/Password.
	BitcoindCookieFile string
	BitcoindUser       string
	BitcoindPassword   string
	// CacheFile keeps the last good snapshot and hosts' cooldowns; "" keeps
	// nothing (see DefaultCacheFile).
	CacheFile string
	// MaxAge refuses live data whose tip or price is older (default 2h).
	MaxAge time.Duration
	// FreshFor uses a cached snapshot fetched less than this long ago without
	// asking anyone (default 15m; negative: always fetch).
	FreshFor time.Duration
	// Cooldown is how long a host that answered 429 or 5xx without
	// Retry-After is left alone (default 10m).
	Cooldown time.Duration
	Offline  bool // the embedded snapshot, no network
	// NoEmbedded refuses the embedded snapshot as the last fallback when
	// sources are configured: a daemon pricing a live fleet with months-old
	// figures would stream plausible, wrong money. Resolve then returns
	// ErrNoMarket. Without any source the embedded snapshot is still used
	// (an air-gapped site chose it).
	NoEmbedded bool
	Overrides  Overrides
	Client     *http.Client     // nil: one with DefaultTimeout
	Now        func() time.Time // nil: time.Now
}

// Resolver is the one market-data chain the CLI and the agent share: the
// operator's node, mempool.space, blockchain.info combined field by field,
// then the cache, then the embedded snapshot, with overrides on top.
type Resolver struct {
	opts    Options
	sources []namedSource
	log     *slog.Logger
}

type namedSource struct {
	Source
	host  string // the cooldown key
	price PriceSource
}

// NewResolver checks opts and reads the cookie file; errors name the input.
func NewResolver(opts Options, logger *slog.Logger) (*Resolver, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.FreshFor == 0 {
		opts.FreshFor = DefaultFreshFor
	}
	if opts.Cooldown <= 0 {
		opts.Cooldown = DefaultCooldown
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	errs := []error{opts.Overrides.validate()}
	r := &Resolver{opts: opts, log: logger}
	hostOf := func(what, raw string) string {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("%s %q: want an http(s) URL", what, redact(raw)))
			return ""
		}
		if u.User != nil {
			errs = append(errs, fmt.Errorf("%s %q: must not carry credentials", what, redact(raw)))
		}
		return u.Host
	}
	if opts.Offline {
		// No source is asked: a cookie file that cannot be read does not matter.
		opts.BitcoindURL, opts.MempoolURL, opts.BlockchainURL = "", "", ""
		r.opts = opts
	}
	if opts.BitcoindURL != "" {
		user, pass := opts.BitcoindUser, opts.BitcoindPassword
		if opts.BitcoindCookieFile != "" {
			b, err := os.ReadFile(opts.BitcoindCookieFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("bitcoind cookie file: %w", err))
			} else if u, p, ok := strings.Cut(strings.TrimSpace(string(b)), ":"); ok {
				user, pass = u, p
			} else {
				errs = append(errs, fmt.Errorf("bitcoind cookie file %s: want user:password as bitcoind writes it", opts.BitcoindCookieFile))
			}
		}
		host := hostOf("bitcoind URL", opts.BitcoindURL)
		r.sources = append(r.sources, namedSource{Source: Bitcoind{URL: opts.BitcoindURL, User: user, Password: pass, Client: opts.Client}, host: host})
	}
	if opts.MempoolURL != "" {
		mp := Mempool{BaseURL: opts.MempoolURL, Client: opts.Client}
		r.sources = append(r.sources, namedSource{Source: mp, host: hostOf("mempool URL", opts.MempoolURL), price: mp})
	}
	if opts.BlockchainURL != "" {
		r.sources = append(r.sources, namedSource{Source: Blockchain{BaseURL: opts.BlockchainURL, Client: opts.Client},
			host: hostOf("blockchain.info URL", opts.BlockchainURL)})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}

// Resolved is the market in use and the account of how it was found.
type Resolved struct {
	// Market is what the economics model takes, overrides applied.
	Market economics.Market
	// Snapshot is what the sources (or cache, or embedded snapshot) gave,
	// before overrides.
	Snapshot Snapshot
	Via      Via
	// Age is the age of the older of tip and price when resolved.
	Age time.Duration
	// Note is one line for output: rung, sources per field, ages, failures.
	Note string
	// Skipped holds one error per source (or cache) that was tried and failed.
	Skipped []error
}

// Resolve finds the market. It fails only when an override makes the result
// unusable; without network the embedded snapshot answers.
func (r *Resolver) Resolve(ctx context.Context) (Resolved, error) {
	now := r.opts.Now()
	o := r.opts.Overrides
	switch {
	case o.complete():
		by := nonEmpty(o.By, "overrides")
		return r.finish(Snapshot{Source: by, AsOf: now, TipTime: now, PriceTime: now}, ViaOverrides, nil, now, "")
	case r.opts.Offline:
		return r.finish(Offline(), ViaOffline, nil, now, "")
	}
	cache := Cache{Path: r.opts.CacheFile}
	var st CacheState
	var skipped []error
	if cache.Path != "" {
		var err error
		if st, err = cache.Load(); err != nil && !errors.Is(err, os.ErrNotExist) { // no cache yet is normal
			skipped = append(skipped, err)
		}
	}
	if s := st.Snapshot; s != nil && r.opts.FreshFor > 0 && !s.FetchedAt.After(now) && now.Sub(s.FetchedAt) < r.opts.FreshFor &&
		s.Validate(now, r.opts.MaxAge) == nil {
		return r.finish(*s, ViaCache, skipped, now, fmt.Sprintf("fetched %s ago, fresh", economics.FormatAge(now.Sub(s.FetchedAt))))
	}
	if st.Cooldown == nil {
		st.Cooldown = map[string]time.Time{}
	}
	s, ok, errs := r.fetch(ctx, now, st.Cooldown)
	skipped = append(skipped, errs...)
	if ok {
		s.FetchedAt = now
		st.Snapshot = &s
	}
	if cache.Path != "" && (ok || len(st.Cooldown) > 0) {
		if err := cache.Save(st, now); err != nil {
			skipped = append(skipped, err) // the numbers are still good
		}
	}
	if ok {
		return r.finish(s, ViaLive, skipped, now, "")
	}
	if c := st.Snapshot; c != nil {
		// Age is stated, not refused: it beats the embedded snapshot.
		err := c.Validate(now, 0)
		if err == nil {
			return r.finish(*c, ViaCache, skipped, now, "")
		}
		skipped = append(skipped, fmt.Errorf("market cache %s: %w", cache.Path, err))
	}
	if r.opts.NoEmbedded && len(r.sources) > 0 {
		last := errors.New("none answered")
		if len(skipped) > 0 {
			last = skipped[len(skipped)-1]
		}
		return Resolved{Skipped: skipped}, fmt.Errorf("%w: no source answered and there is no cached snapshot (%d skipped; the last: %w)",
			ErrNoMarket, len(skipped), last)
	}
	return r.finish(Offline(), ViaOffline, skipped, now, "")
}

// ErrNoMarket is Resolve's answer with NoEmbedded when nothing answered.
var ErrNoMarket = errors.New("market data unavailable")

// finish applies the overrides and writes the note.
func (r *Resolver) finish(s Snapshot, via Via, skipped []error, now time.Time, detail string) (Resolved, error) {
	src := s.Source
	if via == ViaCache {
		src = "cache of " + s.Source
	}
	m := s.Market()
	m.Source = src
	o := r.opts.Overrides
	var over []string
	set := func(name string, origin *string) {
		*origin = FromOverride
		over = append(over, name)
	}
	if o.Difficulty != nil {
		m.Difficulty = *o.Difficulty
		set("difficulty", &m.Origins.Difficulty)
	}
	if o.BTCPriceUSD != nil {
		m.BTCPriceUSD = *o.BTCPriceUSD
		set("btc_price_usd", &m.Origins.BTCPriceUSD)
	}
	if o.Height != nil {
		m.Height, m.SubsidyBTC = *o.Height, economics.SubsidyBTC(*o.Height+1)
		set("height", &m.Origins.Height)
		m.Origins.SubsidyBTC = FromOverride
	}
	if o.SubsidyBTC != nil {
		m.Height, m.SubsidyBTC = 0, *o.SubsidyBTC
		set("subsidy_btc", &m.Origins.SubsidyBTC)
		m.Origins.Height = ""
	}
	if o.FeesBTCPerBlock != nil {
		m.FeesBTCPerBlock = *o.FeesBTCPerBlock
		set("fees_btc_per_block", &m.Origins.FeesBTCPerBlock)
	}
	if m.Origins.SubsidyBTC == "" {
		m.Origins.SubsidyBTC = m.Origins.Height // it follows from the height
	}
	by := nonEmpty(o.By, "overrides")
	if len(over) > 0 && via != ViaOverrides {
		m.Source += " with " + strings.Join(over, ", ") + " from " + by
	}
	age := now.Sub(m.AsOf)
	note := fmt.Sprintf("market data: %s, %s, as of %s (%s old)", via, m.Source, m.AsOf.UTC().Format(time.RFC3339), economics.FormatAge(age))
	if detail != "" {
		note += "; " + detail
	}
	if via != ViaOverrides && via != ViaOffline {
		note += "; " + originSummary(m.Origins)
		if !s.TipTime.IsZero() && !s.PriceTime.IsZero() {
			note += fmt.Sprintf("; tip %s old, price %s old", economics.FormatAge(now.Sub(s.TipTime)), economics.FormatAge(now.Sub(s.PriceTime)))
		}
	}
	if len(over) > 0 && via != ViaOverrides {
		note += "; overridden: " + strings.Join(over, ", ")
	}
	if len(skipped) > 0 {
		note += fmt.Sprintf("; %d source(s) failed", len(skipped))
	}
	res := Resolved{Market: m, Snapshot: s, Via: via, Age: age, Note: note, Skipped: skipped}
	if err := m.Validate(); err != nil {
		return res, fmt.Errorf("market data from %s: %w", m.Source, err)
	}
	return res, nil
}

// originSummary is "difficulty, height from bitcoind; price from mempool; …".
func originSummary(o economics.MarketOrigins) string {
	var order []string
	by := map[string][]string{}
	for _, f := range [][2]string{{"difficulty", o.Difficulty}, {"height", o.Height}, {"fees", o.FeesBTCPerBlock}, {"price", o.BTCPriceUSD}} {
		if f[1] == "" {
			continue
		}
		if by[f[1]] == nil {
			order = append(order, f[1])
		}
		by[f[1]] = append(by[f[1]], f[0])
	}
	parts := make([]string, len(order))
	for i, src := range order {
		parts[i] = strings.Join(by[src], ", ") + " from " + src
	}
	return strings.Join(parts, "; ")
}
