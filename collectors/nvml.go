//go:build cgo

package collectors

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/perwatt/perwatt/internal/metric"
)

// NVML reads NVIDIA GPUs through the driver's management library.
//
// The library is initialised on first use. If Init fails (no driver:
// ERROR_LIBRARY_NOT_FOUND) no other NVML function is ever called, Shutdown
// included: go-nvml's stubs for an unloaded library end the process with
// exit status 127.
type NVML struct {
	lib nvml.Interface
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	initDone bool
	initOK   bool // Init returned SUCCESS: the only state in which Shutdown may be called
	initErr  error
	closed   bool
	gpus     []*gpuDevice
}

type gpuDevice struct {
	dev       nvml.Device
	info      GPUInfo
	noInstant bool // FI_DEV_POWER_INSTANT unsupported: stop asking
	energy    energyCounter
}

// NewNVML returns a GPU collector over lib (nvml.New() for the real driver,
// a mock in tests).
func NewNVML(lib nvml.Interface, log *slog.Logger) *NVML {
	return &NVML{lib: lib, log: log.With("collector", "nvml"), now: time.Now}
}

// NewNVMLDriver returns a GPU collector over the system's NVIDIA driver.
// Builds without cgo get a collector that reports ErrUnavailable.
func NewNVMLDriver(log *slog.Logger) *NVML { return NewNVML(nvml.New(), log) }

func (n *NVML) Name() string { return "nvml" }

// start initialises NVML once and enumerates the GPUs. Callers hold n.mu.
func (n *NVML) start() error {
	if n.closed {
		return errors.New("nvml: collector is closed")
	}
	if n.initDone {
		return n.initErr
	}
	n.initDone = true
	if ret := n.lib.Init(); ret != nvml.SUCCESS {
		switch ret {
		case nvml.ERROR_LIBRARY_NOT_FOUND:
			n.initErr = fmt.Errorf("nvml: %w: libnvidia-ml.so.1 not found (no NVIDIA driver installed); install the driver, or set [collectors.nvml] enabled = false", ErrUnavailable)
		case nvml.ERROR_DRIVER_NOT_LOADED:
			n.initErr = fmt.Errorf("nvml: %w: the NVIDIA kernel driver is not loaded; load it (modprobe nvidia), or set [collectors.nvml] enabled = false", ErrUnavailable)
		default:
			n.initErr = fmt.Errorf("nvml: init failed: %s", retName(ret))
		}
		return n.initErr
	}
	n.initOK = true
	count, ret := n.lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		n.initErr = fmt.Errorf("nvml: counting GPUs: %s", retName(ret))
		return n.initErr
	}
	var errs []error
	for i := range count {
		dev, ret := n.lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			errs = append(errs, fmt.Errorf("nvml: GPU %d: %s", i, retName(ret)))
			continue
		}
		g := &gpuDevice{dev: dev, info: GPUInfo{Index: i}}
		g.info.UUID, _ = dev.GetUUID()
		g.info.Model, _ = dev.GetName()
		if pci, ret := dev.GetPciInfo(); ret == nvml.SUCCESS {
			g.info.PCIBusID = cString(pci.BusId[:])
		}
		if v, ret := dev.GetMaxClockInfo(nvml.CLOCK_SM); ret == nvml.SUCCESS {
			g.info.MaxSMClockMHz = v
		}
		if v, ret := dev.GetMaxClockInfo(nvml.CLOCK_MEM); ret == nvml.SUCCESS {
			g.info.MaxMemClockMHz = v
		}
		if m, ret := dev.GetMemoryInfo(); ret == nvml.SUCCESS {
			g.info.MemTotalBytes = m.Total
		}
		n.gpus = append(n.gpus, g)
	}
	if len(n.gpus) == 0 {
		if len(errs) > 0 {
			n.initErr = errors.Join(errs...)
		} else {
			n.initErr = fmt.Errorf("nvml: %w: the driver is loaded but reports no GPU; set [collectors.nvml] enabled = false on GPU-less hosts", ErrUnavailable)
		}
		return n.initErr
	}
	if len(errs) > 0 {
		n.log.Warn("some GPUs could not be opened", "err", errors.Join(errs...))
	}
	return nil
}

// Close shuts NVML down if, and only if, it was initialised.
func (n *NVML) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	if !n.initOK {
		return nil
	}
	if ret := n.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("nvml: shutdown: %s", retName(ret))
	}
	return nil
}

// Devices lists the GPUs.
func (n *NVML) Devices(ctx context.Context) ([]GPUInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.start(); err != nil {
		return nil, err
	}
	out := make([]GPUInfo, len(n.gpus))
	for i, g := range n.gpus {
		out[i] = g.info
	}
	return out, nil
}

// Collect reads every GPU into one `gpu` point each. NVML calls cannot be
// interrupted, so ctx is checked between GPUs.
func (n *NVML) Collect(ctx context.Context) ([]metric.Point, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.start(); err != nil {
		return nil, err
	}
	var points []metric.Point
	var errs []error
	for _, g := range n.gpus {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("nvml: GPU %d not read: %w", g.info.Index, err))
			break
		}
		s, f, err := n.read(g)
		if err != nil {
			errs = append(errs, err)
		}
		if len(f) == 0 {
			continue
		}
		tags := map[string]string{
			"uuid": g.info.UUID, "index": strconv.Itoa(g.info.Index),
			"model": g.info.Model, "pci_bus_id": g.info.PCIBusID,
		}
		points = append(points, metric.New("gpu", tags, f, s.Time))
	}
	return points, errors.Join(errs...)
}

// Sample reads the GPU at pciBusID (NVML or lspci spelling).
func (n *NVML) Sample(ctx context.Context, pciBusID string) (GPUSample, error) {
	if err := ctx.Err(); err != nil {
		return GPUSample{}, err
	}
	want, err := normalizePCIBusID(pciBusID)
	if err != nil {
		return GPUSample{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.start(); err != nil {
		return GPUSample{}, err
	}
	var have []string
	for _, g := range n.gpus {
		id, _ := normalizePCIBusID(g.info.PCIBusID)
		if id == want {
			s, _, err := n.read(g)
			return s, err
		}
		have = append(have, g.info.PCIBusID)
	}
	return GPUSample{}, fmt.Errorf("nvml: no GPU at PCI bus id %s; this host has %s", pciBusID, strings.Join(have, ", "))
}

// read takes one reading of g. Readings the GPU does not support are left
// out; any other failure is returned alongside what could be read.
func (n *NVML) read(g *gpuDevice) (GPUSample, map[string]any, error) {
	d := g.dev
	s := GPUSample{Time: n.now(), Index: g.info.Index, UUID: g.info.UUID, PCIBusID: g.info.PCIBusID}
	f := map[string]any{}
	var errs []error
	ok := func(what string, ret nvml.Return) bool {
		switch ret {
		case nvml.SUCCESS:
			return true
		case nvml.ERROR_NOT_SUPPORTED:
			return false
		}
		errs = append(errs, fmt.Errorf("%s: %s", what, retName(ret)))
		return false
	}

	if mw, ret := d.GetPowerUsage(); ok("power", ret) {
		s.PowerW = float64(mw) / 1000
		f["power_w"] = s.PowerW
	}
	if !g.noInstant {
		if w, supported, err := powerInstant(d); err != nil {
			errs = append(errs, err)
		} else if !supported {
			g.noInstant = true
		} else {
			s.PowerInstantW, s.HasInstant = w, true
			f["power_instant_w"] = w
		}
	}
	if mj, ret := d.GetTotalEnergyConsumption(); ok("energy", ret) {
		total := g.energy.update(mj)
		s.EnergyMJ, s.HasEnergy = total, true
		f["energy_mj"] = mj
		f["energy_total_mj"] = total
		f["energy_resets"] = g.energy.resets
	}
	if mw, ret := d.GetEnforcedPowerLimit(); ok("power limit", ret) {
		s.PowerLimitW = float64(mw) / 1000
		f["power_limit_w"] = s.PowerLimitW
	}
	if u, ret := d.GetUtilizationRates(); ok("utilization", ret) {
		s.UtilGPUPercent, s.UtilMemPercent = float64(u.Gpu), float64(u.Memory)
		f["util_gpu_percent"], f["util_mem_percent"] = s.UtilGPUPercent, s.UtilMemPercent
	}
	if v, ret := d.GetClockInfo(nvml.CLOCK_SM); ok("sm clock", ret) {
		s.SMClockMHz = v
		f["clock_sm_mhz"] = int64(v)
	}
	if v, ret := d.GetClockInfo(nvml.CLOCK_MEM); ok("memory clock", ret) {
		s.MemClockMHz = v
		f["clock_mem_mhz"] = int64(v)
	}
	if g.info.MaxSMClockMHz > 0 {
		f["clock_sm_max_mhz"] = int64(g.info.MaxSMClockMHz)
	}
	if g.info.MaxMemClockMHz > 0 {
		f["clock_mem_max_mhz"] = int64(g.info.MaxMemClockMHz)
	}
	if v, ret := d.GetTemperature(nvml.TEMPERATURE_GPU); ok("temperature", ret) {
		s.TempC = float64(v)
		f["temp_c"] = s.TempC
	}
	if m, ret := d.GetMemoryInfo(); ok("memory", ret) {
		s.MemUsedBytes = m.Used
		f["mem_used_bytes"], f["mem_total_bytes"] = m.Used, m.Total
	}
	if p, ret := d.GetPerformanceState(); ok("performance state", ret) && p != nvml.PSTATE_UNKNOWN {
		f["pstate"] = int64(p)
	}
	if r, ret := d.GetCurrentClocksEventReasons(); ok("clock event reasons", ret) {
		s.ThrottleReasons = r
		decodeClockEvents(r, f)
	}
	if len(errs) > 0 {
		return s, f, fmt.Errorf("nvml: GPU %d (%s): %w", g.info.Index, g.info.PCIBusID, errors.Join(errs...))
	}
	return s, f, nil
}

// powerInstant reads FI_DEV_POWER_INSTANT (mW). supported is false on
// drivers and GPUs that do not have the field.
func powerInstant(d nvml.Device) (watts float64, supported bool, err error) {
	fv := []nvml.FieldValue{{FieldId: nvml.FI_DEV_POWER_INSTANT}}
	ret := d.GetFieldValues(fv)
	switch {
	case ret == nvml.ERROR_NOT_SUPPORTED || ret == nvml.ERROR_INVALID_ARGUMENT:
		return 0, false, nil
	case ret != nvml.SUCCESS:
		return 0, true, fmt.Errorf("instant power: %s", retName(ret))
	}
	switch r := nvml.Return(fv[0].NvmlReturn); r {
	case nvml.SUCCESS:
	case nvml.ERROR_NOT_SUPPORTED, nvml.ERROR_INVALID_ARGUMENT:
		return 0, false, nil
	default:
		return 0, true, fmt.Errorf("instant power: %s", retName(r))
	}
	v, ok := fieldValue(fv[0])
	if !ok {
		return 0, false, nil
	}
	return v / 1000, true, nil
}

// fieldValue decodes the union in an nvmlFieldValue_t.
func fieldValue(fv nvml.FieldValue) (float64, bool) {
	b := fv.Value[:]
	switch nvml.ValueType(fv.ValueType) {
	case nvml.VALUE_TYPE_DOUBLE:
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		return v, !math.IsNaN(v) && !math.IsInf(v, 0)
	case nvml.VALUE_TYPE_UNSIGNED_INT:
		return float64(binary.LittleEndian.Uint32(b)), true
	case nvml.VALUE_TYPE_UNSIGNED_LONG, nvml.VALUE_TYPE_UNSIGNED_LONG_LONG:
		return float64(binary.LittleEndian.Uint64(b)), true
	case nvml.VALUE_TYPE_SIGNED_LONG_LONG:
		return float64(int64(binary.LittleEndian.Uint64(b))), true
	case nvml.VALUE_TYPE_SIGNED_INT:
		return float64(int32(binary.LittleEndian.Uint32(b))), true
	case nvml.VALUE_TYPE_UNSIGNED_SHORT:
		return float64(binary.LittleEndian.Uint16(b)), true
	}
	return 0, false
}

// retName names an NVML return code without calling into NVML:
// nvml.ErrorString is itself an NVML call, unsafe when Init failed.
func retName(r nvml.Return) string {
	switch r {
	case nvml.ERROR_UNINITIALIZED:
		return "NVML not initialised"
	case nvml.ERROR_INVALID_ARGUMENT:
		return "invalid argument"
	case nvml.ERROR_NOT_SUPPORTED:
		return "not supported"
	case nvml.ERROR_NO_PERMISSION:
		return "no permission"
	case nvml.ERROR_NOT_FOUND:
		return "not found"
	case nvml.ERROR_INSUFFICIENT_POWER:
		return "GPU power cables not connected"
	case nvml.ERROR_DRIVER_NOT_LOADED:
		return "NVIDIA driver not loaded"
	case nvml.ERROR_TIMEOUT:
		return "timeout"
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return "libnvidia-ml.so.1 not found"
	case nvml.ERROR_GPU_IS_LOST:
		return "GPU is lost (fell off the bus; needs a reset)"
	case nvml.ERROR_RESET_REQUIRED:
		return "GPU needs a reset"
	case nvml.ERROR_LIB_RM_VERSION_MISMATCH:
		return "driver/library version mismatch (reboot or reload the driver after an upgrade)"
	}
	return "NVML error " + strconv.Itoa(int(r))
}

// cString turns NVML's fixed-size C char arrays into a Go string.
func cString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}
