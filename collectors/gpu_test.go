package collectors

import "testing"

func TestDecodeClockEvents(t *testing.T) {
	tests := []struct {
		mask  uint64
		names string
	}{
		{0, "none"},
		{0x1, "gpu_idle"},
		{0x4 | 0x80, "sw_power_cap,hw_power_brake_slowdown"},
		{0x20 | 0x1000, "sw_thermal_slowdown,0x1000"},
	}
	for _, tt := range tests {
		f := map[string]any{}
		decodeClockEvents(tt.mask, f)
		if f["clock_event_names"] != tt.names || f["clock_event_reasons"] != int64(tt.mask) {
			t.Errorf("mask %#x: names %v reasons %v; want %q", tt.mask, f["clock_event_names"], f["clock_event_reasons"], tt.names)
		}
		if f["clock_event_sw_power_cap"] != (tt.mask&0x4 != 0) {
			t.Errorf("mask %#x: clock_event_sw_power_cap = %v", tt.mask, f["clock_event_sw_power_cap"])
		}
	}
}

func TestGPUSampleThrottled(t *testing.T) {
	for mask, want := range map[uint64]bool{0: false, 0x1: false, 0x2: false, 0x4: true, 0x40: true, 0x80: true} {
		if got := (GPUSample{ThrottleReasons: mask}).Throttled(); got != want {
			t.Errorf("Throttled(%#x) = %v, want %v", mask, got, want)
		}
	}
}

func TestEnergyCounter(t *testing.T) {
	var e energyCounter
	for i, step := range []struct {
		raw, total uint64
		resets     int64
	}{{100, 100, 0}, {150, 150, 0}, {150, 150, 0}, {10, 160, 1}, {40, 190, 1}, {5, 195, 2}} {
		if got := e.update(step.raw); got != step.total || e.resets != step.resets {
			t.Errorf("step %d: total %d resets %d; want %d %d", i, got, e.resets, step.total, step.resets)
		}
	}
}
