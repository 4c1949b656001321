package gpubench

import (
	"fmt"
	"sort"
	"strings"
)

// fakeDevice describes one simulated GPU.
type fakeDevice struct {
	name  string
	busID string
	mem   uint64
	attrs map[deviceAttr]int
}

func smallGPU(name string, major, minor int) fakeDevice {
	return fakeDevice{
		name:  name,
		busID: "00000000:3B:00.0",
		mem:   80 << 30,
		attrs: map[deviceAttr]int{
			attrComputeCapMajor: major, attrComputeCapMinor: minor,
			attrMultiprocessorCount: 1, attrMaxThreadsPerSM: 64, attrMaxThreadsPerBlock: 64,
			attrClockRateKHz: 1980000, attrMemoryClockRateKHz: 2619000, attrGlobalMemoryBusWidth: 5120,
			attrL2CacheSize: 50 << 20,
		},
	}
}

// fakeDriver implements driver with host memory and the PTX interpreter.
// Time on its "GPU" is one nanosecond per executed thread-instruction (and
// per 100 bytes copied), so rates are deterministic.
type fakeDriver struct {
	devs    []fakeDevice
	allocs  map[devicePtr][]byte
	next    devicePtr
	mods    map[cuModule]*simModule
	funcs   map[cuFunction]*simKernel
	nextH   uintptr
	clockNs uint64
	events  map[cuEvent]uint64
	ctx     map[cuDevice]int
	current cuDevice
	calls   map[string]int

	fail        map[string]int // call -> CUresult it returns
	occ         map[string]int // kernel -> blocks per SM; default: the thread limit
	sticky      int            // CUresult every context call returns until the context is destroyed
	jitLog      string         // error log of a failing moduleLoad
	afterLaunch func(f *fakeDriver, kernel string, args []kernelArg)
}

func newFakeDriver(devs ...fakeDevice) *fakeDriver {
	return &fakeDriver{
		devs: devs, allocs: map[devicePtr][]byte{}, next: 0x7f0000000000,
		mods: map[cuModule]*simModule{}, funcs: map[cuFunction]*simKernel{},
		events: map[cuEvent]uint64{}, ctx: map[cuDevice]int{}, current: -1,
		calls: map[string]int{}, fail: map[string]int{},
	}
}

func (f *fakeDriver) call(name string) error {
	f.calls[name]++
	if code, ok := f.fail[name]; ok {
		return checkResult(name, code, nil)
	}
	return nil
}

func (f *fakeDriver) needCtx(name string) error {
	if err := f.call(name); err != nil {
		return err
	}
	if f.current < 0 {
		return checkResult(name, cudaErrorInvalidContext, nil)
	}
	if f.sticky != 0 {
		return checkResult(name, f.sticky, nil)
	}
	return nil
}

func (f *fakeDriver) driverVersion() (int, error) { return 12040, f.call("cuDriverGetVersion") }
func (f *fakeDriver) deviceCount() (int, error)   { return len(f.devs), f.call("cuDeviceGetCount") }
func (f *fakeDriver) device(o int) (cuDevice, error) {
	if o < 0 || o >= len(f.devs) {
		return 0, checkResult("cuDeviceGet", cudaErrorInvalidDevice, nil)
	}
	return cuDevice(o), f.call("cuDeviceGet")
}
func (f *fakeDriver) deviceName(d cuDevice) (string, error) {
	return f.devs[d].name, f.call("cuDeviceGetName")
}
func (f *fakeDriver) deviceAttribute(d cuDevice, a deviceAttr) (int, error) {
	if err := f.call("cuDeviceGetAttribute"); err != nil {
		return 0, err
	}
	v, ok := f.devs[d].attrs[a]
	if !ok {
		return 0, checkResult("cuDeviceGetAttribute", cudaErrorInvalidValue, nil)
	}
	return v, nil
}
func (f *fakeDriver) devicePCIBusID(d cuDevice) (string, error) {
	return strings.ToUpper(f.devs[d].busID[4:]), f.call("cuDeviceGetPCIBusId")
}
func (f *fakeDriver) deviceTotalMem(d cuDevice) (uint64, error) {
	return f.devs[d].mem, f.call("cuDeviceTotalMem_v2")
}
func (f *fakeDriver) ctxAcquire(d cuDevice) (cuContext, error) {
	if err := f.call("cuDevicePrimaryCtxRetain"); err != nil {
		return 0, err
	}
	f.ctx[d]++
	f.current = d
	return cuContext(1 + d), nil
}
func (f *fakeDriver) ctxRelease(d cuDevice) error {
	if f.ctx[d] <= 0 {
		return checkResult("cuDevicePrimaryCtxRelease_v2", cudaErrorInvalidContext, nil)
	}
	f.ctx[d]--
	f.current = -1
	if f.ctx[d] == 0 {
		f.sticky = 0 // the primary context is destroyed with its error
	}
	return f.call("cuDevicePrimaryCtxRelease_v2")
}
func (f *fakeDriver) ctxSynchronize() error { return f.needCtx("cuCtxSynchronize") }

func (f *fakeDriver) memAlloc(n uint64) (devicePtr, error) {
	if err := f.needCtx("cuMemAlloc_v2"); err != nil {
		return 0, err
	}
	if n > 1<<30 {
		return 0, checkResult("cuMemAlloc_v2", cudaErrorOutOfMemory, nil)
	}
	p := f.next
	f.allocs[p] = make([]byte, n)
	f.next += devicePtr((n + 0xffff) &^ 0xffff)
	return p, nil
}
func (f *fakeDriver) memFree(p devicePtr) error {
	if _, ok := f.allocs[p]; !ok {
		return checkResult("cuMemFree_v2", cudaErrorInvalidValue, nil)
	}
	delete(f.allocs, p)
	return f.call("cuMemFree_v2")
}

// bytes resolves a device address range to the backing slice.
func (f *fakeDriver) bytes(addr uint64, n int) ([]byte, error) {
	for base, b := range f.allocs {
		if addr >= uint64(base) && addr+uint64(n) <= uint64(base)+uint64(len(b)) {
			off := addr - uint64(base)
			return b[off : off+uint64(n)], nil
		}
	}
	return nil, fmt.Errorf("illegal address %#x+%d", addr, n)
}

func (f *fakeDriver) memsetD32(p devicePtr, v uint32, n uint64) error {
	if err := f.needCtx("cuMemsetD32_v2"); err != nil {
		return err
	}
	b, err := f.bytes(uint64(p), int(n*4))
	if err != nil {
		return checkResult("cuMemsetD32_v2", cudaErrorInvalidValue, nil)
	}
	for i := uint64(0); i < n; i++ {
		putLE32(b, int(i), v)
	}
	return nil
}
func (f *fakeDriver) memcpyHtoD(dst devicePtr, src []byte) error {
	if err := f.needCtx("cuMemcpyHtoD_v2"); err != nil {
		return err
	}
	b, err := f.bytes(uint64(dst), len(src))
	if err != nil {
		return checkResult("cuMemcpyHtoD_v2", cudaErrorInvalidValue, nil)
	}
	copy(b, src)
	return nil
}
func (f *fakeDriver) memcpyDtoH(dst []byte, src devicePtr) error {
	if err := f.needCtx("cuMemcpyDtoH_v2"); err != nil {
		return err
	}
	b, err := f.bytes(uint64(src), len(dst))
	if err != nil {
		return checkResult("cuMemcpyDtoH_v2", cudaErrorInvalidValue, nil)
	}
	copy(dst, b)
	return nil
}
func (f *fakeDriver) memcpyDtoD(dst, src devicePtr, n uint64) error {
	if err := f.needCtx("cuMemcpyDtoD_v2"); err != nil {
		return err
	}
	d, err1 := f.bytes(uint64(dst), int(n))
	s, err2 := f.bytes(uint64(src), int(n))
	if err1 != nil || err2 != nil {
		return checkResult("cuMemcpyDtoD_v2", cudaErrorInvalidValue, nil)
	}
	copy(d, s)
	f.clockNs += 2 * n / 100
	if f.afterLaunch != nil {
		f.afterLaunch(f, "cuMemcpyDtoD", nil)
	}
	return nil
}

func (f *fakeDriver) moduleLoad(ptx []byte) (cuModule, string, error) {
	if err := f.needCtx("cuModuleLoadDataEx"); err != nil {
		if f.jitLog != "" {
			return 0, "", fmt.Errorf("%w: %w: %s", ErrJIT, err, oneLine(f.jitLog))
		}
		return 0, "", fmt.Errorf("%w: %w", ErrJIT, err)
	}
	m, err := parsePTX(string(ptx))
	if err != nil {
		return 0, "", fmt.Errorf("%w: %w: %v", ErrJIT, checkResult("cuModuleLoadDataEx", cudaErrorInvalidPTX, nil), err)
	}
	f.nextH++
	f.mods[cuModule(f.nextH)] = m
	return cuModule(f.nextH), "fake jit: " + m.target, nil
}
func (f *fakeDriver) moduleUnload(m cuModule) error {
	delete(f.mods, m)
	return f.call("cuModuleUnload")
}
func (f *fakeDriver) moduleFunction(m cuModule, name string) (cuFunction, error) {
	if err := f.call("cuModuleGetFunction"); err != nil {
		return 0, err
	}
	k, ok := f.mods[m].kernels[name]
	if !ok {
		return 0, fmt.Errorf("kernel %s: %w", name, checkResult("cuModuleGetFunction", cudaErrorNotFound, nil))
	}
	f.nextH++
	f.funcs[cuFunction(f.nextH)] = k
	return cuFunction(f.nextH), nil
}

func (f *fakeDriver) launch(fn cuFunction, grid, block dim3, args ...kernelArg) error {
	if err := f.needCtx("cuLaunchKernel"); err != nil {
		return err
	}
	k, ok := f.funcs[fn]
	if !ok {
		return checkResult("cuLaunchKernel", 400, nil)
	}
	if len(args) != len(k.params) {
		return fmt.Errorf("fake: %s takes %d params, got %d", k.name, len(k.params), len(args))
	}
	var params []byte
	for i, p := range k.params {
		if args[i].size != p.size {
			return fmt.Errorf("fake: %s param %s is %d bytes, got %d", k.name, p.name, p.size, args[i].size)
		}
		for len(params) < p.offset+p.size {
			params = append(params, 0)
		}
		for j := 0; j < p.size; j++ {
			params[p.offset+j] = byte(args[i].bits >> (8 * j))
		}
	}
	if grid.y != 1 || grid.z != 1 || block.y != 1 || block.z != 1 {
		return fmt.Errorf("fake: only 1-D launches are simulated")
	}
	n, err := simLaunch(k, grid.x, block.x, params, f)
	f.clockNs += n
	if err != nil {
		return checkResult("cuLaunchKernel", cudaErrorIllegalAddress, func(int) (string, string, bool) {
			return "CUDA_ERROR_ILLEGAL_ADDRESS", err.Error(), true
		})
	}
	if f.afterLaunch != nil {
		f.afterLaunch(f, k.name, args)
	}
	return nil
}

func (f *fakeDriver) occupancy(fn cuFunction, block int) (int, error) {
	if err := f.needCtx("cuOccupancyMaxActiveBlocksPerMultiprocessor"); err != nil {
		return 0, err
	}
	k, ok := f.funcs[fn]
	if !ok {
		return 0, checkResult("cuOccupancyMaxActiveBlocksPerMultiprocessor", 400, nil)
	}
	if n, ok := f.occ[k.name]; ok {
		return n, nil
	}
	return f.devs[f.current].attrs[attrMaxThreadsPerSM] / block, nil
}

func (f *fakeDriver) eventCreate() (cuEvent, error) {
	f.nextH++
	f.events[cuEvent(f.nextH)] = 0
	return cuEvent(f.nextH), f.call("cuEventCreate")
}
func (f *fakeDriver) eventRecord(e cuEvent) error {
	f.events[e] = f.clockNs
	return f.needCtx("cuEventRecord")
}
func (f *fakeDriver) eventSynchronize(cuEvent) error { return f.call("cuEventSynchronize") }
func (f *fakeDriver) eventElapsedMs(s, e cuEvent) (float32, error) {
	return float32(float64(f.events[e]-f.events[s]) / 1e6), f.call("cuEventElapsedTime")
}
func (f *fakeDriver) eventDestroy(e cuEvent) error {
	delete(f.events, e)
	return f.call("cuEventDestroy_v2")
}

// leaks lists what a run left allocated or retained.
func (f *fakeDriver) leaks() []string {
	var out []string
	for p := range f.allocs {
		out = append(out, fmt.Sprintf("allocation %#x", uint64(p)))
	}
	for d, n := range f.ctx {
		if n != 0 {
			out = append(out, fmt.Sprintf("context of device %d retained %d times", d, n))
		}
	}
	if len(f.mods) > 0 {
		out = append(out, fmt.Sprintf("%d modules loaded", len(f.mods)))
	}
	if len(f.events) > 0 {
		out = append(out, fmt.Sprintf("%d events", len(f.events)))
	}
	sort.Strings(out)
	return out
}
