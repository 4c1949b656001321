package market

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeNode answers JSON-RPC batches like Bitcoin Core: getblockchaininfo
// from the named fixture, block h carrying h × 10 sat of fees, unless
// broken says otherwise. It counts requests.
type node struct {
	*httptest.Server
	info     string
	requests atomic.Int64
}

func fakeNode(t *testing.T, infoFixture, broken string) *node {
	n := &node{info: fixture(t, infoFixture)}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.requests.Add(1)
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
				resp["result"] = json.RawMessage(n.info)
			case "getblockstats":
				h := int(q.Params[0].(float64))
				switch {
				case broken == "pruned" && h == 891141:
					resp["result"], resp["error"] = nil, map[string]any{"code": -1, "message": "Block not available (pruned data)"}
				case broken == "no-fee":
					resp["result"] = map[string]any{"height": h}
				default:
					resp["result"] = map[string]any{"totalfee": h * 10}
				}
			}
			out = append(out, resp)
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(n.Close)
	return n
}

func TestBitcoindFetch(t *testing.T) {
	n := fakeNode(t, "bitcoind_getblockchaininfo_main.json", "")
	s, err := Bitcoind{URL: n.URL, User: "__cookie__", Password: "s3cret", Blocks: 4}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Blocks 891,141..891,144 carry (891,141 + … + 891,144) × 10 = 35,645,700 sat;
	// / 4 blocks = 8,911,425 sat = 0.08911425 BTC a block.
	if s.Height != 891144 || s.Difficulty != 121507793131898.1 || !s.TipTime.Equal(fixtureTime) ||
		s.FeesBTCPerBlock != 0.08911425 || s.FeeBlocks != 4 || s.BTCPriceUSD != 0 || s.Origins.BTCPriceUSD != "" {
		t.Errorf("snapshot %+v", s)
	}
	if s.Origins.Difficulty != FromBitcoind || s.Origins.FeesBTCPerBlock != FromBitcoind {
		t.Errorf("origins %+v", s.Origins)
	}
	if n.requests.Load() != 2 {
		t.Errorf("%d HTTP requests, want 2 (info, then one batch)", n.requests.Load())
	}
}

// Defect 1: a node that is not a synced mainnet node gives numbers that say
// nothing about mining revenue, and is refused with the reason.
func TestBitcoindRefusesNodeNotSyncedOnMainnet(t *testing.T) {
	for _, tc := range []struct{ fixture, want string }{
		{"bitcoind_getblockchaininfo_syncing.json", "field initialblockdownload = true: the node is still syncing (at block 300000)"},
		{"bitcoind_getblockchaininfo_syncing.json", "field headers = 891144: is 591144 ahead of blocks 300000"},
		{"bitcoind_getblockchaininfo_testnet.json", `field chain = "test": is not mainnet`},
		{"bitcoind_getblockchaininfo_behind.json", "field headers = 891144: is 5 ahead of blocks 891139"},
	} {
		n := fakeNode(t, tc.fixture, "")
		s, err := Bitcoind{URL: n.URL, User: "__cookie__", Password: "s3cret", Blocks: 4}.Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.fixture, err, tc.want)
		}
		if s.Origins.Difficulty != "" || s.Height != 0 {
			t.Errorf("%s: refused node's chain kept: %+v", tc.fixture, s)
		}
	}
}

func TestBitcoindErrors(t *testing.T) {
	for _, tc := range []struct {
		broken, password, want string
	}{
		{"", "wrong-password", "HTTP 401: the RPC user and password (or cookie) were refused"},
		{"no-fee", "s3cret", "bitcoind: field totalfee of block 891141"},
	} {
		n := fakeNode(t, "bitcoind_getblockchaininfo_main.json", tc.broken)
		_, err := Bitcoind{URL: n.URL, User: "__cookie__", Password: tc.password, Blocks: 4}.Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.broken, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), tc.password) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

// A pruned node that lost a block's data: the average is over the blocks it
// answered for.
func TestBitcoindFeesOverBlocksAnswered(t *testing.T) {
	n := fakeNode(t, "bitcoind_getblockchaininfo_main.json", "pruned")
	s, err := Bitcoind{URL: n.URL, User: "__cookie__", Password: "s3cret", Blocks: 4}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// (891,142 + 891,143 + 891,144) × 10 / 3 = 8,911,430 sat.
	if s.FeeBlocks != 3 || s.FeesBTCPerBlock != 0.0891143 {
		t.Errorf("fees %v over %d blocks", s.FeesBTCPerBlock, s.FeeBlocks)
	}
}
