package agent

import "testing"

func TestPromName(t *testing.T) {
	for _, tt := range []struct {
		meas, field, want string
		scale             float64
		counter           bool
	}{
		{"nvml", "power_w", "perwatt_nvml_power_watts", 1, false},
		{"host_power", "power_w", "perwatt_host_power_watts", 1, false},
		{"host_power", "power_min_w", "perwatt_host_power_min_watts", 1, false},
		{"rapl", "energy_j", "perwatt_rapl_energy_joules_total", 1, true},
		{"rapl", "energy_uj", "perwatt_rapl_energy_joules_total", 1e-6, true},
		{"asic", "hashrate_hs", "perwatt_asic_hashrate_hashes_per_second", 1, false},
		{"host", "mem_used_bytes", "perwatt_host_mem_used_bytes", 1, false},
		{"host_diskio", "io_time_ms_total", "perwatt_host_diskio_io_time_seconds_total", 1e-3, true},
		{"host_net", "recv_bytes_per_second", "perwatt_host_net_recv_bytes_per_second", 1, false},
		{"host", "cpu_time_user_s", "perwatt_host_cpu_time_user_seconds_total", 1, true},
		{"host_cpufreq", "freq_mhz", "perwatt_host_cpufreq_freq_hertz", 1e6, false},
		{"host_temp", "temp_c", "perwatt_host_temp_celsius", 1, false},
		{"host_psu", "input_voltage_v", "perwatt_host_psu_input_voltage_volts", 1, false},
		{"perwatt_synthetic", "seq", "perwatt_synthetic_seq", 1, false},
		{"asic-x", "fan.1_rpm", "perwatt_asic_x_fan_1_rpm", 1, false},
	} {
		name, scale, counter := promName(tt.meas, tt.field)
		if name != tt.want || scale != tt.scale || counter != tt.counter {
			t.Errorf("promName(%q, %q) = %q %g %v, want %q %g %v", tt.meas, tt.field, name, scale, counter, tt.want, tt.scale, tt.counter)
		}
	}
}
