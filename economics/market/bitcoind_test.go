package market

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fixedPrice struct {
	usd float64
	at  time.Time
}

func (p fixedPrice) PriceUSD(context.Context) (float64, time.Time, error) { return p.usd, p.at, nil }

// fakeNode answers JSON-RPC batches like Bitcoin Core: tip 1000, block h
// carrying h × 10,000 sat of fees, unless broken says otherwise.
func fakeNode(t *testing.T, broken string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "__cookie__" || p != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var reqs []rpcRequest
		if err := json.NewDecoder(r.Body).Decode(&reqs); err != nil {
			t.Errorf("not a batch: %v", err)
		}
		var out []map[string]any
		for _, q := range reqs {
			resp := map[string]any{"id": q.ID, "error": nil}
			switch q.Method {
			case "getblockchaininfo":
				resp["result"] = map[string]any{"chain": "main", "blocks": 1000, "difficulty": 1.2e14}
			case "getblockstats":
				h := int(q.Params[0].(float64))
				if broken == "rpc-error" && h == 999 {
					resp["result"], resp["error"] = nil, map[string]any{"code": -8, "message": "Target block height 999 after current tip"}
				} else if broken == "no-fee" {
					resp["result"] = map[string]any{"height": h}
				} else {
					resp["result"] = map[string]any{"totalfee": h * 10_000}
				}
			}
			out = append(out, resp)
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBitcoindFetch(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	srv := fakeNode(t, "")
	s, err := Bitcoind{URL: srv.URL, User: "__cookie__", Password: "s3cret", Blocks: 4, Price: fixedPrice{90_000, at}}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Blocks 997..1000 carry 9,970,000 + 9,980,000 + 9,990,000 + 10,000,000 = 39,940,000 sat;
	// / 4 blocks = 9,985,000 sat = 0.09985 BTC a block.
	want := Snapshot{Source: "bitcoind", AsOf: at, Height: 1000, Difficulty: 1.2e14, BTCPriceUSD: 90_000, FeesBTCPerBlock: 0.09985}
	if s != want {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
}

func TestBitcoindErrors(t *testing.T) {
	p := fixedPrice{90_000, time.Now()}
	for _, tc := range []struct {
		broken, password, want string
	}{
		{"", "wrong-password", "HTTP 401: the RPC user and password (or cookie) were refused"},
		{"rpc-error", "s3cret", "getblockstats [999 [totalfee]]: error -8: Target block height 999"},
		{"no-fee", "s3cret", "bitcoind: field totalfee of block 997"},
	} {
		srv := fakeNode(t, tc.broken)
		_, err := Bitcoind{URL: srv.URL, User: "__cookie__", Password: tc.password, Blocks: 4, Price: p}.Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.broken, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), tc.password) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
	if _, err := (Bitcoind{URL: "http://127.0.0.1:1"}).Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "no price source") {
		t.Errorf("missing price source: %v", err)
	}
}
