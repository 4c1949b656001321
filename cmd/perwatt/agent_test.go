package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
