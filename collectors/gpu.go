package collectors

import (
	"strconv"
	"strings"
	"time"

	"github.com/perwatt/perwatt/internal/gpuid"
)

// GPUInfo identifies one GPU; it does not change while the driver is loaded.
type GPUInfo struct {
	Index          int    `json:"index"`
	UUID           string `json:"uuid"`
	Model          string `json:"model"`
	PCIBusID       string `json:"pci_bus_id"` // as NVML spells it, e.g. 00000000:3B:00.0
	MemTotalBytes  uint64 `json:"mem_total_bytes"`
	MaxSMClockMHz  uint32 `json:"max_sm_clock_mhz"`
	MaxMemClockMHz uint32 `json:"max_mem_clock_mhz"`
}

// GPUSample is one reading of one GPU, for benchmarks that need power and
// clocks while they run. Fields the GPU does not support are zero and their
// Has flag is false.
type GPUSample struct {
	Time     time.Time `json:"time"`
	Index    int       `json:"index"`
	UUID     string    `json:"uuid"`
	PCIBusID string    `json:"pci_bus_id"`

	// PowerW is nvmlDeviceGetPowerUsage: a 1-second average on Ampere and
	// newer, so short bursts are smoothed; PowerInstantW is the
	// instantaneous reading where the driver exposes it.
	PowerW        float64 `json:"power_w"`
	PowerInstantW float64 `json:"power_instant_w,omitempty"`
	HasInstant    bool    `json:"has_instant"`
	// EnergyMJ is the energy counter in mJ, kept monotonic across driver
	// reloads (which reset the hardware counter); differences between two
	// samples are the energy used in between.
	EnergyMJ  uint64 `json:"energy_mj"`
	HasEnergy bool   `json:"has_energy"`

	PowerLimitW     float64 `json:"power_limit_w"`
	SMClockMHz      uint32  `json:"sm_clock_mhz"`
	MemClockMHz     uint32  `json:"mem_clock_mhz"`
	TempC           float64 `json:"temp_c"`
	UtilGPUPercent  float64 `json:"util_gpu_percent"`
	UtilMemPercent  float64 `json:"util_mem_percent"`
	MemUsedBytes    uint64  `json:"mem_used_bytes"`
	ThrottleReasons uint64  `json:"throttle_reasons"` // NVML clocks-event bitmask
	// HasThrottleReasons is false where the driver has no reasons call or
	// it failed: a zero mask then means "unknown", not "not throttled".
	HasThrottleReasons bool `json:"has_throttle_reasons"`
}

// Throttled reports whether clocks were held down by power or heat (idle
// and application-clock settings do not count).
func (s GPUSample) Throttled() bool {
	return s.ThrottleReasons&(gpuid.ClockEventSWPowerCap|gpuid.ClockEventHWSlowdown|gpuid.ClockEventSWThermal|gpuid.ClockEventHWThermal|gpuid.ClockEventHWPowerBrake) != 0
}

// decodeClockEvents adds one boolean per known reason and a readable list
// ("sw_power_cap,hw_thermal_slowdown", or "none") to f.
func decodeClockEvents(mask uint64, f map[string]any) {
	var active []string
	known := uint64(0)
	for _, r := range gpuid.ClockEvents() {
		on := mask&r.Bit != 0
		f["clock_event_"+r.Name] = on
		known |= r.Bit
		if on {
			active = append(active, r.Name)
		}
	}
	if rest := mask &^ known; rest != 0 {
		active = append(active, "0x"+strconv.FormatUint(rest, 16))
	}
	if len(active) == 0 {
		active = []string{"none"}
	}
	f["clock_event_reasons"] = int64(mask)
	f["clock_event_names"] = strings.Join(active, ",")
}

// energyCounter keeps a monotonic total over a hardware counter that
// restarts from zero when the driver reloads.
type energyCounter struct {
	have   bool
	last   uint64
	base   uint64 // energy counted before the last reset
	resets int64
}

func (e *energyCounter) update(raw uint64) (total uint64) {
	if e.have && raw < e.last {
		e.base += e.last
		e.resets++
	}
	e.have, e.last = true, raw
	return e.base + raw
}
