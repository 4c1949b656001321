package market

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type reply struct {
	status int
	body   string
	header map[string]string
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// api is a fake HTTP API serving canned answers by path (query included);
// unknown paths 404. It counts requests so tests can prove politeness.
type api struct {
	*httptest.Server
	mu     sync.Mutex
	routes map[string]reply
	hits   map[string]int
}

func fakeAPI(t *testing.T, routes map[string]reply) *api {
	t.Helper()
	a := &api{routes: routes, hits: map[string]int{}}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.hits[r.URL.RequestURI()]++
		rep, ok := a.routes[r.URL.RequestURI()]
		a.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		if rep.status == 0 {
			rep.status = http.StatusOK
		}
		w.WriteHeader(rep.status)
		w.Write([]byte(rep.body))
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *api) set(path string, r reply) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.routes[path] = r
}

func (a *api) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.hits {
		n += c
	}
	return n
}

func mempoolRoutes(t *testing.T) map[string]reply {
	return map[string]reply{
		"/api/v1/mining/hashrate/3d":     {body: fixture(t, "mempool_hashrate_3d.json")},
		"/api/v1/mining/blocks/fees/24h": {body: fixture(t, "mempool_blocks_fees_24h.json")},
		"/api/v1/prices":                 {body: fixture(t, "mempool_prices.json")},
		"/api/v1/difficulty-adjustment":  {body: fixture(t, "mempool_difficulty_adjustment.json")},
	}
}

func blockchainRoutes(t *testing.T) map[string]reply {
	return map[string]reply{"/stats": {body: fixture(t, "blockchain_stats.json")}}
}

var fixtureTime = time.Unix(1743897600, 0).UTC() // 2025-04-06T00:00:00Z: the fixtures' tip and price time

func TestMempoolFetch(t *testing.T) {
	srv := fakeAPI(t, mempoolRoutes(t))
	s, err := Mempool{BaseURL: srv.URL}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// blocks/fees/24h: 144 rows, block h carrying 2,000,000 + 10,000 × (h − 891,001) sat:
	// mean 2,000,000 + 10,000 × 71.5 = 2,715,000 sat = 0.02715 BTC a block.
	if s.Difficulty != 121507793131898.1 || s.Height != 891144 || !s.TipTime.Equal(fixtureTime) ||
		s.BTCPriceUSD != 83500 || !s.PriceTime.Equal(fixtureTime) || s.FeeBlocks != 144 || s.NextRetargetHeight != 893088 {
		t.Errorf("snapshot %+v", s)
	}
	if d := s.FeesBTCPerBlock - 0.02715; d > 1e-12 || d < -1e-12 {
		t.Errorf("fees %v, want 0.02715", s.FeesBTCPerBlock)
	}
	if o := s.Origins; o.Difficulty != FromMempool || o.Height != FromMempool || o.BTCPriceUSD != FromMempool || o.FeesBTCPerBlock != FromMempool {
		t.Errorf("origins %+v", o)
	}
	if srv.total() != 4 {
		t.Errorf("%d requests for one fetch, want 4", srv.total())
	}
}

// Defect 4: an index with gaps has fewer rows than the heights it spans;
// the average is over the rows, not the span.
func TestMempoolFeesOverBlocksReturned(t *testing.T) {
	routes := mempoolRoutes(t)
	routes["/api/v1/mining/blocks/fees/24h"] = reply{body: fixture(t, "mempool_blocks_fees_24h_gaps.json")}
	s, err := Mempool{BaseURL: fakeAPI(t, routes).URL}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 100 rows of 2,500,000 sat over heights 891,001..891,144: 0.025 BTC a block
	// (dividing by the 144-block span would give 0.01736).
	if s.FeesBTCPerBlock != 0.025 || s.FeeBlocks != 100 {
		t.Errorf("fees %v over %d blocks, want 0.025 over 100", s.FeesBTCPerBlock, s.FeeBlocks)
	}
}

// Defect 2: sentinel answers are "not provided", with the reason, and the
// rest of the answer is still used.
func TestMempoolSentinels(t *testing.T) {
	routes := mempoolRoutes(t)
	routes["/api/v1/prices"] = reply{body: fixture(t, "mempool_prices_no_provider.json")}
	routes["/api/v1/mining/hashrate/3d"] = reply{body: fixture(t, "mempool_hashrate_3d_node_down.json")}
	s, err := Mempool{BaseURL: fakeAPI(t, routes).URL}.Fetch(context.Background())
	if !errors.Is(err, ErrNotProvided) {
		t.Fatalf("err %v, want ErrNotProvided", err)
	}
	for _, w := range []string{"USD price not provided (USD -1, time 0: the instance has no price provider)",
		"currentDifficulty not provided (0: the instance's own node is not answering)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	if s.Origins.BTCPriceUSD != "" || s.Origins.Difficulty != "" || !s.PriceTime.IsZero() {
		t.Errorf("sentinels taken as values: %+v", s)
	}
	if s.Origins.FeesBTCPerBlock != FromMempool {
		t.Errorf("the good fees were dropped: %+v", s)
	}
}

func TestMempoolBroken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		rep   reply
		wants []string
	}{
		{"html error page", "/api/v1/prices", reply{status: 502, body: fixture(t, "html_error.html")}, []string{"mempool.space /api/v1/prices: HTTP 502", "Bad Gateway"}},
		{"html with 200", "/api/v1/mining/hashrate/3d", reply{body: fixture(t, "html_error.html")}, []string{"/api/v1/mining/hashrate/3d: answer is not the expected JSON"}},
		{"no difficulty", "/api/v1/mining/hashrate/3d", reply{body: `{"hashrates":[]}`}, []string{"currentDifficulty not provided (missing)"}},
		{"negative difficulty", "/api/v1/mining/hashrate/3d", reply{body: `{"currentDifficulty":-5}`}, []string{"field currentDifficulty = -5"}},
		{"negative fees", "/api/v1/mining/blocks/fees/24h", reply{body: `[{"avgHeight":891144,"timestamp":1743897600,"avgFees":-200}]`}, []string{"field avgFees of block 891144 = -200: must be from 0 to 50 BTC"}},
		{"empty index", "/api/v1/mining/blocks/fees/24h", reply{body: `[]`}, []string{"fees not provided (no blocks indexed in the last 24 h)"}},
		{"no price", "/api/v1/prices", reply{body: `{"time":1743897600}`}, []string{"USD price not provided (USD or time missing)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := mempoolRoutes(t)
			routes[tc.path] = tc.rep
			_, err := Mempool{BaseURL: fakeAPI(t, routes).URL}.Fetch(context.Background())
			for _, w := range tc.wants {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
		})
	}
}

// Defect 5: one request to /stats, the spot price from it.
func TestBlockchainFetch(t *testing.T) {
	srv := fakeAPI(t, blockchainRoutes(t))
	s, err := Blockchain{BaseURL: srv.URL}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 450,000,000 sat / 144 blocks = 3,125,000 sat = 0.03125 BTC per block.
	if s.Difficulty != 121507793131898.1 || s.Height != 891144 || s.BTCPriceUSD != 83512.4 ||
		s.FeesBTCPerBlock != 0.03125 || s.FeeBlocks != 144 || !s.PriceTime.Equal(fixtureTime) || !s.TipTime.Equal(fixtureTime) {
		t.Errorf("snapshot %+v", s)
	}
	if srv.total() != 1 || srv.hits["/stats"] != 1 {
		t.Errorf("requests %v, want one to /stats", srv.hits)
	}
}

func TestBlockchainNegativeFeesRejected(t *testing.T) {
	srv := fakeAPI(t, map[string]reply{"/stats": {body: fixture(t, "blockchain_stats_negative_fees.json")}})
	s, err := Blockchain{BaseURL: srv.URL}.Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "blockchain.info: field total_fees_btc = -1.23456789e+09: must not be negative") {
		t.Fatalf("negative fee total accepted: %v", err)
	}
	if s.Origins.FeesBTCPerBlock != "" || s.Origins.BTCPriceUSD != FromBlockchain {
		t.Errorf("want price kept and fees refused: %+v", s.Origins)
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
}

// Defect 6: a 429 HTML page stops the fetch at once and carries the wait.
func TestRateLimitedHostIsAskedOnce(t *testing.T) {
	routes := mempoolRoutes(t)
	routes["/api/v1/mining/hashrate/3d"] = reply{status: 429, body: fixture(t, "cloudflare_429.html"), header: map[string]string{"Retry-After": "120"}}
	srv := fakeAPI(t, routes)
	_, err := Mempool{BaseURL: srv.URL}.Fetch(context.Background())
	var se *StatusError
	if !errors.As(err, &se) || !se.BackOff() || se.RetryAfter() != 2*time.Minute || !strings.Contains(err.Error(), `HTTP 429: "HTML page: Access denied | mempool.space used Cloudflare`) {
		t.Fatalf("err %v", err)
	}
	if srv.total() != 1 {
		t.Errorf("%d requests to a rate-limiting host, want 1", srv.total())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"120": 2 * time.Minute, " 5 ": 5 * time.Second, "": 0, "-3": 0, "soon": 0,
		"Thu, 01 Jan 2026 00:10:00 GMT": 10 * time.Minute, "Wed, 31 Dec 2025 23:00:00 GMT": 0,
		"999999999": 24 * time.Hour,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("Retry-After %q = %s, want %s", v, got, want)
		}
	}
}
