package agent

import (
	"strings"
)

// Prometheus names from perwatt's: each unit suffix becomes the base unit
// Prometheus expects, with the scale to get there, and cumulative fields
// become counters (_total). perwatt's names carry their unit at the end
// (power_w, energy_j, hashrate_hs, read_time_ms_total), which is what
// makes this mechanical.

// promUnit maps a field's unit suffix to the Prometheus unit and scale.
var promUnits = []struct {
	suffix, unit string
	scale        float64
}{
	{"_hs", "_hashes_per_second", 1},
	{"_w", "_watts", 1},
	{"_uj", "_joules", 1e-6},
	{"_mj", "_joules", 1e-3},
	{"_j", "_joules", 1},
	{"_v", "_volts", 1},
	{"_c", "_celsius", 1},
	{"_mhz", "_hertz", 1e6},
	{"_us", "_seconds", 1e-6},
	{"_ms", "_seconds", 1e-3},
	{"_s", "_seconds", 1},
	{"_bytes", "_bytes", 1},
}

// promName turns a measurement and field into a metric name, its scale
// and whether it is a counter.
func promName(measurement, field string) (name string, scale float64, counter bool) {
	base := field
	if strings.HasSuffix(base, "_total") {
		counter, base = true, strings.TrimSuffix(base, "_total")
	}
	// Energy and CPU-time fields are monotonic totals by their nature.
	if strings.HasPrefix(base, "energy_") || strings.HasPrefix(base, "cpu_time_") {
		counter = true
	}
	scale = 1
	for _, u := range promUnits {
		if strings.HasSuffix(base, u.suffix) {
			base = strings.TrimSuffix(base, u.suffix) + u.unit
			scale = u.scale
			break
		}
	}
	m := measurement
	// host_power's power_w is perwatt_host_power_watts, not _power_power_.
	if i := strings.LastIndexByte(m, '_'); i >= 0 && strings.HasPrefix(base, m[i+1:]+"_") {
		base = strings.TrimPrefix(base, m[i+1:]+"_")
	}
	if !strings.HasPrefix(m, "perwatt_") {
		m = "perwatt_" + m
	}
	name = sanitizeName(m + "_" + base)
	if counter {
		name += "_total"
	}
	return name, scale, counter
}

// sanitizeName keeps [a-zA-Z0-9_:] and makes anything else an underscore;
// a leading digit gets one too.
func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

// sanitizeLabel is sanitizeName without colons, which labels may not hold.
func sanitizeLabel(s string) string {
	return strings.ReplaceAll(sanitizeName(s), ":", "_")
}
