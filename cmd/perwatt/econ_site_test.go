package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A market given in full on the command line: difficulty 100 T, 3.125 + 0.125 BTC, $100,000.
var cliMarket = []string{"--difficulty", "100e12", "--btc-price", "100000", "--height", "900000", "--fees", "0.125"}

func TestEconSiteHandWorked(t *testing.T) {
	args := append([]string{"econ", "site", "--json", "--mw", "100", "--share", "mining=40%,colo=60%", "--power-price", "0.05",
		"--miner", "name=S21 XP", "--colo", "name=shell,rate=100/kW-month,pue=1.25", "--sweep-step", "0.5"}, cliMarket...)
	out, errOut, code := perwatt(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Site struct {
			Total struct {
				Profit float64 `json:"profit_usd_per_year"`
			} `json:"total"`
		} `json:"site"`
		Sweep []struct {
			AIShare float64 `json:"ai_share"`
			Profit  float64 `json:"profit_usd_per_year"`
		} `json:"sweep"`
		Peak struct {
			AIShare float64 `json:"ai_share"`
		} `json:"peak"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	// Same arithmetic as economics.TestSiteHandWorked: S21 XP nets $1.637286/W/yr of revenue;
	// 40 MW mining pays 40 × 8760 × 0.95 × $50 = $16.644M of power; 60 MW at PUE 1.25 leases
	// 48 MW IT × $1.2M = $57.6M.
	perWYear := 75_816_000.0 / 429_496_729_600 * 0.975 * 0.95 * 100_000 * 365 / 3645
	if want := perWYear*40e6 - 16_644_000 + 57_600_000; math.Abs(v.Site.Total.Profit-want) > 1e-3 {
		t.Errorf("profit %v, want %v", v.Site.Total.Profit, want)
	}
	if len(v.Sweep) != 3 || v.Sweep[2].AIShare != 1 || v.Peak.AIShare != 0 {
		t.Errorf("sweep %+v peak %+v", v.Sweep, v.Peak)
	}
}

func TestEconSiteBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--share", "mining=50%,colo=30%"}, "shares add up to 80%"},
		{[]string{"--share", "mining=0.5,colo=0.3"}, "shares add up to 80%"},
		{[]string{"--share", "mining=50,colo=50"}, "a bare number is a fraction"},
		{[]string{"--mw", "-5"}, "--mw -5"},
		{[]string{"--share", "mining=50%,hotel=50%"}, `unknown use "hotel"`},
		{[]string{"--share", "mining=fifty,colo=50%"}, `mining share "fifty"`},
		{[]string{"--share", "mining=0.5,gpu=0.5"}, "gpu has a 50% share but no profile"},
		{[]string{"--ai-pue", "0.5"}, "--ai-pue 0.5"},
	} {
		out, errOut, code := perwatt(t, nil, append([]string{"econ", "site", "--offline"}, tc.args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestEconSitePlot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "site.png")
	_, errOut, code := perwatt(t, nil, "econ", "site", "--offline", "--plot", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(file)
	if err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Fatalf("no PNG written: %v", err)
	}
}

func TestEconCurtailSpike(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "p.csv")
	os.WriteFile(csv, []byte("timestamp,usd_per_mwh\n2026-07-08T14:00:00Z,30\n2026-07-08T15:00:00Z,30\n2026-07-08T16:00:00Z,30\n"+
		"2026-07-08T17:00:00Z,30\n2026-07-08T18:00:00Z,2500\n2026-07-08T19:00:00Z,4800\n"), 0o644)
	out, errOut, code := perwatt(t, nil, append([]string{"econ", "curtail", "--json", "--prices", csv, "--mw", "10"}, cliMarket...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Value  float64 `json:"value_of_curtailment_usd"`
		Uptime float64 `json:"uptime"`
		Source string  `json:"prices_source"`
	}
	json.Unmarshal([]byte(out), &v)
	// economics.TestCurtailSpikeHandWorked: 10 MW S21 XP, R = $196.7419/MWh; the two spike
	// hours cost 9.5 × (2500 + 4800) = $69,350 and would earn 2 × 9.5 × R = $3,738.10.
	R := 75_816_000.0 / 429_496_729_600 * 0.975 * 0.95 * 100_000 / 0.083106
	if want := 69_350 - 2*9.5*R; math.Abs(v.Value-want) > 1e-6 || math.Abs(v.Uptime-4.0/6) > 1e-12 || v.Source != csv {
		t.Errorf("value %v uptime %v source %q; want %v, 0.667, %q", v.Value, v.Uptime, v.Source, want, csv)
	}

	// Default: the embedded sample, labelled synthetic.
	out, _, code = perwatt(t, nil, "econ", "curtail", "--offline")
	if code != 0 || !strings.Contains(out, "SYNTHETIC") {
		t.Errorf("exit %d, out:\n%s", code, out)
	}

	// A malformed row is named.
	os.WriteFile(csv, []byte("timestamp,usd_per_mwh\n2026-07-08T14:00:00Z,30\n2026-07-08T15:00:00Z,thirty\n"), 0o644)
	_, errOut, code = perwatt(t, nil, "econ", "curtail", "--offline", "--prices", csv)
	if code != exitUsage || !strings.Contains(errOut, "p.csv row 3") || !strings.Contains(errOut, `"thirty"`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = perwatt(t, nil, "econ", "curtail", "--offline", "--peak-window", "25-3")
	if code != exitUsage || !strings.Contains(errOut, "--peak-window") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestEconProjectPrintsAssumptions(t *testing.T) {
	out, errOut, code := perwatt(t, nil, "econ", "project", "--offline", "--years", "4", "--difficulty-growth", "0.02", "--btc-growth", "0.1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Assumptions", "+2.00% per 2016-block retarget", "BTC price +10.0%/yr", "halves at block 1050000",
		"Hut 8–Fluidstack", "S21 XP", "switched off"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, errOut, code = perwatt(t, nil, "econ", "project", "--offline", "--years", "0")
	if code != exitUsage || !strings.Contains(errOut, "years must be 1 to 50") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestEconSiteMullet(t *testing.T) {
	out, errOut, code := perwatt(t, nil, "econ", "site", "--offline", "--prices", "synthetic", "--json", "--share", "mining=0.5,colo=0.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Source string  `json:"prices_source"`
		Avg    float64 `json:"avg_price_usd_per_mwh"`
	}
	json.Unmarshal([]byte(out), &v)
	if !strings.Contains(v.Source, "SYNTHETIC") || !(v.Avg > 0) {
		t.Errorf("prices source %q average %v", v.Source, v.Avg)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("timestamp,usd_per_mwh\n2026-01-01T00:00:00Z,x\n"), 0o644)
	_, errOut, code = perwatt(t, nil, "econ", "site", "--offline", "--prices", bad)
	if code != exitUsage || !strings.Contains(errOut, "bad.csv row 2") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = perwatt(t, nil, "econ", "site", "--offline", "--dr-credit", "5")
	if code != exitUsage || !strings.Contains(errOut, "need --prices") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
