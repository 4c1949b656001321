package economics

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSourceTokenIsShortAndStable(t *testing.T) {
	for in, want := range map[string]string{
		"offline snapshot: retarget at block 891,072 on 2025-04-05 (difficulty as set; BTC/USD and 144-block fees approximate)": "offline_snapshot",
		"mempool.space":                          "mempool.space",
		"cache of mempool.space (difficulty 3d)": "cache_of_mempool.space",
		"command line":                           "command_line",
		"":                                       "unknown",
	} {
		if got := SourceToken(in); got != want {
			t.Errorf("SourceToken(%q) = %q, want %q", in, got, want)
		}
	}
}

// Colocation results always state whether power passes through: false is a
// term of the deal, not an absent field. Other kinds leave it out.
func TestPowerPassthroughShownWhenFalse(t *testing.T) {
	included, err := ParseColocationSpec("name=x,rate=128/kW-month,power=included")
	if err != nil {
		t.Fatal(err)
	}
	miner, _ := FindMiner("S21 XP")
	m := testMarket()
	rep, err := Evaluate(m, 0.05, []Profile{included, miner}, m.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	colo, _ := json.Marshal(rep.Profiles[0])
	mining, _ := json.Marshal(rep.Profiles[1])
	if !strings.Contains(string(colo), `"power_passthrough":false`) || strings.Contains(string(mining), "power_passthrough") {
		t.Errorf("colo %s\nmining %s", colo, mining)
	}
}

// One form for the age of market data in every message.
func TestFormatAgeOneForm(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * time.Second:                 "1m30s",
		5 * time.Hour:                    "5.0 hours",
		14590*time.Hour + 41*time.Minute: "608 days",
	} {
		if got := FormatAge(d); got != want {
			t.Errorf("FormatAge(%s) = %q, want %q", d, got, want)
		}
	}
}
