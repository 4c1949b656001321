package market

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestOfflineSnapshot(t *testing.T) {
	s := Offline()
	if err := s.Validate(time.Now(), 0); err != nil {
		t.Fatalf("embedded snapshot invalid: %v", err)
	}
	if !strings.Contains(s.Source, "offline") || !strings.Contains(s.Source, "2025-04-05") {
		t.Errorf("source %q does not say it is an offline snapshot and from when", s.Source)
	}
	m := s.Market()
	if m.SubsidyBTC != 3.125 {
		t.Errorf("subsidy at %d = %v, want 3.125", s.Height, m.SubsidyBTC)
	}
	// 121.507793e12 × 2^32 = 5.218712e23 hashes/block; 8.64e19 / 5.218712e23 × 3.15 BTC
	// = 5.215157e-4 BTC/PH/day; × $83,500 = $43.546/PH/day.
	if hp := m.HashpriceUSDPerPHDay(); hp < 43.54 || hp > 43.55 {
		t.Errorf("offline hashprice %v, want $43.546/PH/day", hp)
	}
}

func TestValidateNamesSourceAndField(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Snapshot{Source: "blockchain.info", AsOf: now.Add(-2 * time.Hour), Height: 1,
		Difficulty: 0, BTCPriceUSD: -5, FeesBTCPerBlock: -0.1}
	err := s.Validate(now, time.Hour)
	for _, want := range []string{"blockchain.info: field difficulty", "field btc_price_usd", "field fees_btc_per_block = -0.1", "stale"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if !errors.Is(err, ErrStale) {
		t.Error("stale snapshot not marked ErrStale")
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Source != "blockchain.info" {
		t.Errorf("no FieldError naming the source in %v", err)
	}
}
