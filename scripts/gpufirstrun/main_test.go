package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perwatt/perwatt/gpubench"
)

func writeReport(t *testing.T, path string, k gpubench.KernelResult) {
	t.Helper()
	r := gpubench.Report{GPUs: []gpubench.GPUResult{{Kernels: []gpubench.KernelResult{k}}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSummaryLine(t *testing.T) {
	dir := t.TempDir()
	bf16 := gpubench.KernelResult{Kernel: gpubench.KernelBF16MMA, Unit: gpubench.UnitFlops, Verified: true, Rate: 600e12,
		PeakPct: 61.2, CeilingPct: 97.1, CeilingProvisional: true, GPUSeconds: 10}
	writeReport(t, filepath.Join(dir, "nopower-bf16_mma.json"), bf16)
	bf16.Rate = 598e12
	bf16.Power = &gpubench.PowerStats{AvgW: 650.4, SampledAvgW: 648.9, EnergyResolutionPct: 2, SMClockMHz: 1755,
		DriftPct: 1.25, Throttles: []string{"sw_power_cap"}}
	writeReport(t, filepath.Join(dir, "power-bf16_mma.json"), bf16)

	// Window: 100 s .. 125 s; steady phase: the 10 s before 124 s.
	t0 := time.Unix(100, 0)
	if err := os.WriteFile(filepath.Join(dir, "window-bf16_mma.txt"), []byte("100.0 125.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var smi strings.Builder
	for i := 0; i <= 250; i++ {
		ts := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		w := 100.0 // warm-up and verification
		if i >= 140 && i <= 240 {
			w = 640
		}
		fmt.Fprintf(&smi, "%s, 0, %.2f, 1755, 61, 0x0000000000000004\n", ts.Local().Format("2006/01/02 15:04:05.000"), w)
	}
	if err := os.WriteFile(filepath.Join(dir, "smi.csv"), []byte(smi.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := run([]string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	var got string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "bf16_mma") {
			got = l
		}
	}
	for _, want := range []string{"600.0TF", "598.0TF", "61.2", "97.1*", "650.4", "648.9", "640.0", "2.0", "1755", "+1.2", "sw_power_cap"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	if !strings.Contains(out.String(), "fp32_fma     not run") {
		t.Errorf("a kernel without results is not reported as not run:\n%s", out.String())
	}
}
