package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// econConfig writes a config whose market sources point at urls (no
// internet in tests) and whose cache lives in a temp dir.
func econConfig(t *testing.T, mempoolURL, blockchainURL string) (path, cache string) {
	t.Helper()
	dir := t.TempDir()
	cache = filepath.Join(dir, "market.json")
	path = filepath.Join(dir, "perwatt.toml")
	body := "[economics]\npower_price_usd_per_kwh = 0.05\nmempool_url = \"" + mempoolURL + "\"\nblockchain_url = \"" + blockchainURL +
		"\"\ncache_file = \"" + cache + "\"\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, cache
}

func TestEconOfflineJSONContract(t *testing.T) {
	out, errOut, code := perwatt(t, nil, "econ", "--offline", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Market struct {
			Difficulty, BTCPriceUSD, SubsidyBTC, FeesBTCPerBlock, HashpriceUSDPerPHDay *float64
			Source                                                                     string `json:"source"`
			AsOf                                                                       string `json:"as_of"`
		} `json:"market"`
		PowerPrice *float64         `json:"power_price_usd_per_kwh"`
		Profiles   []map[string]any `json:"profiles"`
		Note       string           `json:"market_note"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !strings.Contains(v.Market.Source, "offline") || v.Market.AsOf != "2025-04-06T00:00:00Z" || !strings.Contains(v.Note, "old") {
		t.Errorf("market source %q as_of %q note %q", v.Market.Source, v.Market.AsOf, v.Note)
	}
	if v.PowerPrice == nil || *v.PowerPrice != 0.05 {
		t.Errorf("power price %v, want the configured 0.05", v.PowerPrice)
	}
	names := map[string]bool{}
	for _, p := range v.Profiles {
		names[p["name"].(string)] = true
	}
	for _, n := range []string{"S19j Pro", "S21", "S21 XP", "S21 XP Hydro", "S23 Hydro", "H100", "H200", "B200", "Hut 8–Fluidstack"} {
		if !names[n] {
			t.Errorf("catalogue profile %q missing", n)
		}
	}
}

func TestEconCommandLineMarket(t *testing.T) {
	// All four market values given: nothing fetched. Difficulty 100e12, subsidy 3.125 + fees
	// 0.125, $100,000: hashprice = 1e15 × 86400 × 3.25 / (100e12 × 2^32) × 1e5 = $65.3788/PH/day.
	out, errOut, code := perwatt(t, nil, "econ", "--json", "--difficulty", "100e12", "--btc-price", "100000",
		"--subsidy", "3.125", "--fees", "0.125", "--power-price", "0.04",
		"--miner", "name=S21XP,hashrate=270TH,power=3645W,pool-fee=0,uptime=1", "--gpu", "name=H100,rate=2,power=1275W,utilization=1,pue=1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Market struct {
			Hashprice float64 `json:"hashprice_usd_per_ph_day"`
			Source    string  `json:"source"`
		} `json:"market"`
		Profiles []struct {
			Name      string  `json:"name"`
			Revenue   float64 `json:"revenue_usd_per_day"`
			NetPerWYr float64 `json:"net_usd_per_w_year"`
			Breakeven float64 `json:"breakeven_power_price_usd_per_kwh"`
		} `json:"profiles"`
		Breakevens []struct {
			Revenue float64 `json:"revenue_usd_per_ph_day"`
		} `json:"breakeven_hashprice"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	hp := 1e15 * 86400 * 3.25 / (100e12 * 4294967296) * 1e5
	if math.Abs(v.Market.Hashprice-hp) > 1e-9 || v.Market.Source != "the command line" {
		t.Errorf("hashprice %v from %q, want %v from the command line", v.Market.Hashprice, v.Market.Source, hp)
	}
	// S21 XP at 0.27 PH, no fee, full uptime: 0.27 × 65.3788 = $17.6523/day.
	if math.Abs(v.Profiles[0].Revenue-0.27*hp) > 1e-9 {
		t.Errorf("S21 XP revenue %v, want %v", v.Profiles[0].Revenue, 0.27*hp)
	}
	// H100 at $2 × 24 h = $48/day on 1.275 kW: net (48 − 1.275 × 24 × 0.04) × 365 / 1275 = $13.4533/W/yr.
	if want := (48 - 1.275*24*0.04) * 365 / 1275; math.Abs(v.Profiles[1].NetPerWYr-want) > 1e-9 {
		t.Errorf("H100 net/W/yr %v, want %v", v.Profiles[1].NetPerWYr, want)
	}
	// Breakeven hashprice: H100's $48/day per 1275 W on 3645 W = $137.22/day, / 0.27 PH = $508.24/PH/day.
	if len(v.Breakevens) != 1 || math.Abs(v.Breakevens[0].Revenue-48.0/1275*3645/0.27) > 1e-6 {
		t.Errorf("breakevens %+v", v.Breakevens)
	}
}

func TestEconBadSpecsAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--miner", "name=x,hashrate=270TX,power=3645W"}, []string{"--miner", "270TX", `unknown unit "TX"`}},
		{[]string{"--miner", "name=x,hashrate=270TH,power=-5W"}, []string{"--miner", "power must be positive"}},
		{[]string{"--gpu", "name=H100,utilization=1.5"}, []string{"--gpu", "utilization", "1.5"}},
		{[]string{"--gpu", "name=H100,colour=red"}, []string{"--gpu", `unknown key "colour"`}},
		{[]string{"--colo", "name=x,rate=10/kW-week"}, []string{"--colo", "kW-week"}},
		{[]string{"--height", "900000", "--subsidy", "3.125"}, []string{"--height and --subsidy"}},
		{[]string{"--power-price", "-1"}, []string{"--power-price"}},
		{[]string{"--btc-price", "0"}, []string{"--btc-price"}},
		{[]string{"--plot", "chart.gif"}, []string{"--plot", ".svg"}},
	} {
		args := append([]string{"econ", "--offline"}, tc.args...)
		out, errOut, code := perwatt(t, nil, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc.args, code, errOut)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || out != "" {
			t.Errorf("%v: want one line on stderr and nothing on stdout, got %q / %q", tc.args, errOut, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: %q lacks %q", tc.args, errOut, w)
			}
		}
	}
}

func TestEconLiveFallsBackAndCaches(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	defer dead.Close()
	bc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RequestURI() != "/stats" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"market_price_usd":90000,"difficulty":1.2e14,"n_blocks_total":925000,"total_fees_btc":288000000,"n_blocks_mined":144,"timestamp":%d}`,
			time.Now().UnixMilli())
	}))
	defer bc.Close()
	cfg, cache := econConfig(t, dead.URL, bc.URL)
	out, errOut, code := perwatt(t, nil, "--config", cfg, "econ", "--json", "--miner", "name=S21")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"source": "blockchain.info"`) || !strings.Contains(out, `"fees_btc_per_block": 0.02`) {
		t.Errorf("did not use the fallback source:\n%s", out)
	}
	if !strings.Contains(errOut, "market data source skipped") || !strings.Contains(errOut, "mempool.space") {
		t.Errorf("the failed source was not reported: %s", errOut)
	}
	if _, err := os.Stat(cache); err != nil {
		t.Errorf("no cache written: %v", err)
	}

	// Both sources down: the cache answers, and says so.
	cfg2, _ := econConfig(t, dead.URL, dead.URL)
	os.WriteFile(cfg2, []byte("[economics]\nmempool_url = \""+dead.URL+"\"\nblockchain_url = \"\"\ncache_file = \""+cache+"\"\n"), 0o644)
	out, errOut, code = perwatt(t, nil, "--config", cfg2, "econ", "--miner", "name=S21")
	if code != 0 || !strings.Contains(out, "cache of blockchain.info") {
		t.Errorf("exit %d, out:\n%s\n%s", code, out, errOut)
	}
}

func TestEconPlotAndLineProtocol(t *testing.T) {
	file := filepath.Join(t.TempDir(), "econ.svg")
	out, errOut, code := perwatt(t, nil, "econ", "--offline", "--output", "lp", "--plot", file, "--miner", "name=S21 XP", "--gpu", "name=H100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `economics,host=`) || !strings.Contains(out, `,kind=mining,profile=S21\ XP `) || !strings.Contains(out, "revenue_usd_per_w_year=") || !strings.Contains(out, "market,host=") {
		t.Errorf("line protocol:\n%s", out)
	}
	b, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "breakeven") {
		t.Errorf("chart not written as SVG with the breakeven marked (%v)", err)
	}
	page := filepath.Join(t.TempDir(), "econ.html")
	if _, errOut, code := perwatt(t, nil, "econ", "--offline", "--plot", page); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err = os.ReadFile(page)
	if err != nil || !strings.HasPrefix(string(b), "<!doctype html>") || !strings.Contains(string(b), "<svg") || strings.Contains(string(b), "<?xml") {
		t.Errorf("HTML page not written with the chart inline (%v)", err)
	}
}

func TestEconUsesOwnNodeFirst(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "__cookie__" || p != "c00kie" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var reqs []struct {
			ID     int    `json:"id"`
			Method string `json:"method"`
		}
		json.NewDecoder(r.Body).Decode(&reqs)
		var out []map[string]any
		for _, q := range reqs {
			res := map[string]any{"totalfee": 5_000_000}
			if q.Method == "getblockchaininfo" {
				res = map[string]any{"chain": "main", "blocks": 930000, "headers": 930001, "difficulty": 1.5e14,
					"time": time.Now().Add(-3 * time.Minute).Unix(), "initialblockdownload": false}
			}
			out = append(out, map[string]any{"id": q.ID, "result": res})
		}
		json.NewEncoder(w).Encode(out)
	}))
	defer node.Close()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/prices" {
			fmt.Fprintf(w, `{"time":%d,"USD":95000}`, time.Now().Unix())
			return
		}
		http.NotFound(w, r)
	}))
	defer web.Close()
	dir := t.TempDir()
	cookie := filepath.Join(dir, ".cookie")
	os.WriteFile(cookie, []byte("__cookie__:c00kie\n"), 0o600)
	cfg := filepath.Join(dir, "perwatt.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[economics]\nmempool_url = %q\nblockchain_url = \"\"\nbitcoind_url = %q\nbitcoind_cookie_file = %q\ncache_file = %q\n",
		web.URL, node.URL, cookie, filepath.Join(dir, "m.json"))), 0o644)
	out, errOut, code := perwatt(t, nil, "--config", cfg, "econ", "--json", "--miner", "name=S21")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// 5,000,000 sat a block = 0.05 BTC; height 930,000 → 3.125 BTC subsidy.
	for _, want := range []string{`"source": "bitcoind + mempool.space"`, `"fees_btc_per_block": 0.05`, `"btc_price_usd": 95000`, `"height": 930000`,
		`"difficulty": "bitcoind"`, `"btc_price_usd": "mempool"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "c00kie") {
		t.Error("the RPC password appears in the output")
	}
}

// The JSON a default `bench sha256 --json` writes is what `econ --measured`
// reads, and the CPU comes out of both priced the same, by the appraisal.
func TestEconMeasuredAgreesWithBench(t *testing.T) {
	dir := t.TempDir()
	benchOut, errOut, code := perwatt(t, nil, "bench", "sha256", "--json", "--duration", "200ms", "--threads", "1",
		"--warmup", "0s", "--yardstick", "0s", "--power-w", "50")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, errOut)
	}
	sha := filepath.Join(dir, "sha.json")
	os.WriteFile(sha, []byte(benchOut), 0o644)
	var bench struct {
		Economics struct {
			CPU struct {
				Mining struct {
					Revenue   float64 `json:"revenue_usd_per_day"`
					NetPerWYr float64 `json:"net_usd_per_w_year"`
				} `json:"mining"`
			} `json:"cpu"`
		} `json:"economics"`
	}
	if err := json.Unmarshal([]byte(benchOut), &bench); err != nil || bench.Economics.CPU.Mining.Revenue == 0 {
		t.Fatalf("bench JSON: %v\n%s", err, benchOut)
	}

	gpu := filepath.Join(dir, "gpu.json")
	os.WriteFile(gpu, []byte(`{"gpus":[{"index":0,"name":"NVIDIA H100 80GB HBM3","pci_bus_id":"0000:3b:00.0","kernels":[
		{"kernel":"bf16_mma","unit":"flop/s","rate":6e14,"verified":true,"power":{"avg_w":690}},
		{"kernel":"sha256d","unit":"hash/s","rate":9e9,"verified":true,"power":{"avg_w":600}}]}]}`), 0o644)
	out, errOut, code := perwatt(t, nil, "econ", "--offline", "--json", "--miner", "name=S21XP", "--measured", sha, "--measured", gpu)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Profiles []struct {
			Name      string  `json:"name"`
			Revenue   float64 `json:"revenue_usd_per_day"`
			NetPerWYr float64 `json:"net_usd_per_w_year"`
			DevW      float64 `json:"device_power_w"`
		} `json:"profiles"`
	}
	json.Unmarshal([]byte(out), &v)
	if len(v.Profiles) != 4 {
		t.Fatalf("want the CPU, the GPU's two uses and the S21 XP, got %+v", v.Profiles)
	}
	byName := map[string]int{}
	for i, p := range v.Profiles {
		for _, k := range []string{"this CPU", "GPU 0000:3b:00.0 (NVIDIA H100 80GB HBM3) lease", "GPU 0000:3b:00.0 (NVIDIA H100 80GB HBM3) mining"} {
			if strings.HasPrefix(p.Name, k) {
				byName[k] = i
			}
		}
	}
	if len(byName) != 3 {
		t.Fatalf("profiles %+v", v.Profiles)
	}
	cpu := v.Profiles[byName["this CPU"]]
	if math.Abs(cpu.Revenue-bench.Economics.CPU.Mining.Revenue) > 1e-12 || math.Abs(cpu.NetPerWYr-bench.Economics.CPU.Mining.NetPerWYr) > 1e-12 {
		t.Errorf("econ --measured CPU %+v; bench said %+v", cpu, bench.Economics.CPU.Mining)
	}
	// Catalogue H100: 575 W of server around the measured board power.
	if l := v.Profiles[byName["GPU 0000:3b:00.0 (NVIDIA H100 80GB HBM3) lease"]]; l.DevW != 690+575 {
		t.Errorf("lease %+v", l)
	}

	os.WriteFile(sha, []byte(`{"kernel":"shani","hashrate_hs":2.5e7,"verified":true,"power_w":null,"power_source":"unavailable","power_note":"no RAPL here"}`), 0o644)
	_, errOut, code = perwatt(t, nil, "econ", "--offline", "--measured", sha)
	if code != exitUsage || !strings.Contains(errOut, "no power reading (no RAPL here)") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	os.WriteFile(sha, []byte(`{"hashrate_hs":"fast"}`), 0o644)
	if _, errOut, code = perwatt(t, nil, "econ", "--offline", "--measured", sha); code != exitUsage || !strings.Contains(errOut, sha) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
