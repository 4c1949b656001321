package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perwatt/perwatt/sha256bench"
)

func TestBenchSHA256JSONContract(t *testing.T) {
	out, errOut, code := perwatt(t, nil, "bench", "sha256", "--json", "--duration", "300ms", "--warmup", "50ms",
		"--window", "100ms", "--yardstick", "50ms", "--threads", "1", "--kernel", "generic", "--power-w", "50")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"kernel", "threads", "duration_s", "hashes", "hashrate_hs", "per_thread_hs", "window_hs",
		"verified", "power_w", "power_source", "j_per_th", "cpu_model", "yardstick_hs", "economics"} {
		if _, ok := v[k]; !ok {
			t.Errorf("JSON lacks %q:\n%s", k, out)
		}
	}
	if v["kernel"] != "generic" || v["verified"] != true || v["power_w"] != 50.0 || !strings.Contains(v["power_source"].(string), "power-w") {
		t.Errorf("unexpected values:\n%s", out)
	}
	if hs, _ := v["hashrate_hs"].(float64); hs <= 0 {
		t.Errorf("hashrate %v", v["hashrate_hs"])
	}
	econ, _ := v["economics"].(map[string]any)
	if cpu, _ := econ["cpu"].(map[string]any); cpu == nil || cpu["j_per_th"] == nil {
		t.Errorf("economics without the CPU's figures: %v", econ)
	}
}

func TestBenchSHA256PowerUnavailableSaysWhy(t *testing.T) {
	out, errOut, code := perwatt(t, nil, "bench", "sha256", "--duration", "200ms", "--warmup", "0s",
		"--window", "100ms", "--yardstick", "0s", "--threads", "1", "--market", "none")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// This test host may or may not have RAPL; either way the source is named.
	if !strings.Contains(out, "power       unavailable (") && !strings.Contains(out, "W from rapl") {
		t.Errorf("no power line:\n%s", out)
	}
}

func TestBenchSHA256ListKernels(t *testing.T) {
	out, _, code := perwatt(t, nil, "bench", "sha256", "--list-kernels")
	if code != exitOK || !strings.Contains(out, "generic") || !strings.Contains(out, "(default)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestBenchSHA256BadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--kernel", "sse9"},
		{"--threads", "-2"},
		{"--duration", "0s"},
		{"--power-w", "-5"},
		{"--market", "moon"},
	} {
		_, errOut, code := perwatt(t, nil, append([]string{"bench", "sha256"}, args...)...)
		if code != exitUsage || !strings.Contains(errOut, args[0]) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestBenchSHA256TakesConfigDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "perwatt.toml")
	cfg := "[bench.sha256]\nkernel = \"generic\"\nduration = \"200ms\"\nthreads = 1\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := perwatt(t, nil, "--config", path, "bench", "sha256", "--json", "--warmup", "0s",
		"--window", "100ms", "--yardstick", "0s", "--market", "none")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Kernel    string  `json:"kernel"`
		Threads   int     `json:"threads"`
		DurationS float64 `json:"duration_s"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Kernel != "generic" || v.Threads != 1 || v.DurationS > 2 {
		t.Errorf("config not applied: %+v", v)
	}
	// A flag still wins over the file.
	out, _, _ = perwatt(t, nil, "--config", path, "bench", "sha256", "--json", "--warmup", "0s", "--kernel", "auto",
		"--window", "100ms", "--yardstick", "0s", "--market", "none")
	auto, _ := sha256bench.KernelByName("auto")
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Kernel != auto.Name {
		t.Errorf("--kernel auto did not override the file: %+v %v", v, err)
	}
}
