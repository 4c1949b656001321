package market

import (
	"errors"
	"math"
	"testing"
	"time"
)

// The parsers take whatever a host sends. Whatever it is, they must not
// panic, and what they accept must be usable. Seeds are the fixtures (added
// here) and the files under testdata/fuzz.

func addFixtures(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add([]byte(fixture(f, n)))
	}
}

func FuzzParseMempoolPrices(f *testing.F) {
	addFixtures(f, "mempool_prices.json", "mempool_prices_no_provider.json", "html_error.html")
	f.Fuzz(func(t *testing.T, body []byte) {
		usd, at, err := parseMempoolPrices(body)
		if err == nil && (!(usd > 0) || math.IsInf(usd, 0) || at.Unix() <= 0) {
			t.Fatalf("accepted price %v at %v", usd, at)
		}
	})
}

func FuzzParseBlockFees(f *testing.F) {
	addFixtures(f, "mempool_blocks_fees_24h.json", "mempool_blocks_fees_24h_gaps.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		bf, err := parseBlockFees(body)
		if err == nil && (bf.blocks <= 0 || !(bf.feesBTC >= 0) || math.IsInf(bf.feesBTC, 0)) {
			t.Fatalf("accepted %+v", bf)
		}
	})
}

func FuzzParseMempoolDifficulty(f *testing.F) {
	addFixtures(f, "mempool_hashrate_3d.json", "mempool_hashrate_3d_node_down.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := parseMempoolDifficulty(body)
		if err == nil && (!(d > 0) || math.IsInf(d, 0)) {
			t.Fatalf("accepted difficulty %v", d)
		}
	})
}

func FuzzParseBlockchainStats(f *testing.F) {
	addFixtures(f, "blockchain_stats.json", "blockchain_stats_negative_fees.json", "cloudflare_429.html")
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := parseBlockchainStats(body)
		now := time.Unix(1<<40, 0)
		if s.Origins.Difficulty != "" && s.validateChain(now, 0) != nil {
			t.Fatalf("chain taken but invalid: %+v: %v", s, s.validateChain(now, 0))
		}
		if s.Origins.BTCPriceUSD != "" && s.validatePrice(now, 0) != nil {
			t.Fatalf("price taken but invalid: %+v", s)
		}
		if s.Origins.FeesBTCPerBlock != "" && !(s.FeesBTCPerBlock >= 0) {
			t.Fatalf("fees taken but invalid: %+v", s)
		}
		if err == nil && (s.Origins.Difficulty == "" || s.Origins.BTCPriceUSD == "" || s.Origins.FeesBTCPerBlock == "") {
			t.Fatalf("no error yet a part missing: %+v", s)
		}
	})
}

func FuzzParseChainInfo(f *testing.F) {
	addFixtures(f, "bitcoind_getblockchaininfo_main.json", "bitcoind_getblockchaininfo_syncing.json",
		"bitcoind_getblockchaininfo_testnet.json", "bitcoind_getblockchaininfo_behind.json")
	f.Fuzz(func(t *testing.T, raw []byte) {
		ci, err := parseChainInfo(raw)
		if err == nil && (!(ci.difficulty > 0) || math.IsInf(ci.difficulty, 0) || ci.tipTime.IsZero()) {
			t.Fatalf("accepted %+v", ci)
		}
		var fe *FieldError
		if err != nil && !errors.As(err, &fe) && !errors.Is(err, ErrNotProvided) {
			t.Fatalf("error names no field: %v", err)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "Thu, 01 Jan 2026 00:10:00 GMT", "-1", "", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := parseRetryAfter(v, time.Unix(1767225600, 0)); d < 0 || d > 24*time.Hour {
			t.Fatalf("Retry-After %q gave %s", v, d)
		}
	})
}
