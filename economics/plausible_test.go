package economics

import (
	"strings"
	"testing"
	"time"
)

func TestPriceGapWarnings(t *testing.T) {
	two, err := ReadPriceCSV(strings.NewReader("timestamp,usd_per_mwh\n2025-01-01T00:00:00Z,40\n2026-01-01T00:00:00Z,50\n"), "two.csv")
	if err != nil {
		t.Fatal(err)
	}
	if w := PriceGapWarnings(two); len(w) != 2 || !strings.Contains(w[0], "8760 hours") {
		t.Errorf("two rows a year apart: %q", w)
	}
	if w := PriceGapWarnings(SyntheticPrices()); len(w) != 0 {
		t.Errorf("hourly series warned: %q", w)
	}
}

func TestMarketAndSpecWarnings(t *testing.T) {
	ref := testMarket()
	ref.AsOf = time.Date(2025, 4, 6, 0, 0, 0, 0, time.UTC)
	m := ref
	if w := MarketWarnings(m, ref, 0.05); len(w) != 0 {
		t.Errorf("the reference itself warned: %q", w)
	}
	m.Difficulty /= 1e6
	if w := MarketWarnings(m, ref, 50); len(w) != 2 || !strings.Contains(w[0], "difficulty") || !strings.Contains(w[1], "$1/kWh") {
		t.Errorf("warnings %q", w)
	}
	// A rate without a unit is refused by the spec parser, not warned about.
	if _, err := ParseColocationSpec("name=Shell,rate=128"); err == nil || !strings.Contains(err.Error(), "no unit") {
		t.Errorf("unitless rate: %v", err)
	}
	if w := SpecWarnings("colo", "name=Shell,rate=128/kW-month"); len(w) != 0 {
		t.Errorf("rate with unit warned: %q", w)
	}
	if w := SpecWarnings("gpu", "name=H100,power=700W"); len(w) != 0 {
		t.Errorf("board power itself warned: %q", w)
	}
	if w := SpecWarnings("gpu", "name=H100,power=600W"); len(w) != 1 {
		t.Errorf("power below board power: %q", w)
	}
}
