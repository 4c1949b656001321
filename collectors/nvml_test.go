//go:build cgo

package collectors

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

func metricLine(p metric.Point) []byte { return metric.AppendLine(nil, p) }

// newDGX returns the 8-GPU DGX H100 mock with the readings its devices
// leave unset filled in; GPU i draws 350+i W.
func newDGX(t *testing.T) (*server.Server, []*server.Device) {
	t.Helper()
	srv := dgxh100.New()
	devs := make([]*server.Device, len(srv.Devices))
	for i, d := range srv.Devices {
		dev := d.(*server.Device)
		devs[i] = dev
		busID := fmt.Sprintf("00000000:%02X:00.0", 0x18+i)
		dev.GetPciInfoFunc = func() (nvml.PciInfo, nvml.Return) {
			var p nvml.PciInfo
			for j := range len(busID) {
				p.BusId[j] = int8(busID[j])
			}
			return p, nvml.SUCCESS
		}
		dev.GetPowerUsageFunc = func() (uint32, nvml.Return) { return uint32(350000 + 1000*i), nvml.SUCCESS }
		dev.GetFieldValuesFunc = func(fv []nvml.FieldValue) nvml.Return {
			for k := range fv {
				fv[k].ValueType = uint32(nvml.VALUE_TYPE_UNSIGNED_INT)
				binary.LittleEndian.PutUint32(fv[k].Value[:], 412000)
				fv[k].NvmlReturn = uint32(nvml.SUCCESS)
			}
			return nvml.SUCCESS
		}
		dev.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 123456789, nvml.SUCCESS }
		dev.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return 700000, nvml.SUCCESS }
		dev.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
			return nvml.Utilization{Gpu: 97, Memory: 45}, nvml.SUCCESS
		}
		clocks := map[nvml.ClockType]uint32{nvml.CLOCK_SM: 1755, nvml.CLOCK_MEM: 2619}
		maxClocks := map[nvml.ClockType]uint32{nvml.CLOCK_SM: 1980, nvml.CLOCK_MEM: 2619}
		dev.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) { return clocks[c], nvml.SUCCESS }
		dev.GetMaxClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) { return maxClocks[c], nvml.SUCCESS }
		dev.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 64, nvml.SUCCESS }
		dev.GetPerformanceStateFunc = func() (nvml.Pstates, nvml.Return) { return nvml.PSTATE_0, nvml.SUCCESS }
		dev.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) {
			return nvml.ClocksEventReasonSwPowerCap | nvml.ClocksThrottleReasonHwThermalSlowdown, nvml.SUCCESS
		}
		dev.MemoryInfo.Used = 40 << 30
	}
	return srv, devs
}

func newTestNVML(lib nvml.Interface) *NVML {
	n := NewNVML(lib, discard())
	n.now = func() time.Time { return time.Unix(1700000000, 0) }
	return n
}

func TestNVMLCollect(t *testing.T) {
	srv, devs := newDGX(t)
	n := newTestNVML(srv)
	pts, err := n.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 8 {
		t.Fatalf("%d points, want 8", len(pts))
	}
	p := pts[0]
	wantTags := map[string]string{"uuid": devs[0].UUID, "index": "0", "model": "NVIDIA H100 80GB HBM3", "pci_bus_id": "00000000:18:00.0"}
	for k, v := range wantTags {
		if p.Tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, p.Tags[k], v)
		}
	}
	want := map[string]any{
		"power_w": 350.0, "power_instant_w": 412.0, "power_limit_w": 700.0,
		"energy_mj": uint64(123456789), "energy_total_mj": uint64(123456789), "energy_resets": int64(0),
		"util_gpu_percent": 97.0, "util_mem_percent": 45.0,
		"clock_sm_mhz": int64(1755), "clock_mem_mhz": int64(2619), "clock_sm_max_mhz": int64(1980), "clock_mem_max_mhz": int64(2619),
		"temp_c": 64.0, "mem_used_bytes": uint64(40 << 30), "mem_total_bytes": devs[0].MemoryInfo.Total, "pstate": int64(0),
		"clock_event_reasons": int64(0x44), "clock_event_names": "sw_power_cap,hw_thermal_slowdown",
		"clock_event_sw_power_cap": true, "clock_event_hw_thermal_slowdown": true, "clock_event_gpu_idle": false,
	}
	for k, v := range want {
		if p.Fields[k] != v {
			t.Errorf("field %s = %#v, want %#v", k, p.Fields[k], v)
		}
	}
	if got := pts[7].Fields["power_w"]; got != 357.0 {
		t.Errorf("GPU 7 power_w = %v, want 357", got)
	}
	for _, p := range pts {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestNVMLInstantPowerUnsupportedAskedOnce(t *testing.T) {
	srv, devs := newDGX(t)
	devs[1].GetFieldValuesFunc = func(fv []nvml.FieldValue) nvml.Return {
		fv[0].NvmlReturn = uint32(nvml.ERROR_NOT_SUPPORTED)
		return nvml.SUCCESS
	}
	n := newTestNVML(srv)
	for range 3 {
		pts, err := n.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := pts[1].Fields["power_instant_w"]; ok {
			t.Fatal("power_instant_w reported for a GPU without the field")
		}
		if _, ok := pts[0].Fields["power_instant_w"]; !ok {
			t.Fatal("power_instant_w missing where supported")
		}
	}
	if got := len(devs[1].GetFieldValuesCalls()); got != 1 {
		t.Errorf("asked an unsupporting GPU %d times, want once", got)
	}
}

func TestNVMLEnergyAcrossDriverReload(t *testing.T) {
	srv, devs := newDGX(t)
	seq := []uint64{1000, 5000, 200, 700}
	call := 0
	devs[0].GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { v := seq[call]; call++; return v, nvml.SUCCESS }
	n := newTestNVML(srv)
	wantTotal := []uint64{1000, 5000, 5200, 5700}
	wantResets := []int64{0, 0, 1, 1}
	for i := range seq {
		pts, err := n.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f := pts[0].Fields
		if f["energy_mj"] != seq[i] || f["energy_total_mj"] != wantTotal[i] || f["energy_resets"] != wantResets[i] {
			t.Errorf("read %d: energy_mj=%v total=%v resets=%v; want %d %d %d",
				i, f["energy_mj"], f["energy_total_mj"], f["energy_resets"], seq[i], wantTotal[i], wantResets[i])
		}
	}
}

// failIfCalled returns a mock library whose Init returns ret and whose
// every other function fails the test: after a failed Init, go-nvml's
// stubs for an unloaded library end the process with exit 127.
func failIfCalled(t *testing.T, ret nvml.Return) *mock.Interface {
	fail := func(name string) { t.Helper(); t.Errorf("%s called after Init failed", name) }
	return &mock.Interface{
		InitFunc:     func() nvml.Return { return ret },
		ShutdownFunc: func() nvml.Return { fail("Shutdown"); return nvml.SUCCESS },
		DeviceGetCountFunc: func() (int, nvml.Return) {
			fail("DeviceGetCount")
			return 0, nvml.SUCCESS
		},
		DeviceGetHandleByIndexFunc: func(int) (nvml.Device, nvml.Return) {
			fail("DeviceGetHandleByIndex")
			return nil, nvml.SUCCESS
		},
		DeviceGetHandleByPciBusIdFunc: func(string) (nvml.Device, nvml.Return) {
			fail("DeviceGetHandleByPciBusId")
			return nil, nvml.SUCCESS
		},
		ErrorStringFunc:            func(nvml.Return) string { fail("ErrorString"); return "" },
		SystemGetDriverVersionFunc: func() (string, nvml.Return) { fail("SystemGetDriverVersion"); return "", nvml.SUCCESS },
		// Any function left nil panics when called, which fails the test too.
	}
}

func TestNVMLInitFailureMakesNoFurtherCalls(t *testing.T) {
	tests := []struct {
		ret             nvml.Return
		wantUnavailable bool
		wantMsg         string
	}{
		{nvml.ERROR_LIBRARY_NOT_FOUND, true, "libnvidia-ml.so.1 not found"},
		{nvml.ERROR_DRIVER_NOT_LOADED, true, "driver is not loaded"},
		{nvml.ERROR_NO_PERMISSION, false, "no permission"},
	}
	for _, tt := range tests {
		t.Run(tt.wantMsg, func(t *testing.T) {
			lib := failIfCalled(t, tt.ret)
			n := newTestNVML(lib)
			ctx := context.Background()
			for range 2 {
				pts, err := n.Collect(ctx)
				if len(pts) != 0 || err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("Collect = %v, %v; want no points and an error naming %q", pts, err, tt.wantMsg)
				}
				if errors.Is(err, ErrUnavailable) != tt.wantUnavailable {
					t.Errorf("errors.Is(err, ErrUnavailable) = %v, want %v", !tt.wantUnavailable, tt.wantUnavailable)
				}
			}
			if _, err := n.Sample(ctx, "0000:18:00.0"); err == nil {
				t.Error("Sample succeeded without a driver")
			}
			if _, err := n.Devices(ctx); err == nil {
				t.Error("Devices succeeded without a driver")
			}
			if err := n.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if got := len(lib.InitCalls()); got != 1 {
				t.Errorf("Init called %d times, want 1", got)
			}
			if got := len(lib.ShutdownCalls()); got != 0 {
				t.Errorf("Shutdown called %d times after a failed Init", got)
			}
		})
	}
}

func TestNVMLCloseShutsDownOnlyAfterInit(t *testing.T) {
	srv, _ := newDGX(t)
	var shutdowns int
	srv.ShutdownFunc = func() nvml.Return { shutdowns++; return nvml.SUCCESS }

	unused := newTestNVML(srv)
	if err := unused.Close(); err != nil || shutdowns != 0 {
		t.Fatalf("Close before use: err=%v shutdowns=%d, want no Shutdown", err, shutdowns)
	}
	n := newTestNVML(srv)
	if _, err := n.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = n.Close()
	_ = n.Close()
	if shutdowns != 1 {
		t.Fatalf("Shutdown called %d times, want 1", shutdowns)
	}
	if _, err := n.Collect(context.Background()); err == nil {
		t.Fatal("Collect after Close succeeded")
	}
}

func TestNVMLSample(t *testing.T) {
	srv, devs := newDGX(t)
	devs[3].GetPowerUsageFunc = func() (uint32, nvml.Return) { return 612345, nvml.SUCCESS }
	n := newTestNVML(srv)
	for _, id := range []string{"00000000:1B:00.0", "0000:1b:00.0", "1b:00.0"} {
		s, err := n.Sample(context.Background(), id)
		if err != nil {
			t.Fatalf("Sample(%q): %v", id, err)
		}
		if s.Index != 3 || s.PowerW != 612.345 || s.PowerLimitW != 700 || s.SMClockMHz != 1755 || s.TempC != 64 ||
			!s.HasInstant || s.PowerInstantW != 412 || !s.HasEnergy || s.EnergyMJ != 123456789 || s.UtilGPUPercent != 97 ||
			!s.Throttled() || s.Time.IsZero() {
			t.Errorf("Sample(%q) = %+v", id, s)
		}
	}
	if _, err := n.Sample(context.Background(), "0000:99:00.0"); err == nil || !strings.Contains(err.Error(), "00000000:18:00.0") {
		t.Errorf("unknown bus id: err = %v, want one listing the GPUs present", err)
	}
	if _, err := n.Sample(context.Background(), "gpu0"); err == nil || !strings.Contains(err.Error(), "domain:bus:device.function") {
		t.Errorf("malformed bus id: err = %v", err)
	}
}

func TestNVMLLostGPUDoesNotHideOthers(t *testing.T) {
	srv, devs := newDGX(t)
	devs[2].GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	devs[5].GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	n := newTestNVML(srv)
	pts, err := n.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GPU 2") || !strings.Contains(err.Error(), "GPU is lost") {
		t.Fatalf("err = %v, want one naming GPU 2 as lost", err)
	}
	if strings.Contains(err.Error(), "GPU 5") {
		t.Errorf("an unsupported reading was reported as an error: %v", err)
	}
	if len(pts) != 8 {
		t.Fatalf("%d points, want 8 (the lost GPU keeps what could be read)", len(pts))
	}
	if _, ok := pts[2].Fields["power_w"]; ok {
		t.Error("lost GPU has a power reading")
	}
	if _, ok := pts[5].Fields["temp_c"]; ok {
		t.Error("temp_c present where unsupported")
	}
}

func TestNVMLDevices(t *testing.T) {
	srv, devs := newDGX(t)
	got, err := newTestNVML(srv).Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 || got[0].UUID != devs[0].UUID || got[0].MaxSMClockMHz != 1980 || got[7].PCIBusID != "00000000:1F:00.0" {
		t.Fatalf("Devices = %+v", got)
	}
}

// TestNVMLSystemDriver runs against whatever this machine has. Without a
// driver it proves the real library path survives a failed Init (the
// process would exit 127 on any further call); with one, it must read.
func TestNVMLSystemDriver(t *testing.T) {
	n := NewNVMLDriver(discard())
	pts, err := n.Collect(context.Background())
	switch {
	case errors.Is(err, ErrUnavailable):
		t.Logf("no NVIDIA driver here: %v", err)
	case err != nil:
		t.Fatalf("Collect: %v", err)
	case len(pts) == 0:
		t.Fatal("driver present but no GPU points")
	default:
		for _, p := range pts {
			if err := p.Validate(); err != nil {
				t.Error(err)
			}
			t.Logf("%s", strings.TrimSpace(string(metricLine(p))))
		}
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestFieldValueDecoding(t *testing.T) {
	mk := func(vt nvml.ValueType, put func(b []byte)) nvml.FieldValue {
		fv := nvml.FieldValue{ValueType: uint32(vt)}
		put(fv.Value[:])
		return fv
	}
	tests := []struct {
		fv   nvml.FieldValue
		want float64
		ok   bool
	}{
		{mk(nvml.VALUE_TYPE_DOUBLE, func(b []byte) { binary.LittleEndian.PutUint64(b, math.Float64bits(412.5)) }), 412.5, true},
		{mk(nvml.VALUE_TYPE_DOUBLE, func(b []byte) { binary.LittleEndian.PutUint64(b, math.Float64bits(math.NaN())) }), 0, false},
		{mk(nvml.VALUE_TYPE_UNSIGNED_INT, func(b []byte) { binary.LittleEndian.PutUint32(b, 412000) }), 412000, true},
		{mk(nvml.VALUE_TYPE_UNSIGNED_LONG_LONG, func(b []byte) { binary.LittleEndian.PutUint64(b, 1<<40) }), 1 << 40, true},
		{mk(nvml.VALUE_TYPE_SIGNED_LONG_LONG, func(b []byte) { binary.LittleEndian.PutUint64(b, uint64(1<<64-5)) }), -5, true},
		{mk(nvml.VALUE_TYPE_SIGNED_INT, func(b []byte) { binary.LittleEndian.PutUint32(b, uint32(1<<32-7)) }), -7, true},
		{mk(nvml.VALUE_TYPE_UNSIGNED_SHORT, func(b []byte) { binary.LittleEndian.PutUint16(b, 300) }), 300, true},
		{mk(nvml.VALUE_TYPE_COUNT, func([]byte) {}), 0, false},
	}
	for i, tt := range tests {
		if got, ok := fieldValue(tt.fv); ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("case %d: fieldValue = %v, %v; want %v, %v", i, got, ok, tt.want, tt.ok)
		}
	}
}

// Readings gives the appraisal each GPU's board power from the last
// collection, identified by the bus id gpubench uses, and nothing for a
// GPU that the last collection could not read.
func TestNVMLReadings(t *testing.T) {
	srv, devs := newDGX(t)
	n := newTestNVML(srv)
	if rs := n.Readings(); len(rs) != 0 {
		t.Fatalf("readings before any collection: %+v", rs)
	}
	if _, err := n.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := n.Readings()
	if len(rs) != 8 {
		t.Fatalf("%d readings, want 8", len(rs))
	}
	r := rs[7]
	if r.Kind != appraisal.KindGPU || r.ID != "0000:1f:00.0" || r.Model != "NVIDIA H100 80GB HBM3" ||
		r.PowerW != 357 || r.PowerSource != appraisal.PowerMeasured || r.At.IsZero() {
		t.Errorf("GPU 7 reading %+v", r)
	}
	devs[7].GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	devs[7].GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	_, _ = n.Collect(context.Background())
	for _, r := range n.Readings() {
		if r.ID == "0000:1f:00.0" && r.PowerSource != appraisal.PowerNone {
			t.Errorf("a lost GPU keeps a measured reading: %+v", r)
		}
	}
}
