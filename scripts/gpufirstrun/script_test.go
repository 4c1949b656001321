package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakePerwatt answers the first-run script's calls the way perwatt bench
// gpu --json does: a device list, and a one-kernel report with power unless
// --no-power.
const fakePerwatt = `#!/usr/bin/env bash
case " $* " in *" --list-devices "*) echo "0  NVIDIA H200  0000:3b:00.0"; exit 0;; esac
k=""; power=1; prev=""
for a in "$@"; do
  [ "$prev" = "--kernels" ] && k=$a
  [ "$a" = "--no-power" ] && power=0
  prev=$a
done
p=""
[ $power = 1 ] && p=',"power":{"avg_w":650.5,"sampled_avg_w":648,"energy_resolution_pct":2,"sm_clock_mhz":1755,"drift_pct":0.5,"throttles":["sw_power_cap"]}'
unit="flop/s"; [ "$k" = sha256d ] && unit="hash/s"; [ "$k" = copy_kernel ] || [ "$k" = memcpy_dtod ] && unit="byte/s"
echo '{"gpus":[{"index":0,"kernels":[{"kernel":"'$k'","unit":"'$unit'","rate":5e13,"verified":true,"peak_pct":70,"gpu_seconds":0.2'$p'}]}]}'
`

const fakeSMI = `#!/usr/bin/env bash
case " $* " in
*" -lms "*) while :; do echo "$(date '+%Y/%m/%d %H:%M:%S.000'), 0, 640.00, 1755, 60, 0x0000000000000004"; sleep 0.1; done;;
*" -q "*) echo "==============NVSMI LOG==============";;
*) echo "index, name"; echo "0, NVIDIA H200";;
esac
`

// TestMain lets the test binary run as the command itself, so the script
// test needs no go build.
func TestMain(m *testing.M) {
	if os.Getenv("GPUFIRSTRUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The script runs end to end against stand-ins for perwatt and nvidia-smi,
// so the first GPU machine's minutes are not spent on its typos.
func TestFirstRunScript(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the script is for Linux GPU machines")
	}
	bin := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(bin, name)
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	perwatt := write("perwatt", fakePerwatt)
	write("nvidia-smi", fakeSMI)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// This test binary stands in for the summariser (see TestMain).
	summary := write("gpufirstrun", "#!/bin/sh\nGPUFIRSTRUN_MAIN=1 exec '"+self+"' \"$@\"\n")
	out := t.TempDir()
	cmd := exec.Command("bash", "../gpu-first-run.sh")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "OUT="+out, "PERWATT="+perwatt, "SUMMARY="+summary)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, b)
	}
	log := string(b)
	for _, want := range []string{"== driver symbols", "== fp32_fma without power", "== sha256d with power", "== summary"} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q:\n%s", want, log)
		}
	}
	sum, err := os.ReadFile(filepath.Join(out, "summary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sum)), "\n")
	if len(lines) != 1+6 {
		t.Fatalf("summary has %d lines, want a header and 6 kernels:\n%s", len(lines), sum)
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, "650.5") || !strings.Contains(l, "sw_power_cap") || strings.Contains(l, "not run") {
			t.Errorf("summary line %q lacks the power run's figures", l)
		}
	}
	if !strings.Contains(lines[6], "GH/s") {
		t.Errorf("sha256d line %q not in GH/s", lines[6])
	}
}
