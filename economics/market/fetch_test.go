package market

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type reply struct {
	status int
	body   string
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fakeAPI serves canned answers by path (query included); unknown paths 404.
func fakeAPI(t *testing.T, routes map[string]reply) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, ok := routes[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if rep.status == 0 {
			rep.status = http.StatusOK
		}
		w.WriteHeader(rep.status)
		w.Write([]byte(rep.body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func mempoolRoutes(t *testing.T) map[string]reply {
	return map[string]reply{
		"/api/v1/mining/hashrate/3d":      {body: fixture(t, "mempool_hashrate_3d.json")},
		"/api/blocks/tip/height":          {body: "891144"},
		"/api/v1/mining/reward-stats/144": {body: fixture(t, "mempool_reward_stats.json")},
		"/api/v1/prices":                  {body: fixture(t, "mempool_prices.json")},
		"/api/v1/difficulty-adjustment":   {body: fixture(t, "mempool_difficulty_adjustment.json")},
	}
}

func blockchainRoutes(t *testing.T) map[string]reply {
	return map[string]reply{
		"/q/getdifficulty":   {body: "1.215077931318981E14"},
		"/q/24hrprice":       {body: "83512.4"},
		"/q/getblockcount":   {body: "891144"},
		"/stats?format=json": {body: fixture(t, "blockchain_stats.json")},
	}
}

var fixtureTime = time.Unix(1743897600, 0).UTC() // 2025-04-06T00:00:00Z, the fixtures' price time

func TestMempoolFetch(t *testing.T) {
	srv := fakeAPI(t, mempoolRoutes(t))
	s, err := Mempool{BaseURL: srv.URL}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// reward-stats: 360,000,000 sat of fees over blocks 891,001..891,144 (144 blocks)
	// = 2,500,000 sat = 0.025 BTC per block.
	want := Snapshot{Source: "mempool.space", AsOf: fixtureTime, Height: 891144, Difficulty: 121507793131898.1,
		BTCPriceUSD: 83500, FeesBTCPerBlock: 0.025, NextRetargetHeight: 893088}
	got := s
	got.ExpectedDifficultyChange = nil
	if got != want {
		t.Errorf("snapshot\n got %+v\nwant %+v", got, want)
	}
	if s.ExpectedDifficultyChange == nil || *s.ExpectedDifficultyChange != -1.2 {
		t.Errorf("expected difficulty change %v, want -1.2", s.ExpectedDifficultyChange)
	}
	if err := s.Validate(fixtureTime.Add(time.Minute), time.Hour); err != nil {
		t.Error(err)
	}
}

func TestMempoolBroken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		rep   reply
		wants []string
	}{
		{"html error page", "/api/v1/prices", reply{502, fixture(t, "html_error.html")}, []string{"mempool.space /api/v1/prices: HTTP 502", "Bad Gateway"}},
		{"html with 200", "/api/v1/mining/hashrate/3d", reply{200, fixture(t, "html_error.html")}, []string{"/api/v1/mining/hashrate/3d: answer is not the expected JSON"}},
		{"no difficulty", "/api/v1/mining/hashrate/3d", reply{200, `{"hashrates":[]}`}, []string{"field currentDifficulty", "missing"}},
		{"fee not a number", "/api/v1/mining/reward-stats/144", reply{200, `{"startBlock":1,"endBlock":144,"totalReward":"45e9","totalFee":"abc"}`},
			[]string{"field totalReward", "field totalFee", "whole number of satoshis"}},
		{"reward below fees", "/api/v1/mining/reward-stats/144", reply{200, `{"startBlock":1,"endBlock":144,"totalReward":"100","totalFee":"200"}`},
			[]string{"field totalReward", "less than totalFee"}},
		{"negative fees", "/api/v1/mining/reward-stats/144", reply{200, `{"startBlock":1,"endBlock":144,"totalReward":"100","totalFee":"-200"}`},
			[]string{"field totalFee = -200", "negative"}},
		{"height garbage", "/api/blocks/tip/height", reply{200, "tip"}, []string{"field tip height", "not a number"}},
		{"no price", "/api/v1/prices", reply{200, `{"time":1743897600}`}, []string{"field USD/time"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := mempoolRoutes(t)
			routes[tc.path] = tc.rep
			srv := fakeAPI(t, routes)
			_, err := Mempool{BaseURL: srv.URL}.Fetch(context.Background())
			for _, w := range tc.wants {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
		})
	}
}

func TestMempoolValidationCatchesBadValues(t *testing.T) {
	routes := mempoolRoutes(t)
	routes["/api/v1/prices"] = reply{body: `{"time":1743897600,"USD":0}`}
	routes["/api/v1/mining/hashrate/3d"] = reply{body: `{"currentDifficulty":-5}`}
	srv := fakeAPI(t, routes)
	s, err := Mempool{BaseURL: srv.URL}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate(fixtureTime, time.Hour)
	for _, w := range []string{"mempool.space: field difficulty = -5", "mempool.space: field btc_price_usd = 0"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

func TestBlockchainFetch(t *testing.T) {
	srv := fakeAPI(t, blockchainRoutes(t))
	s, err := Blockchain{BaseURL: srv.URL}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 450,000,000 sat / 144 blocks = 3,125,000 sat = 0.03125 BTC per block.
	want := Snapshot{Source: "blockchain.info", AsOf: fixtureTime, Height: 891144, Difficulty: 1.215077931318981e14,
		BTCPriceUSD: 83512.4, FeesBTCPerBlock: 0.03125}
	if s != want {
		t.Errorf("snapshot\n got %+v\nwant %+v", s, want)
	}
}

func TestBlockchainNegativeFeesRejected(t *testing.T) {
	routes := blockchainRoutes(t)
	routes["/stats?format=json"] = reply{body: fixture(t, "blockchain_stats_negative_fees.json")}
	srv := fakeAPI(t, routes)
	s, err := Blockchain{BaseURL: srv.URL}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate(fixtureTime, time.Hour)
	if err == nil || !strings.Contains(err.Error(), "blockchain.info: field fees_btc_per_block") {
		t.Fatalf("negative fee total accepted: %v", err)
	}
}

func TestChainFallsBack(t *testing.T) {
	now := fixtureTime.Add(10 * time.Minute)
	dead := fakeAPI(t, map[string]reply{})
	bc := fakeAPI(t, blockchainRoutes(t))
	cache := &Cache{Path: filepath.Join(t.TempDir(), "sub", "market.json")}
	chain := Chain{Sources: []Source{Mempool{BaseURL: dead.URL}, Blockchain{BaseURL: bc.URL}},
		Cache: cache, MaxAge: time.Hour, Now: func() time.Time { return now }}

	r := chain.Resolve(context.Background())
	if r.Origin != OriginLive || r.Snapshot.Source != "blockchain.info" || len(r.Skipped) != 1 {
		t.Fatalf("got %s from %s, skipped %v", r.Origin, r.Snapshot.Source, r.Skipped)
	}
	if !strings.Contains(r.Skipped[0].Error(), "mempool.space") || !strings.Contains(r.Note(now), "1 source(s) failed") {
		t.Errorf("skip reason %v / note %q", r.Skipped[0], r.Note(now))
	}
	cached, err := cache.Load()
	if err != nil || cached != r.Snapshot {
		t.Fatalf("cache holds %+v, %v", cached, err)
	}

	// Everything down: the cache (now a day old, so stale for live use) is used, with its age.
	later := now.Add(24 * time.Hour)
	chain.Sources, chain.Now = []Source{Blockchain{BaseURL: dead.URL}}, func() time.Time { return later }
	r = chain.Resolve(context.Background())
	if r.Origin != OriginCache || r.Snapshot.Source != "cache of blockchain.info" || r.Snapshot.BTCPriceUSD != 83512.4 {
		t.Fatalf("got %s %+v", r.Origin, r.Snapshot)
	}
	if !strings.Contains(r.Note(later), "24.2 hours old") {
		t.Errorf("note %q does not state the age", r.Note(later))
	}

	// No cache either: the embedded snapshot, saying so.
	os.Remove(cache.Path)
	r = chain.Resolve(context.Background())
	if r.Origin != OriginOffline || r.Snapshot != Offline() {
		t.Fatalf("got %s %+v", r.Origin, r.Snapshot)
	}
}

func TestChainRejectsStaleLiveData(t *testing.T) {
	srv := fakeAPI(t, mempoolRoutes(t))
	now := fixtureTime.Add(3 * time.Hour)
	r := Chain{Sources: []Source{Mempool{BaseURL: srv.URL}}, MaxAge: 2 * time.Hour, Now: func() time.Time { return now }}.Resolve(context.Background())
	if r.Origin != OriginOffline || len(r.Skipped) != 1 || !errors.Is(r.Skipped[0], ErrStale) {
		t.Fatalf("stale live data used: %s, %v", r.Origin, r.Skipped)
	}
}

func TestCorruptCacheFallsThrough(t *testing.T) {
	path := filepath.Join(t.TempDir(), "market.json")
	os.WriteFile(path, []byte("{not json"), 0o644)
	r := Chain{Cache: &Cache{Path: path}}.Resolve(context.Background())
	if r.Origin != OriginOffline || len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0].Error(), "corrupt") {
		t.Fatalf("got %s, %v", r.Origin, r.Skipped)
	}
}

func TestContextCancelStopsFetch(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Mempool{BaseURL: srv.URL}).Fetch(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestUnreachableHostIsAskedOnce(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	_, err := Mempool{BaseURL: url}.Fetch(context.Background())
	if err == nil || strings.Count(err.Error(), "mempool.space /api") != 1 {
		t.Errorf("want one error for the dead host, got %v", err)
	}
	_, err = Blockchain{BaseURL: url}.Fetch(context.Background())
	if err == nil || strings.Count(err.Error(), "blockchain.info /q") != 1 {
		t.Errorf("want one error for the dead host, got %v", err)
	}
}
