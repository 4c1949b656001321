//go:build cgo

package collectors

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// undefinedSymbol stands for what go-nvml does when the driver's library
// lacks a function: the dynamic linker ends the process (exit 127).
func undefinedSymbol(t *testing.T, sym string) {
	t.Helper()
	t.Fatalf("called %s, which this driver lacks: the process would die with \"undefined symbol\"", sym)
}

func TestNVMLDriverWithoutClocksEventReasons(t *testing.T) {
	tests := []struct {
		name     string
		missing  []string
		wantMask uint64
		wantHas  bool
	}{
		{"pre-R535 driver: older throttle-reasons call", []string{symClocksEventReasons}, 0x4, true},
		{"neither call", []string{symClocksEventReasons, symClocksThrottleReasons}, 0, false},
		{"current driver", nil, 0x44, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, devs := newDGX(t)
			srv.LookupSymbolFunc = func(sym string) error {
				for _, m := range tt.missing {
					if sym == m {
						return errors.New("undefined symbol: " + sym)
					}
				}
				return nil
			}
			for _, d := range devs {
				if len(tt.missing) > 0 {
					d.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) {
						undefinedSymbol(t, symClocksEventReasons)
						return 0, nvml.SUCCESS
					}
				}
				d.GetCurrentClocksThrottleReasonsFunc = func() (uint64, nvml.Return) {
					if len(tt.missing) > 1 {
						undefinedSymbol(t, symClocksThrottleReasons)
					}
					return nvml.ClocksEventReasonSwPowerCap, nvml.SUCCESS
				}
			}
			n := newTestNVML(srv)
			s, err := n.Sample(context.Background(), "0000:18:00.0")
			if err != nil {
				t.Fatal(err)
			}
			if s.ThrottleReasons != tt.wantMask || s.HasThrottleReasons != tt.wantHas || s.PowerW != 350 || !s.HasEnergy {
				t.Fatalf("sample = %+v; want reasons %#x (has %v) with power and energy", s, tt.wantMask, tt.wantHas)
			}
		})
	}
}

// Every reading but power and energy is best-effort: one failing query (a
// deprecated call, a flaky sensor) leaves its field out and the sample
// stands; when the query answers again, the field is back.
func TestNVMLOptionalReadingFailureKeepsPower(t *testing.T) {
	type setter func(d *server.Device, ret nvml.Return)
	tests := []struct {
		reading string
		field   string
		set     setter
	}{
		{"power limit", "power_limit_w", func(d *server.Device, r nvml.Return) {
			d.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return 700000, r }
		}},
		{"utilization", "util_gpu_percent", func(d *server.Device, r nvml.Return) {
			d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) { return nvml.Utilization{Gpu: 97}, r }
		}},
		{"sm clock", "clock_sm_mhz", func(d *server.Device, r nvml.Return) {
			d.GetClockInfoFunc = func(nvml.ClockType) (uint32, nvml.Return) { return 1755, r }
		}},
		{"temperature", "temp_c", func(d *server.Device, r nvml.Return) {
			d.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 64, r }
		}},
		{"memory", "mem_used_bytes", func(d *server.Device, r nvml.Return) {
			d.GetMemoryInfoFunc = func() (nvml.Memory, nvml.Return) { return nvml.Memory{Used: 1, Total: 2}, r }
		}},
		{"performance state", "pstate", func(d *server.Device, r nvml.Return) {
			d.GetPerformanceStateFunc = func() (nvml.Pstates, nvml.Return) { return nvml.PSTATE_0, r }
		}},
		{"clock event reasons", "clock_event_reasons", func(d *server.Device, r nvml.Return) {
			d.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) { return 4, r }
		}},
		{"instant power", "power_instant_w", func(d *server.Device, r nvml.Return) {
			d.GetFieldValuesFunc = func(fv []nvml.FieldValue) nvml.Return {
				fv[0].ValueType = uint32(nvml.VALUE_TYPE_UNSIGNED_INT)
				fv[0].Value = [8]byte{0x60, 0x49, 0x06} // 412000 mW
				fv[0].NvmlReturn = uint32(r)
				return nvml.SUCCESS
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.reading, func(t *testing.T) {
			srv, devs := newDGX(t)
			n := newTestNVML(srv)
			ctx := context.Background()
			tt.set(devs[0], nvml.ERROR_UNKNOWN)
			s, err := n.Sample(ctx, "0000:18:00.0")
			if err != nil {
				t.Fatalf("a failing %s failed the whole sample: %v", tt.reading, err)
			}
			if s.PowerW != 350 || !s.HasEnergy {
				t.Fatalf("power lost with a failing %s: %+v", tt.reading, s)
			}
			pts, err := n.Collect(ctx)
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			if _, ok := pts[0].Fields[tt.field]; ok {
				t.Errorf("%s reported although the query failed", tt.field)
			}
			// The fault ends: the field comes back by itself.
			tt.set(devs[0], nvml.SUCCESS)
			pts, err = n.Collect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := pts[0].Fields[tt.field]; !ok {
				t.Errorf("%s still missing after the query recovered", tt.field)
			}
		})
	}
}

func TestNVMLRemovedCallIsNotAskedAgain(t *testing.T) {
	srv, devs := newDGX(t)
	calls := 0
	devs[0].GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) {
		calls++
		return 0, nvml.ERROR_FUNCTION_NOT_FOUND
	}
	n := newTestNVML(srv)
	for range 3 {
		if _, err := n.Sample(context.Background(), "0000:18:00.0"); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("removed temperature call made %d times, want 1", calls)
	}
}

func TestNVMLRequiredReadingsStillFail(t *testing.T) {
	for _, what := range []string{"power", "energy"} {
		t.Run(what, func(t *testing.T) {
			srv, devs := newDGX(t)
			if what == "power" {
				devs[0].GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_UNKNOWN }
			} else {
				devs[0].GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_UNKNOWN }
			}
			_, err := newTestNVML(srv).Sample(context.Background(), "0000:18:00.0")
			if err == nil || !strings.Contains(err.Error(), what+": unknown error") {
				t.Fatalf("err = %v, want the %s failure", err, what)
			}
		})
	}
}
