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

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/gpuid"
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
	last     []appraisal.Reading // the last collection, for the appraisal

	// Symbols looked up once after Init; see reasonsCall.
	reasons      reasonsCall
	noFieldsCall bool
	noEnergyCall bool
}

type gpuDevice struct {
	dev       nvml.Device
	info      GPUInfo
	noInstant bool // FI_DEV_POWER_INSTANT unsupported: stop asking
	energy    energyCounter
	// gone holds the optional readings this driver does not have
	// (ERROR_FUNCTION_NOT_FOUND): they are not asked for again.
	gone map[string]bool
	// failing holds optional readings whose last attempt failed, so a
	// persistent failure is logged once, and its end once.
	failing map[string]bool
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
	n.lookupSymbols()
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
	n.last = n.last[:0]
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
		n.last = append(n.last, n.reading(g, s))
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
	want, err := gpuid.NormalizePCIBusID(pciBusID)
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
		id, _ := gpuid.NormalizePCIBusID(g.info.PCIBusID)
		if id == want {
			s, _, err := n.read(g)
			return s, err
		}
		have = append(have, g.info.PCIBusID)
	}
	return GPUSample{}, fmt.Errorf("nvml: no GPU at PCI bus id %s; this host has %s", pciBusID, strings.Join(have, ", "))
}

// read takes one reading of g. Power and the energy counter are required:
// a failure of either is returned alongside what could be read. Every other
// reading is best-effort: a failure leaves its field out and is logged at
// Debug when it starts and when it ends, so one deprecated or flaky query
// cannot cost a benchmark window its watts.
func (n *NVML) read(g *gpuDevice) (GPUSample, map[string]any, error) {
	d := g.dev
	s := GPUSample{Time: n.now(), Index: g.info.Index, UUID: g.info.UUID, PCIBusID: g.info.PCIBusID}
	f := map[string]any{}
	var errs []error
	required := func(what string, ret nvml.Return) bool {
		switch ret {
		case nvml.SUCCESS:
			return true
		case nvml.ERROR_NOT_SUPPORTED:
			return false
		}
		errs = append(errs, fmt.Errorf("%s: %s", what, retName(ret)))
		return false
	}
	optional := func(what string, ret nvml.Return) bool {
		switch ret {
		case nvml.SUCCESS:
			n.optionalOK(g, what)
			return true
		case nvml.ERROR_NOT_SUPPORTED:
			return false
		case nvml.ERROR_FUNCTION_NOT_FOUND:
			if g.gone == nil {
				g.gone = map[string]bool{}
			}
			g.gone[what] = true
		}
		n.optionalFailed(g, what, errors.New(retName(ret)))
		return false
	}
	asks := func(what string) bool { return !g.gone[what] }

	if mw, ret := d.GetPowerUsage(); required("power", ret) {
		s.PowerW = float64(mw) / 1000
		f["power_w"] = s.PowerW
	}
	if !n.noEnergyCall {
		if mj, ret := d.GetTotalEnergyConsumption(); required("energy", ret) {
			total := g.energy.update(mj)
			s.EnergyMJ, s.HasEnergy = total, true
			f["energy_mj"] = mj
			f["energy_total_mj"] = total
			f["energy_resets"] = g.energy.resets
		}
	}
	if !g.noInstant && !n.noFieldsCall {
		if w, supported, err := powerInstant(d); err != nil {
			n.optionalFailed(g, "instant power", err)
		} else if !supported {
			g.noInstant = true
		} else {
			n.optionalOK(g, "instant power")
			s.PowerInstantW, s.HasInstant = w, true
			f["power_instant_w"] = w
		}
	}
	if asks("power limit") {
		if mw, ret := d.GetEnforcedPowerLimit(); optional("power limit", ret) {
			s.PowerLimitW = float64(mw) / 1000
			f["power_limit_w"] = s.PowerLimitW
		}
	}
	if asks("utilization") {
		if u, ret := d.GetUtilizationRates(); optional("utilization", ret) {
			s.UtilGPUPercent, s.UtilMemPercent = float64(u.Gpu), float64(u.Memory)
			f["util_gpu_percent"], f["util_mem_percent"] = s.UtilGPUPercent, s.UtilMemPercent
		}
	}
	if asks("sm clock") {
		if v, ret := d.GetClockInfo(nvml.CLOCK_SM); optional("sm clock", ret) {
			s.SMClockMHz = v
			f["clock_sm_mhz"] = int64(v)
		}
	}
	if asks("memory clock") {
		if v, ret := d.GetClockInfo(nvml.CLOCK_MEM); optional("memory clock", ret) {
			s.MemClockMHz = v
			f["clock_mem_mhz"] = int64(v)
		}
	}
	if g.info.MaxSMClockMHz > 0 {
		f["clock_sm_max_mhz"] = int64(g.info.MaxSMClockMHz)
	}
	if g.info.MaxMemClockMHz > 0 {
		f["clock_mem_max_mhz"] = int64(g.info.MaxMemClockMHz)
	}
	if asks("temperature") {
		if v, ret := d.GetTemperature(nvml.TEMPERATURE_GPU); optional("temperature", ret) {
			s.TempC = float64(v)
			f["temp_c"] = s.TempC
		}
	}
	if asks("memory") {
		if m, ret := d.GetMemoryInfo(); optional("memory", ret) {
			s.MemUsedBytes = m.Used
			f["mem_used_bytes"], f["mem_total_bytes"] = m.Used, m.Total
		}
	}
	if asks("performance state") {
		if p, ret := d.GetPerformanceState(); optional("performance state", ret) && p != nvml.PSTATE_UNKNOWN {
			f["pstate"] = int64(p)
		}
	}
	if asks("clock event reasons") {
		var r uint64
		ret := nvml.ERROR_NOT_SUPPORTED
		switch n.reasons {
		case reasonsEvent:
			r, ret = d.GetCurrentClocksEventReasons()
		case reasonsThrottle:
			r, ret = d.GetCurrentClocksThrottleReasons()
		}
		if optional("clock event reasons", ret) {
			s.ThrottleReasons, s.HasThrottleReasons = r, true
			decodeClockEvents(r, f)
		}
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
	case nvml.ERROR_FUNCTION_NOT_FOUND:
		return "not in this driver's NVML"
	case nvml.ERROR_UNKNOWN:
		return "unknown error"
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
