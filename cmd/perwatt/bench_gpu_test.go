package main

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perwatt/perwatt/economics/market"
	"github.com/perwatt/perwatt/gpubench"
)

// Without a driver the command must say so in one line and exit 3; with one
// (a GPU host) it must measure and verify.
func TestBenchGPUNoDriverOrRealRun(t *testing.T) {
	b, err := gpubench.Open(t.Context(), nil)
	if err != nil {
		if !errors.Is(err, gpubench.ErrNoDriver) && !errors.Is(err, gpubench.ErrNoDevice) {
			t.Fatalf("Open: %v", err)
		}
		out, errOut, code := perwatt(t, nil, "bench", "gpu", "--json")
		if code != exitNoGPU || out != "" {
			t.Errorf("exit %d, stdout %q", code, out)
		}
		if errOut != "perwatt: "+err.Error()+"\n" || strings.Count(errOut, "\n") != 1 {
			t.Errorf("stderr %q", errOut)
		}
		return
	}
	b.Close()
	out, errOut, code := perwatt(t, nil, "bench", "gpu", "--json", "--duration", "1s", "--warmup", "500ms", "--market", "offline")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		GPUs []struct {
			Kernels []struct {
				Kernel   string
				Verified bool
				Rate     float64
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.GPUs) == 0 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	for _, k := range v.GPUs[0].Kernels {
		t.Logf("%s verified=%v rate=%g", k.Kernel, k.Verified, k.Rate)
	}
}

func TestBenchGPUUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kernels", "fp64"}, `--kernels: unknown kernel "fp64"`},
		{[]string{"--device", "-2"}, "--device: gpu index -2"},
		{[]string{"--duration", "0s"}, "--duration 0s"},
		{[]string{"--copy-mib", "0"}, "--copy-mib 0"},
		{[]string{"--market", "tomorrow"}, `--market "tomorrow"`},
		{[]string{"--lease-rate", "-1"}, "--lease-rate -1"},
		{[]string{"--power-price", "50"}, "--power-price 50"},
	} {
		_, errOut, code := perwatt(t, nil, append([]string{"bench", "gpu"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}

func econGPU(name string, shaHS, shaW, mmaW float64) gpubench.GPUResult {
	g := gpubench.GPUResult{Device: gpubench.Device{Index: 0, Name: name}}
	g.Kernels = []gpubench.KernelResult{
		{Kernel: gpubench.KernelBF16MMA, Unit: gpubench.UnitFlops, Rate: 6e14, Verified: true, Power: &gpubench.PowerStats{AvgW: mmaW}},
		{Kernel: gpubench.KernelFP32FMA, Unit: gpubench.UnitFlops, Rate: 5e13, Verified: true, Power: &gpubench.PowerStats{AvgW: mmaW - 100}},
		{Kernel: gpubench.KernelSHA256d, Unit: gpubench.UnitHashes, Rate: shaHS, Verified: true, Power: &gpubench.PowerStats{AvgW: shaW}},
	}
	return g
}

func TestGPUEconomicsLeasingVersusMining(t *testing.T) {
	m := market.Offline().Market()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

	e := gpuEconFor(econGPU("NVIDIA H100 80GB HBM3", 9e9, 600, 690), m, 0.05, 0, 0, 1, now)
	if e.Leasing == nil || e.Mining == nil || e.LeasingPerWattX == nil {
		t.Fatalf("H100: %+v", e)
	}
	// Catalogue H100: $2.00/GPU-h, 1275 W all-in around a 700 W board.
	if e.ServerOverheadW != 575 || e.Leasing.DevicePowerW != 690+575 || e.Mining.DevicePowerW != 600+575 {
		t.Errorf("powers: overhead %g leasing %g mining %g", e.ServerOverheadW, e.Leasing.DevicePowerW, e.Mining.DevicePowerW)
	}
	if e.Mining.HashrateHS != 9e9 {
		t.Errorf("mining hashrate %g", e.Mining.HashrateHS)
	}
	if x := e.Leasing.RevenueUSDPerWYear / e.Mining.RevenueUSDPerWYear; math.Abs(*e.LeasingPerWattX-x) > 1e-9*x || x <= 1 {
		t.Errorf("ratio %g, want %g (>1)", *e.LeasingPerWattX, x)
	}

	// Not in the catalogue and no rate given: leasing is explained, mining still priced.
	e = gpuEconFor(econGPU("NVIDIA A100-SXM4-80GB", 4e9, 300, 400), m, 0.05, 0, 0, 1, now)
	if e.Leasing != nil || !strings.Contains(e.LeasingNote, "--lease-rate") || e.Mining == nil || e.ServerOverheadW != 0 {
		t.Errorf("A100 without rate: %+v", e)
	}
	e = gpuEconFor(econGPU("NVIDIA A100-SXM4-80GB", 4e9, 300, 400), m, 0.05, 1.2, 250, 1.2, now)
	if e.Leasing == nil || e.Leasing.DevicePowerW != 650 || e.Leasing.FacilityPowerW != 650*1.2 {
		t.Errorf("A100 with rate: %+v", e.Leasing)
	}

	// No power: neither use can be priced per watt, and the notes say why.
	g := econGPU("NVIDIA H100 80GB HBM3", 9e9, 600, 690)
	for i := range g.Kernels {
		g.Kernels[i].Power = nil
	}
	e = gpuEconFor(g, m, 0.05, 0, 0, 1, now)
	if e.Leasing != nil || e.Mining != nil || e.LeasingNote == "" || e.MiningNote == "" {
		t.Errorf("without power: %+v", e)
	}
}

func TestGPUCatalogueMatch(t *testing.T) {
	for name, want := range map[string]string{
		"NVIDIA H100 80GB HBM3": "H100", "NVIDIA H200": "H200", "NVIDIA B200": "B200", "NVIDIA L40S": "",
	} {
		g, ok := gpuCatalogue(name)
		if g.Name != want || ok != (want != "") {
			t.Errorf("%s: %q %v", name, g.Name, ok)
		}
	}
}
