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
	if m.SubsidyBTC != 3.125 || m.Origins.Difficulty != FromOffline {
		t.Errorf("subsidy at %d = %v, origins %+v", s.Height, m.SubsidyBTC, m.Origins)
	}
	// 121.507793e12 × 2^32 = 5.218712e23 hashes/block; 8.64e19 / 5.218712e23 × 3.15 BTC
	// = 5.215157e-4 BTC/PH/day; × $83,500 = $43.546/PH/day.
	if hp := m.HashpriceUSDPerPHDay(); hp < 43.54 || hp > 43.55 {
		t.Errorf("offline hashprice %v, want $43.546/PH/day", hp)
	}
}

// Defect 3: the block being mined is tip + 1; at a halving the tip's
// subsidy is twice the one being earned.
func TestSubsidyOfTheBlockBeingMined(t *testing.T) {
	for tip, want := range map[int64]float64{839998: 6.25, 839999: 3.125, 840000: 3.125, 1049999: 1.5625} {
		if got := (Snapshot{Height: tip}).Market().SubsidyBTC; got != want {
			t.Errorf("tip %d: subsidy %v, want %v", tip, got, want)
		}
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

// Defect 7: a stuck node or index shows in the tip's age even when the
// price is fresh.
func TestStuckTipIsStale(t *testing.T) {
	now := fixtureTime.Add(3 * time.Hour)
	s := Snapshot{Source: "x", Height: 891144, Difficulty: 1e14, BTCPriceUSD: 90000, FeesBTCPerBlock: 0.02,
		TipTime: fixtureTime, PriceTime: now.Add(-time.Minute), AsOf: fixtureTime}
	err := s.Validate(now, 2*time.Hour)
	if !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "tip_time 2025-04-06T00:00:00Z is 3.0 hours old") {
		t.Fatalf("stuck tip passed: %v", err)
	}
}
