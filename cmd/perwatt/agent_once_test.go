package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --once on a host without RAPL: one full round with rates (two samples a
// second apart), the absent source said once at info with its fix and not
// as a failure, and --output json honoured.
func TestAgentOnceFullRoundWithRates(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "perwatt.toml")
	body := "[tags]\nhost = \"gpu-1\"\n[spool]\ndir = \"" + filepath.Join(dir, "spool") + "\"\n" +
		"[collectors.host]\nenabled = true\nper_cpu = true\n[collectors.nvml]\nenabled = false\n[collectors.ipmi]\nenabled = false\n" +
		"[collectors.rapl]\nenabled = true\nsysfs_root = \"" + filepath.Join(dir, "no-powercap") + "\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := perwatt(t, nil, "agent", "--once", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var host, perCPU int
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case strings.HasPrefix(l, "host,") && strings.Contains(l, "cpu_usage_percent="):
			host++
		case strings.HasPrefix(l, "host_cpu,cpu=cpu0,host=gpu-1 ") && strings.Contains(l, "usage_percent="):
			perCPU++
		}
	}
	if host != 1 || perCPU != 1 {
		t.Errorf("want one host line with CPU utilisation and a cpu0 line; got %d and %d:\n%s", host, perCPU, out)
	}
	if strings.Contains(errOut, "WARN") || strings.Contains(errOut, "rapl: rapl:") {
		t.Errorf("an absent source must not warn or repeat its prefix:\n%s", errOut)
	}
	if n := strings.Count(errOut, "source not present on this host"); n != 1 || !strings.Contains(errOut, "enabled = false") {
		t.Errorf("absent RAPL said %d times (want once, with the fix):\n%s", n, errOut)
	}

	out, errOut, code = perwatt(t, nil, "agent", "--once", "--output", "json", "--config", cfg)
	if code != 0 {
		t.Fatalf("json: exit %d: %s", code, errOut)
	}
	var res struct {
		Collectors []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Points []struct {
				Measurement string            `json:"measurement"`
				Tags        map[string]string `json:"tags"`
				Fields      map[string]any    `json:"fields"`
			} `json:"points"`
		} `json:"collectors"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--output json is not JSON: %v\n%s", err, out)
	}
	status := map[string]string{}
	for _, c := range res.Collectors {
		status[c.Name] = c.Status
		for _, p := range c.Points {
			if p.Tags["host"] != "gpu-1" {
				t.Errorf("%s point without the global tags: %v", p.Measurement, p.Tags)
			}
			if p.Measurement == "host" && p.Fields["cpu_usage_percent"] == nil {
				t.Errorf("json host point without CPU utilisation: %v", p.Fields)
			}
		}
	}
	if status["host"] != "ok" || status["rapl"] != "unavailable" {
		t.Errorf("statuses %v, want host ok and rapl unavailable", status)
	}
}
