package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchAllMeasuresAndPrices runs the whole `make run` path briefly: a real
// SHA-256d measurement, the GPU step (absent here or real), and economics in
// which this CPU appears because a wall-meter reading is supplied.
func TestBenchAllMeasuresAndPrices(t *testing.T) {
	out, errOut, code := perwatt(t, nil, "bench", "all", "--offline", "--duration", "300ms",
		"--threads", "1", "--power-w", "100", "--gpu-duration", "200ms", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		SHA256 struct {
			HashrateHS float64  `json:"hashrate_hs"`
			Verified   bool     `json:"verified"`
			PowerW     *float64 `json:"power_w"`
		} `json:"sha256"`
		GPU       json.RawMessage `json:"gpu"`
		GPUNote   string          `json:"gpu_note"`
		Economics struct {
			Market struct {
				Source string `json:"source"`
			} `json:"market"`
			Profiles []struct {
				Name             string  `json:"name"`
				Kind             string  `json:"kind"`
				RevenueUSDPerDay float64 `json:"revenue_usd_per_day"`
				FacilityPowerW   float64 `json:"facility_power_w"`
			} `json:"profiles"`
		} `json:"economics"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !v.SHA256.Verified || !(v.SHA256.HashrateHS > 0) {
		t.Fatalf("sha256 part not measured: %+v", v.SHA256)
	}
	if v.GPU == nil && !strings.HasPrefix(v.GPUNote, "gpu: no NVIDIA") && !strings.Contains(v.GPUNote, "no NVIDIA GPU") {
		t.Errorf("neither GPU results nor a reason: %q", v.GPUNote)
	}
	if !strings.Contains(v.Economics.Market.Source, "offline") {
		t.Errorf("market source %q, want the offline snapshot", v.Economics.Market.Source)
	}
	found := false
	for _, p := range v.Economics.Profiles {
		if strings.HasPrefix(p.Name, "this CPU") {
			found = true
			if p.Kind != "mining" || p.FacilityPowerW != 100 || !(p.RevenueUSDPerDay > 0) {
				t.Errorf("measured CPU profile %+v", p)
			}
		}
	}
	if !found || len(v.Economics.Profiles) < 5 {
		t.Errorf("want the catalogue plus this CPU, got %d profiles (this CPU: %v)", len(v.Economics.Profiles), found)
	}
}

func TestBenchAllTableWithoutPower(t *testing.T) {
	out, errOut, code := perwatt(t, nil, "bench", "all", "--offline", "--duration", "200ms", "--threads", "1", "--no-gpu")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"== SHA-256d on this CPU", "gpu: skipped (--no-gpu)", "hashprice $", "S21 XP"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
