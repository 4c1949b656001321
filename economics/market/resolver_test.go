package market

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clock is a settable fake time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newResolver(t *testing.T, o Options) *Resolver {
	t.Helper()
	r, err := NewResolver(o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func resolve(t *testing.T, r *Resolver) Resolved {
	t.Helper()
	res, err := r.Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func cookie(t *testing.T) string {
	p := filepath.Join(t.TempDir(), ".cookie")
	os.WriteFile(p, []byte("__cookie__:s3cret\n"), 0o600)
	return p
}

// Defect 6 (last part): the node's chain and fees are kept when its price
// source fails; the price comes from the next source. The mempool instance is
// asked for the price alone.
func TestResolverCombinesFieldByField(t *testing.T) {
	n := fakeNode(t, "bitcoind_getblockchaininfo_main.json", "")
	routes := mempoolRoutes(t)
	routes["/api/v1/prices"] = reply{status: 502, body: fixture(t, "html_error.html")}
	mp, bc := fakeAPI(t, routes), fakeAPI(t, blockchainRoutes(t))
	clk := &clock{fixtureTime.Add(10 * time.Minute)}
	r := newResolver(t, Options{BitcoindURL: n.URL, BitcoindCookieFile: cookie(t), MempoolURL: mp.URL, BlockchainURL: bc.URL, Now: clk.now})
	res := resolve(t, r)
	m := res.Market
	if res.Via != ViaLive || m.Height != 891144 || m.BTCPriceUSD != 83512.4 || m.Source != "bitcoind + blockchain.info" {
		t.Fatalf("got %s %+v", res.Via, m)
	}
	if o := m.Origins; o.Difficulty != FromBitcoind || o.Height != FromBitcoind || o.SubsidyBTC != FromBitcoind ||
		o.FeesBTCPerBlock != FromBitcoind || o.BTCPriceUSD != FromBlockchain {
		t.Errorf("origins %+v", o)
	}
	if !strings.Contains(res.Note, "difficulty, height, fees from bitcoind; price from blockchain") ||
		!strings.Contains(res.Note, "tip 10m0s old, price 10m0s old") || !strings.Contains(res.Note, "1 source(s) failed") {
		t.Errorf("note %q", res.Note)
	}
	if mp.total() != 1 || mp.hits["/api/v1/prices"] != 1 {
		t.Errorf("mempool asked %v, want the price alone", mp.hits)
	}
}

// Defect 1, end to end: a syncing or testnet node is passed over and the
// chain comes from the next source, so hashprice stays mainnet's.
func TestResolverPassesOverNodeNotSyncedOnMainnet(t *testing.T) {
	for _, f := range []string{"bitcoind_getblockchaininfo_syncing.json", "bitcoind_getblockchaininfo_testnet.json"} {
		n := fakeNode(t, f, "")
		mp := fakeAPI(t, mempoolRoutes(t))
		r := newResolver(t, Options{BitcoindURL: n.URL, BitcoindUser: "__cookie__", BitcoindPassword: "s3cret", MempoolURL: mp.URL,
			Now: func() time.Time { return fixtureTime.Add(time.Minute) }})
		res := resolve(t, r)
		if res.Market.Height != 891144 || res.Market.SubsidyBTC != 3.125 || res.Market.Origins.Difficulty != FromMempool {
			t.Errorf("%s: used the node: %+v", f, res.Market)
		}
		// $43.5/PH/day at the fixtures' difficulty and price (the syncing node gave $5.66M).
		if hp := res.Market.HashpriceUSDPerPHDay(); hp < 40 || hp > 50 {
			t.Errorf("%s: hashprice %v", f, hp)
		}
		if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Error(), "bitcoind") {
			t.Errorf("%s: skipped %v", f, res.Skipped)
		}
	}
}

// Defect 2, end to end: a mempool without a price provider still gives the
// chain; the price comes from blockchain.info.
func TestResolverPriceSentinelFallsThrough(t *testing.T) {
	routes := mempoolRoutes(t)
	routes["/api/v1/prices"] = reply{body: fixture(t, "mempool_prices_no_provider.json")}
	mp, bc := fakeAPI(t, routes), fakeAPI(t, blockchainRoutes(t))
	r := newResolver(t, Options{MempoolURL: mp.URL, BlockchainURL: bc.URL, Now: func() time.Time { return fixtureTime.Add(time.Minute) }})
	res := resolve(t, r)
	if res.Market.BTCPriceUSD != 83512.4 || res.Market.Origins.BTCPriceUSD != FromBlockchain || res.Market.Origins.Difficulty != FromMempool ||
		res.Market.AsOf.Year() != 2025 {
		t.Fatalf("got %+v", res.Market)
	}
	if len(res.Skipped) != 1 || !errors.Is(res.Skipped[0], ErrNotProvided) || !strings.Contains(res.Skipped[0].Error(), "no price provider") {
		t.Errorf("skipped %v", res.Skipped)
	}
}

// Defect 6: a 429 puts the host in a cooldown kept in the cache file, for
// its Retry-After; the next resolve does not ask it; once the cooldown is
// over it is asked again and answers.
func TestResolverBacksOffAndComesBack(t *testing.T) {
	routes := mempoolRoutes(t)
	limited := reply{status: 429, body: fixture(t, "cloudflare_429.html"), header: map[string]string{"Retry-After": "120"}}
	routes["/api/v1/mining/hashrate/3d"] = limited
	mp, bc := fakeAPI(t, routes), fakeAPI(t, blockchainRoutes(t))
	cache := filepath.Join(t.TempDir(), "market.json")
	clk := &clock{fixtureTime.Add(time.Minute)}
	opts := Options{MempoolURL: mp.URL, BlockchainURL: bc.URL, CacheFile: cache, FreshFor: -1, Now: clk.now}

	res := resolve(t, newResolver(t, opts))
	if res.Via != ViaLive || res.Market.Origins.Difficulty != FromBlockchain || mp.total() != 1 {
		t.Fatalf("got %s from %s, mempool asked %d times", res.Via, res.Market.Source, mp.total())
	}
	st, err := Cache{Path: cache}.Load()
	if err != nil || len(st.Cooldown) != 1 {
		t.Fatalf("cooldown not kept: %+v %v", st, err)
	}

	// A new resolver (the next run) a minute later: mempool is not asked.
	clk.t = clk.t.Add(time.Minute)
	res = resolve(t, newResolver(t, opts))
	if mp.total() != 1 || len(res.Skipped) != 1 || !errors.Is(res.Skipped[0], ErrCoolingDown) {
		t.Fatalf("mempool asked %d times during its cooldown; skipped %v", mp.total(), res.Skipped)
	}

	// The limit is lifted and the cooldown over: mempool answers again.
	mp.set("/api/v1/mining/hashrate/3d", reply{body: fixture(t, "mempool_hashrate_3d.json")})
	clk.t = clk.t.Add(90 * time.Second)
	res = resolve(t, newResolver(t, opts))
	if res.Market.Origins.Difficulty != FromMempool || len(res.Skipped) != 0 {
		t.Fatalf("did not come back: %+v, skipped %v", res.Market.Origins, res.Skipped)
	}
	if st, _ := (Cache{Path: cache}).Load(); len(st.Cooldown) != 0 {
		t.Errorf("spent cooldown kept: %v", st.Cooldown)
	}
}

// A 5xx without Retry-After is left alone for Options.Cooldown.
func TestResolverDefaultCooldown(t *testing.T) {
	bc := fakeAPI(t, map[string]reply{"/stats": {status: 503, body: "upstream unavailable"}})
	cache := filepath.Join(t.TempDir(), "market.json")
	clk := &clock{fixtureTime}
	opts := Options{BlockchainURL: bc.URL, CacheFile: cache, Cooldown: 5 * time.Minute, Now: clk.now}
	for _, step := range []time.Duration{0, 4 * time.Minute, 2 * time.Minute} {
		clk.t = clk.t.Add(step)
		if res := resolve(t, newResolver(t, opts)); res.Via != ViaOffline {
			t.Fatalf("got %s", res.Via)
		}
	}
	if bc.total() != 2 { // at 0 and at 6 minutes, not at 4
		t.Errorf("%d requests, want 2", bc.total())
	}
}

// Defect 8: a snapshot fetched under FreshFor ago is used without asking
// anyone; after that it is fetched again.
func TestResolverFreshCacheIsNotRefetched(t *testing.T) {
	mp := fakeAPI(t, mempoolRoutes(t))
	clk := &clock{fixtureTime.Add(time.Minute)}
	opts := Options{MempoolURL: mp.URL, CacheFile: filepath.Join(t.TempDir(), "market.json"), Now: clk.now}
	resolve(t, newResolver(t, opts))
	if mp.total() != 4 {
		t.Fatalf("%d requests", mp.total())
	}
	clk.t = clk.t.Add(14 * time.Minute)
	res := resolve(t, newResolver(t, opts))
	if res.Via != ViaCache || mp.total() != 4 || !strings.Contains(res.Note, "fetched 14m0s ago, fresh") || res.Market.Origins.Difficulty != FromMempool {
		t.Fatalf("got %s (%q) after %d requests", res.Via, res.Note, mp.total())
	}
	clk.t = clk.t.Add(2 * time.Minute)
	if res := resolve(t, newResolver(t, opts)); res.Via != ViaLive || mp.total() != 8 {
		t.Fatalf("got %s after %d requests", res.Via, mp.total())
	}
}

func TestResolverFallsBack(t *testing.T) {
	dead := fakeAPI(t, map[string]reply{})
	bc := fakeAPI(t, blockchainRoutes(t))
	cache := filepath.Join(t.TempDir(), "sub", "market.json")
	clk := &clock{fixtureTime.Add(10 * time.Minute)}
	res := resolve(t, newResolver(t, Options{MempoolURL: dead.URL, BlockchainURL: bc.URL, CacheFile: cache, Now: clk.now}))
	if res.Via != ViaLive || res.Market.Source != "blockchain.info" || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Error(), "mempool.space") {
		t.Fatalf("got %s from %s, skipped %v", res.Via, res.Market.Source, res.Skipped)
	}

	// Everything down a day later: the cache (stale for live use) is used, with its age.
	clk.t = clk.t.Add(24 * time.Hour)
	res = resolve(t, newResolver(t, Options{BlockchainURL: dead.URL, CacheFile: cache, Now: clk.now}))
	if res.Via != ViaCache || res.Market.Source != "cache of blockchain.info" || res.Market.BTCPriceUSD != 83512.4 ||
		!strings.Contains(res.Note, "24.2 hours old") || res.Age != 24*time.Hour+10*time.Minute {
		t.Fatalf("got %s %+v, note %q", res.Via, res.Market, res.Note)
	}

	// No cache either: the embedded snapshot, saying so.
	os.Remove(cache)
	res = resolve(t, newResolver(t, Options{BlockchainURL: dead.URL, CacheFile: cache, Now: clk.now}))
	if res.Via != ViaOffline || res.Snapshot.Source != Offline().Source {
		t.Fatalf("got %s %+v", res.Via, res.Snapshot)
	}
}

func TestResolverRefusesStaleLiveData(t *testing.T) {
	mp := fakeAPI(t, mempoolRoutes(t))
	res := resolve(t, newResolver(t, Options{MempoolURL: mp.URL, MaxAge: 2 * time.Hour, Now: func() time.Time { return fixtureTime.Add(3 * time.Hour) }}))
	if res.Via != ViaOffline || len(res.Skipped) != 2 || !errors.Is(res.Skipped[0], ErrStale) || !errors.Is(res.Skipped[1], ErrStale) {
		t.Fatalf("stale live data used: %s, %v", res.Via, res.Skipped)
	}
}

func TestResolverCorruptAndLegacyCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "market.json")
	os.WriteFile(path, []byte("{not json"), 0o644)
	res := resolve(t, newResolver(t, Options{CacheFile: path}))
	if res.Via != ViaOffline || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Error(), "corrupt") {
		t.Fatalf("got %s, %v", res.Via, res.Skipped)
	}
	// A bare snapshot, as written before cooldowns were kept.
	os.WriteFile(path, []byte(`{"source":"mempool.space","as_of":"2025-04-06T00:00:00Z","height":891144,"difficulty":1.2e14,"btc_price_usd":83500,"fees_btc_per_block":0.025}`), 0o644)
	res = resolve(t, newResolver(t, Options{CacheFile: path}))
	if res.Via != ViaCache || res.Market.BTCPriceUSD != 83500 {
		t.Fatalf("legacy cache not read: %s %+v %v", res.Via, res.Market, res.Skipped)
	}
}

func TestResolverOverrides(t *testing.T) {
	mp := fakeAPI(t, mempoolRoutes(t))
	f := func(v float64) *float64 { return &v }
	h := int64(839999)
	clk := func() time.Time { return fixtureTime.Add(time.Minute) }

	// All given: nothing is fetched.
	all := Overrides{Difficulty: f(1e14), BTCPriceUSD: f(1e5), FeesBTCPerBlock: f(0.02), Height: &h, By: "the command line"}
	res := resolve(t, newResolver(t, Options{MempoolURL: mp.URL, Overrides: all, Now: clk}))
	if res.Via != ViaOverrides || res.Market.Source != "the command line" || res.Market.SubsidyBTC != 3.125 || mp.total() != 0 {
		t.Fatalf("got %s %+v after %d requests", res.Via, res.Market, mp.total())
	}

	// One given: on top of the source, named.
	res = resolve(t, newResolver(t, Options{MempoolURL: mp.URL, Overrides: Overrides{BTCPriceUSD: f(1e5), By: "the command line"}, Now: clk}))
	if res.Market.BTCPriceUSD != 1e5 || res.Market.Origins.BTCPriceUSD != FromOverride ||
		res.Market.Source != "mempool.space with btc_price_usd from the command line" || !strings.Contains(res.Note, "overridden: btc_price_usd") {
		t.Fatalf("got %+v, note %q", res.Market, res.Note)
	}

	// Out of range: an error naming the field.
	_, err := NewResolver(Options{Overrides: Overrides{BTCPriceUSD: f(0), FeesBTCPerBlock: f(-1)}}, nil)
	var oe *OverrideError
	if !errors.As(err, &oe) || oe.Field != "btc_price_usd" || !strings.Contains(err.Error(), "fees_btc_per_block = -1") {
		t.Fatalf("err %v", err)
	}
}

func TestNewResolverNamesBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "cookie")
	os.WriteFile(bad, []byte("no-colon"), 0o600)
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{BitcoindURL: "http://127.0.0.1:8332", BitcoindCookieFile: bad}, "bitcoind cookie file " + bad + ": want user:password"},
		{Options{BitcoindURL: "http://127.0.0.1:8332", BitcoindCookieFile: bad + ".missing"}, "bitcoind cookie file: open"},
		{Options{MempoolURL: "mempool.space"}, `mempool URL "mempool.space": want an http(s) URL`},
		{Options{BlockchainURL: "https://u:hunter2@api.blockchain.info"}, "must not carry credentials"},
	} {
		_, err := NewResolver(tc.o, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err %v, want %q", err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks a password: %v", err)
		}
	}
}

func TestDefaultCacheFile(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"STATE_DIRECTORY": "/var/lib/perwatt", "HOME": "/root"}, "/var/lib/perwatt/market.json"},
		{map[string]string{"STATE_DIRECTORY": "/var/lib/perwatt:/var/lib/other"}, "/var/lib/perwatt/market.json"},
		{map[string]string{"XDG_CACHE_HOME": "/c", "HOME": "/home/op"}, "/c/perwatt/market.json"},
		{map[string]string{"HOME": "/home/op"}, "/home/op/.cache/perwatt/market.json"},
		{map[string]string{}, ""},
	} {
		if got := DefaultCacheFile(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.env, got, tc.want)
		}
	}
}

// Defect 8: 10,000 hosts' slots cover the hour evenly, and a host keeps its
// slot.
func TestSpreadCoversTheInterval(t *testing.T) {
	var perMinute [60]int
	for i := range 10000 {
		d := Spread(fmt.Sprintf("gpu-%05d.dc1.example", i), time.Hour)
		if d < 0 || d >= time.Hour {
			t.Fatalf("slot %s outside the hour", d)
		}
		perMinute[d/time.Minute]++
	}
	for m, n := range perMinute {
		// 166.7 a minute on average; a fair hash stays well within ±40 %.
		if n < 100 || n > 233 {
			t.Errorf("minute %d holds %d of 10,000 hosts", m, n)
		}
	}
	if Spread("a", time.Hour) != Spread("a", time.Hour) || Spread("a", 0) != 0 {
		t.Error("slot not fixed per host")
	}
}
