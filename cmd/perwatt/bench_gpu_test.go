package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

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
