package gpuid

import (
	"strings"
	"testing"
)

func TestNormalizePCIBusID(t *testing.T) {
	for in, want := range map[string]string{
		"00000000:3B:00.0": "0000:3b:00.0", // NVML
		"0000:3b:00.0":     "0000:3b:00.0", // the CUDA driver
		"3b:00.0":          "0000:3b:00.0", // lspci
		" 0001:C1:1F.7 ":   "0001:c1:1f.7",
	} {
		if got, err := NormalizePCIBusID(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "gpu0", "3b", "3b:00", "0000:3b:00", "zz:00.0", "0000:3bz:00.0", "0000:3b:20.0", "0000:3b:00.8", "0000:100:00.0", "0000:3b:00.0:1"} {
		if got, err := NormalizePCIBusID(in); err == nil {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

func TestClockEventNames(t *testing.T) {
	if got := strings.Join(ClockEventNames(ClockEventSWPowerCap|ClockEventHWThermal|0x1000), ","); got != "sw_power_cap,hw_thermal_slowdown,0x1000" {
		t.Errorf("got %s", got)
	}
	if ClockEventNames(0) != nil {
		t.Error("no reasons should be nil")
	}
}
