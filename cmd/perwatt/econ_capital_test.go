package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEconClaimPrintsAllThreeBasesAndAssumptions(t *testing.T) {
	// A market where mining and the H100 both pay back their capital, so all
	// three answers are numbers: difficulty 100 T, $110,000, 3.125 + 0.1 BTC.
	args := []string{"econ", "claim", "--difficulty", "100e12", "--btc-price", "110000", "--height", "900000", "--fees", "0.1",
		"--power-price", "0.04", "--gpu", "name=H100,rate=2.50,utilization=85%", "--miner", "name=S21 XP", "--difficulty-growth", "0"}
	out, errOut, code := perwatt(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"on revenue", "on net of power", "on NPV", "Assumptions (all of them)", "capital: estimates", "S21 XP"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = perwatt(t, nil, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		GPUMW  float64 `json:"gpu_mw_total"`
		Miners []struct {
			Revenue, Net, NPV struct {
				MW *float64 `json:"miner_mw_total"`
			}
		} `json:"miners"`
	}
	// Field names are the contract: read them by tag.
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.GPUMW != 10 || len(v.Miners) != 1 {
		t.Fatalf("json %v: %+v", err, v)
	}
	row := raw["miners"].([]any)[0].(map[string]any)
	for _, k := range []string{"on_revenue", "on_net_of_power", "on_npv"} {
		mw, ok := row[k].(map[string]any)["miner_mw_total"].(float64)
		if !ok || !(mw > 10) {
			t.Errorf("%s: %v MW of S21 XP for 10 MW of H100, want a number above 10", k, row[k])
		}
	}
	out, _, code = perwatt(t, nil, append(args, "--output", "lp")...)
	if code != 0 || !strings.Contains(out, "economics_claim,gpu=H100,") || !strings.Contains(out, "miner=S21\\ XP ") || !strings.Contains(out, "miner_mw_total_on_npv=") {
		t.Errorf("line protocol:\n%s", out)
	}
}

func TestEconCapitalFormatsAgree(t *testing.T) {
	args := []string{"econ", "--offline", "--capital", "--colo", "name=TeraWulf", "--miner", "name=S21 XP,capex-per-th=15,debt=50%,debt-rate=9%,debt-term=3"}
	out, errOut, code := perwatt(t, nil, args...)
	if code != 0 || !strings.Contains(out, "NPV $M/MW") || !strings.Contains(out, "financed 50% at 9.0% over 3 yr") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	out, _, _ = perwatt(t, nil, append(args, "--json")...)
	var v struct {
		Capital struct {
			Investments []struct {
				Name       string   `json:"name"`
				NPVPerMW   *float64 `json:"npv_usd_per_mw"`
				NPVTotal   *float64 `json:"npv_usd_total"`
				CapexPerMW *float64 `json:"capex_usd_per_mw"`
				Years      []map[string]float64
				EquityNPV  *float64 `json:"equity_npv_usd_per_mw"`
			} `json:"investments"`
		} `json:"capital"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.Capital.Investments) != 2 {
		t.Fatalf("json %v:\n%s", err, out)
	}
	lp, _, _ := perwatt(t, nil, append(args, "--output", "lp")...)
	for _, inv := range v.Capital.Investments {
		if inv.NPVPerMW == nil || inv.NPVTotal == nil || inv.CapexPerMW == nil {
			t.Errorf("%s: missing per-MW or total fields", inv.Name)
		}
		if !strings.Contains(lp, "economics_capital,") || !strings.Contains(lp, ",kind=") || !strings.Contains(lp, "npv_usd_per_mw=") || !strings.Contains(lp, "economics_cash_flow,") {
			t.Errorf("line protocol lacks capital points:\n%s", lp)
		}
	}
	for _, inv := range v.Capital.Investments {
		if (inv.Name == "S21 XP") != (inv.EquityNPV != nil) {
			t.Errorf("%s: equity NPV %v; only the financed miner has one", inv.Name, inv.EquityNPV)
		}
	}
}

func TestEconOverflowIsAUsageErrorNamingTheInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the input the error names
	}{
		{[]string{"econ", "--offline", "--fees", "1e308", "--json"}, "--fees"},
		{[]string{"econ", "--offline", "--difficulty", "1e-300", "--btc-price", "1e300"}, "overflow"},
	} {
		out, errOut, code := perwatt(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Contains(out, "Inf") {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", tc.args, code, errOut, out)
		}
	}
}

func TestEconWarnsOnImplausibleInputs(t *testing.T) {
	_, errOut, code := perwatt(t, nil, "econ", "--offline", "--colo", "name=Shell,rate=128/kW-month", "--gpu", "name=H100,power=600W", "--power-price", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"below the H100 board power", "over $1/kWh"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("no warning %q in:\n%s", want, errOut)
		}
	}
}

func TestEconProjectFormatsAgreeOnPerMWAndTotal(t *testing.T) {
	args := []string{"econ", "project", "--offline", "--years", "3", "--mw", "10", "--colo", "name=Hut 8"}
	out, errOut, code := perwatt(t, nil, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		MW    float64 `json:"facility_mw_total"`
		Years []struct {
			LeaseRevenuePerMW float64 `json:"lease_revenue_usd_per_mw"`
			MiningProfitPerMW float64 `json:"mining_profit_usd_per_mw"`
		} `json:"years"`
		LeaseCapital struct {
			NPVPerMW float64  `json:"npv_usd_per_mw"`
			NPVTotal float64  `json:"npv_usd_total"`
			IRR      *float64 `json:"irr"`
		} `json:"lease_capital"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.MW != 10 || len(v.Years) != 3 {
		t.Fatalf("json %v: %+v", err, v)
	}
	if v.Years[0].LeaseRevenuePerMW >= v.Years[1].LeaseRevenuePerMW {
		t.Errorf("Hut 8 commences in mid-2027: year 1 lease revenue %.0f should be below year 2's %.0f", v.Years[0].LeaseRevenuePerMW, v.Years[1].LeaseRevenuePerMW)
	}
	lp, _, _ := perwatt(t, nil, append(args, "--output", "lp")...)
	want := fmt.Sprintf("lease_revenue_usd_total=%v", v.Years[1].LeaseRevenuePerMW*10)
	if !strings.Contains(lp, want) || !strings.Contains(lp, fmt.Sprintf("lease_revenue_usd_per_mw=%v", v.Years[1].LeaseRevenuePerMW)) {
		t.Errorf("line protocol lacks %s:\n%s", want, lp)
	}
	table, _, _ := perwatt(t, nil, args...)
	if !strings.Contains(table, fmt.Sprintf("%.3f", v.Years[1].LeaseRevenuePerMW*10/1e6)) || !strings.Contains(table, "$M total for 10 MW") {
		t.Errorf("table does not show year 2's lease revenue total %.3f:\n%s", v.Years[1].LeaseRevenuePerMW*10/1e6, table)
	}
}

func TestEconPlotsMarkCrossingsUserPriceAndNPV(t *testing.T) {
	file := filepath.Join(t.TempDir(), "chart.svg")
	_, errOut, code := perwatt(t, nil, "econ", "--offline", "--capital", "--power-price", "0.2", "--plot", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	svg, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	// The best miner only (not all five), the crossing with each lease, the
	// user's price, and an x-axis that reaches past $0.20/kWh.
	for _, want := range []string{"S23 Hydro (mining)", "S23 Hydro = Hut 8–Fluidstack at $", "your power price $0.200/kWh", ">0.25<"} {
		if !strings.Contains(s, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(s, "S19j Pro") {
		t.Error("chart draws every miner, not the best one")
	}
	npv, err := os.ReadFile(filepath.Join(filepath.Dir(file), "chart-npv.svg"))
	if err != nil || !strings.Contains(string(npv), "NPV = 0") {
		t.Errorf("capital chart: %v", err)
	}
}

// The capital figures README.md quotes come from these commands.
func TestREADMECapitalFigures(t *testing.T) {
	out, errOut, code := perwatt(t, nil, "econ", "--offline", "--capital")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := map[string][]string{
		"S21 XP":                     {"1.781", "-0.943", "-27.4%", "never", "$64.79/PH/day"},
		"H100":                       {"28.039", "-2.715", "6.3%", "54.1", "$2.22/GPU-h or 78% utilisation"},
		"B200":                       {"28.440", "7.677", "19.7%", "37.7"},
		"Hut 8–Fluidstack":           {"6.923", "2.210", "13.7%", "87.1", "$95.94/kW-month"},
		"TeraWulf–Fluidstack":        {"0.807", "11.8%", "85.1", "$117.87/kW-month"},
		"Core Scientific–CoreWeave":  {"1.154", "4.132", "46.1%", "32.3"},
		"IREN–Microsoft (GPU cloud)": {"29.231", "-1.336", "8.1%", "63.7", "$853.77/kW-month"},
	}
	capital := out[strings.Index(out, "\nCapital ("):]
	for name, want := range rows {
		line := lineWith(capital, " "+name+" ")
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q lacks %q", name, line, w)
			}
		}
	}
	if !strings.Contains(capital, "equity IRR 24.2%") {
		t.Error("Hut 8's equity IRR is not 24.2 %")
	}
	out, errOut, code = perwatt(t, nil, "econ", "claim", "--offline")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for name, want := range map[string]string{"S19j Pro": "153.3  1045.4  n/a", "S21": "88.0  163.7  n/a", "S21 XP": "67.8  103.2  n/a",
		"S21 XP Hydro": "63.3  92.5  n/a", "S23 Hydro": "50.1  65.7  n/a"} {
		if line := lineWith(out, " "+name+" "); !strings.Contains(strings.Join(strings.Fields(line), "  "), want) {
			t.Errorf("claim %s: %q, want %q", name, line, want)
		}
	}
	if !strings.Contains(out, "-2.715") {
		t.Error("claim does not show the H100's NPV of -2.715 $M/MW")
	}
}

func lineWith(s, sub string) string {
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(" "+l+" ", sub) {
			return l
		}
	}
	return ""
}

func TestEverySubcommandRefusesAnOverflowingMarket(t *testing.T) {
	for _, sub := range [][]string{{"econ"}, {"econ", "project"}, {"econ", "site"}, {"econ", "curtail"}, {"econ", "claim"}} {
		for _, format := range []string{"table", "json", "lp"} {
			args := append(append([]string{}, sub...), "--offline", "--fees", "1e308", "--output", format)
			out, errOut, code := perwatt(t, nil, args...)
			if code != exitUsage || !strings.Contains(errOut, "fees 1e+308") || strings.Contains(out, "Inf") {
				t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, errOut, out)
			}
		}
	}
}

// A flag that takes one spec refuses a second instead of keeping the last.
func TestOneSpecFlagsRefuseASecond(t *testing.T) {
	for _, args := range [][]string{
		{"econ", "project", "--offline", "--miner", "name=S21", "--miner", "name=S21 XP"},
		{"econ", "curtail", "--offline", "--miner", "name=S21", "--miner", "name=S21 XP"},
		{"econ", "claim", "--offline", "--gpu", "name=H100", "--gpu", "name=H200"},
	} {
		_, errOut, code := perwatt(t, nil, args...)
		if code != exitUsage || !strings.Contains(errOut, args[len(args)-2]) || !strings.Contains(errOut, "given twice") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
