package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/economics/market"
	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/internal/spool"
)

// --once prints the lines one round would spool: every enabled collector,
// the global tags added, no spool and no network touched.
func TestAgentOncePrintsWhatWouldBeSent(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "perwatt.toml")
	spoolDir := filepath.Join(dir, "spool")
	body := "[tags]\nhost = \"rig-7\"\nsite = \"tx-1\"\n[influx]\nurl = \"http://127.0.0.1:1\"\nbucket = \"b\"\n[spool]\ndir = \"" + spoolDir + "\"\n" +
		"[collectors.host]\nenabled = false\n[collectors.nvml]\nenabled = false\n[collectors.rapl]\nenabled = false\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := perwatt(t, map[string]string{"PERWATT_TEST_SYNTHETIC": "3@10ms"}, "agent", "--once", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %d:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "perwatt_synthetic,host=rig-7,series=s") || !strings.Contains(l, ",site=tx-1 seq=") {
			t.Errorf("line lacks the global tags: %q", l)
		}
	}
	if _, err := os.Stat(spoolDir); !os.IsNotExist(err) {
		t.Errorf("--once touched the spool directory (stat: %v)", err)
	}
}

func TestAgentRejectsBadConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.toml")
	_ = os.WriteFile(cfg, []byte("[agent]\nretry_max_backoff = \"10ms\"\nmemory_limit = \"1MiB\"\n"), 0o600)
	_, errOut, code := perwatt(t, nil, "agent", "--config", cfg)
	if code == 0 {
		t.Fatal("agent started with a bad config")
	}
	for _, key := range []string{"agent.retry_max_backoff", "agent.memory_limit"} {
		if !strings.Contains(errOut, key) {
			t.Errorf("error does not name %s: %s", key, errOut)
		}
	}
}

// With agent.economics_catalogue the appraisal round also writes the
// catalogue's market and economics points for both kinds, even with no
// network (cache, then the embedded snapshot).
func TestAgentCatalogueEconomicsOffline(t *testing.T) {
	cfg := config.Default()
	cfg.Economics.MempoolURL, cfg.Economics.BlockchainURL = "", ""
	cfg.Spool.Dir = filepath.Join(t.TempDir(), "spool")
	cfg.Agent.EconomicsCatalogue = true
	a := &app{ctx: context.Background(), getenv: func(string) string { return "" }, logger: slog.New(slog.DiscardHandler), cfg: cfg}
	pts, err := a.appraisalJob(cfg).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	market := false
	for _, p := range pts {
		switch p.Measurement {
		case "economics":
			kinds[p.Tags["kind"]] = true
			if _, ok := p.Fields["revenue_usd_per_w_year"]; !ok {
				t.Errorf("economics point without revenue_usd_per_w_year: %v", p)
			}
		case "market":
			market = true
		}
	}
	if !market || !kinds["mining"] || !kinds["leasing"] {
		t.Fatalf("want a market point and mining and leasing profiles, got market=%v kinds=%v", market, kinds)
	}
}

// The CLI and the agent's economics job resolve the market with one resolver
// and one default cache file: what `perwatt econ` fetched, the agent uses
// without asking any host again while it is fresh, with each field's origin.
func TestAgentEconomicsSharesTheCLICache(t *testing.T) {
	var requests atomic.Int64
	bc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprintf(w, `{"market_price_usd":90000,"difficulty":1.2e14,"n_blocks_total":925000,"total_fees_btc":288000000,"n_blocks_mined":144,"timestamp":%d}`,
			time.Now().UnixMilli())
	}))
	defer bc.Close()
	state := t.TempDir()
	env := map[string]string{"STATE_DIRECTORY": state}
	cfgFile := filepath.Join(t.TempDir(), "perwatt.toml")
	os.WriteFile(cfgFile, []byte("[economics]\nmempool_url = \"\"\nblockchain_url = \""+bc.URL+"\"\n"), 0o644)
	if _, errOut, code := perwatt(t, env, "--config", cfgFile, "econ", "--miner", "name=S21"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(state, "market.json")); err != nil || requests.Load() != 1 {
		t.Fatalf("cache not in $STATE_DIRECTORY (%v) or %d requests", err, requests.Load())
	}
	cfg, err := config.Load(cfgFile, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	a := &app{ctx: context.Background(), getenv: func(k string) string { return env[k] }, logger: slog.New(slog.DiscardHandler), cfg: cfg}
	cfg.Agent.EconomicsCatalogue = true
	pts, err := a.appraisalJob(cfg).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if requests.Load() != 1 {
		t.Errorf("the agent fetched again (%d requests) though the CLI's snapshot is fresh", requests.Load())
	}
	for _, p := range pts {
		if p.Measurement == "market" && (p.Tags["source"] != "cache_of_blockchain.info" || p.Tags["src_price"] != "blockchain" || p.Tags["src_difficulty"] != "blockchain") {
			t.Errorf("market point tags %v", p.Tags)
		}
	}
}

// A second agent on a spool in use is told so, not sent to fix permissions.
func TestSecondAgentOnASpoolNamesTheLock(t *testing.T) {
	dir := t.TempDir()
	held, err := spool.Open(dir, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	cfg := filepath.Join(t.TempDir(), "p.toml")
	if err := os.WriteFile(cfg, []byte("[spool]\ndir = \""+dir+"\"\n[collectors.nvml]\nenabled = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := perwatt(t, nil, "agent", "--config", cfg)
	if code != exitError || !strings.Contains(errOut, "another perwatt agent is running on spool.dir") || strings.Contains(errOut, "writable") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// A daemon whose market sources all fail, with no cache, writes no
// appraisal at all rather than pricing the fleet with the months-old
// embedded snapshot; once a source answers, appraisals come back.
func TestAgentAppraisalNeedsAMarket(t *testing.T) {
	up := atomic.Bool{}
	bc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "<html><title>502 Bad Gateway</title></html>", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `{"market_price_usd":90000,"difficulty":1.2e14,"n_blocks_total":925000,"total_fees_btc":288000000,"n_blocks_mined":144,"timestamp":%d}`,
			time.Now().UnixMilli())
	}))
	defer bc.Close()
	env := map[string]string{"STATE_DIRECTORY": t.TempDir()}
	cfg := config.Default()
	cfg.Economics.MempoolURL, cfg.Economics.BlockchainURL = "", bc.URL
	a := &app{ctx: context.Background(), getenv: func(k string) string { return env[k] }, logger: slog.New(slog.DiscardHandler), cfg: cfg}
	rig := appraisalSource{{Kind: appraisal.KindASIC, ID: "rig-1", HashrateHS: 2e14, PowerW: 3500, PowerSource: appraisal.PowerMeasured}}
	job := a.appraisalJob(cfg, rig)
	pts, err := job.Collect(context.Background())
	if !errors.Is(err, market.ErrNoMarket) || len(pts) != 0 || !strings.Contains(err.Error(), "no source answered and there is no cached snapshot") {
		t.Fatalf("no market: %d points, err %v; want none and the reason", len(pts), err)
	}
	up.Store(true)
	// The 502 left the host a cooldown; while it lasts nothing is asked and
	// nothing written; once it is over the host is asked again by itself.
	if pts, err := job.Collect(context.Background()); err == nil || len(pts) != 0 {
		t.Fatalf("during the cooldown: %d points, %v", len(pts), err)
	}
	job.Market = agentMarket{a: a, cfg: cfg, now: func() time.Time { return time.Now().Add(time.Hour) }}
	pts, err = job.Collect(context.Background())
	if err != nil || len(pts) != 1 || pts[0].Tags["market_source"] != "live" {
		t.Fatalf("market back: %v, %v", pts, err)
	}
}

type appraisalSource []appraisal.Reading

func (s appraisalSource) Readings() []appraisal.Reading { return s }
