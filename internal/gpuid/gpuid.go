// Package gpuid spells a GPU's identity one way for every part of perwatt
// that names a GPU: the PCI bus id that the NVML collector, gpubench and the
// appraisal match GPUs by, and the names of NVML's clocks-event (throttle)
// reasons, which appear in the `gpu` measurement and in `bench gpu` output.
package gpuid

import (
	"fmt"
	"strconv"
	"strings"
)

// NormalizePCIBusID turns NVML's "00000000:3B:00.0", the driver's
// "0000:3B:00.0" and lspci's "3b:00.0" into one form, "0000:3b:00.0".
func NormalizePCIBusID(s string) (string, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	parts := strings.Split(s, ":")
	if len(parts) == 2 {
		parts = append([]string{"0"}, parts...)
	}
	if len(parts) != 3 {
		return "", fmt.Errorf("PCI bus id %q: want domain:bus:device.function such as 0000:3b:00.0", s)
	}
	df := strings.Split(parts[2], ".")
	if len(df) != 2 {
		return "", fmt.Errorf("PCI bus id %q: want domain:bus:device.function such as 0000:3b:00.0", s)
	}
	var v [4]uint64
	for i, f := range []struct {
		txt string
		max uint64
	}{{parts[0], 0xffffffff}, {parts[1], 0xff}, {df[0], 0x1f}, {df[1], 7}} {
		n, err := strconv.ParseUint(f.txt, 16, 64)
		if err != nil || n > f.max {
			return "", fmt.Errorf("PCI bus id %q: field %q is not hexadecimal up to %#x", s, f.txt, f.max)
		}
		v[i] = n
	}
	return fmt.Sprintf("%04x:%02x:%02x.%x", v[0], v[1], v[2], v[3]), nil
}

// NVML clocks-event (throttle) reason bits, nvmlClocksEventReason* in
// nvml.h. They are repeated here so code built without cgo can decode a
// recorded bitmask.
const (
	ClockEventGPUIdle      = 0x1
	ClockEventAppClocks    = 0x2
	ClockEventSWPowerCap   = 0x4
	ClockEventHWSlowdown   = 0x8
	ClockEventSyncBoost    = 0x10
	ClockEventSWThermal    = 0x20
	ClockEventHWThermal    = 0x40
	ClockEventHWPowerBrake = 0x80
	ClockEventDisplayClock = 0x100
)

// ClockEvent is one reason bit and its name.
type ClockEvent struct {
	Bit  uint64
	Name string
}

// ClockEvents lists the reasons in bit order with the names every output
// uses (the `gpu` measurement's clock_event_<name> fields, `bench gpu`'s
// throttles).
func ClockEvents() []ClockEvent {
	return []ClockEvent{
		{ClockEventGPUIdle, "gpu_idle"},
		{ClockEventAppClocks, "applications_clocks_setting"},
		{ClockEventSWPowerCap, "sw_power_cap"},
		{ClockEventHWSlowdown, "hw_slowdown"},
		{ClockEventSyncBoost, "sync_boost"},
		{ClockEventSWThermal, "sw_thermal_slowdown"},
		{ClockEventHWThermal, "hw_thermal_slowdown"},
		{ClockEventHWPowerBrake, "hw_power_brake_slowdown"},
		{ClockEventDisplayClock, "display_clock_setting"},
	}
}

// ClockEventNames spells out a mask: the known reasons by name, any other
// bits as one hexadecimal word; nil for no reason.
func ClockEventNames(mask uint64) []string {
	var out []string
	for _, e := range ClockEvents() {
		if mask&e.Bit != 0 {
			out = append(out, e.Name)
			mask &^= e.Bit
		}
	}
	if mask != 0 {
		out = append(out, "0x"+strconv.FormatUint(mask, 16))
	}
	return out
}
