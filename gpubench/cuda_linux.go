//go:build linux && (amd64 || arm64)

package gpubench

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"
)

// libcudaName is the driver's soname; the unversioned libcuda.so only exists
// where the CUDA toolkit is installed, which this package must not require.
const libcudaName = "libcuda.so.1"

const (
	jitInfoLogBuffer      = 3
	jitInfoLogBufferSize  = 4
	jitErrorLogBuffer     = 5
	jitErrorLogBufferSize = 6
	jitLogVerbose         = 12
	jitLogBufferBytes     = 16 << 10
)

// cuda binds libcuda.so.1 with purego, so the binary builds with
// CGO_ENABLED=0 and runs on hosts without the CUDA toolkit.
type cuda struct {
	lib uintptr

	cuInit                     func(flags uint32) int32
	cuDriverGetVersion         func(v *int32) int32
	cuDeviceGetCount           func(n *int32) int32
	cuDeviceGet                func(d *int32, ordinal int32) int32
	cuDeviceGetName            func(name *byte, n int32, d int32) int32
	cuDeviceGetAttribute       func(v *int32, attr int32, d int32) int32
	cuDeviceGetPCIBusId        func(id *byte, n int32, d int32) int32
	cuDeviceTotalMem           func(bytes *uint64, d int32) int32
	cuDevicePrimaryCtxRetain   func(ctx *uintptr, d int32) int32
	cuDevicePrimaryCtxRelease  func(d int32) int32
	cuCtxSetCurrent            func(ctx uintptr) int32
	cuCtxSynchronize           func() int32
	cuMemAlloc                 func(p *uint64, n uint64) int32
	cuMemFree                  func(p uint64) int32
	cuMemsetD32                func(p uint64, v uint32, n uint64) int32
	cuMemcpyHtoD               func(dst uint64, src unsafe.Pointer, n uint64) int32
	cuMemcpyDtoH               func(dst unsafe.Pointer, src uint64, n uint64) int32
	cuMemcpyDtoD               func(dst, src uint64, n uint64) int32
	cuModuleLoadDataEx         func(m *uintptr, image unsafe.Pointer, nopt uint32, opts unsafe.Pointer, vals unsafe.Pointer) int32
	cuModuleUnload             func(m uintptr) int32
	cuModuleGetFunction        func(f *uintptr, m uintptr, name *byte) int32
	cuLaunchKernel             func(f uintptr, gx, gy, gz, bx, by, bz, shmem uint32, stream uintptr, params unsafe.Pointer, extra unsafe.Pointer) int32
	cuOccupancyMaxActiveBlocks func(n *int32, f uintptr, block int32, smem uint64) int32
	cuEventCreate              func(e *uintptr, flags uint32) int32
	cuEventRecord              func(e uintptr, stream uintptr) int32
	cuEventSynchronize         func(e uintptr) int32
	cuEventElapsedTime         func(ms *float32, start, end uintptr) int32
	cuEventDestroy             func(e uintptr) int32
	cuGetErrorName             func(code int32, s **byte) int32
	cuGetErrorString           func(code int32, s **byte) int32
}

// openDriver loads libcuda.so.1, binds the symbols and calls cuInit. Every
// failure wraps ErrNoDriver or ErrNoDevice so the CLI can say which.
func openDriver() (driver, error) { return openDriverAt(libcudaName) }

// openDriverAt loads the driver from path (tests load a stand-in library).
func openDriverAt(path string) (driver, error) {
	lib, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		if strings.Contains(err.Error(), "cannot open shared object") || strings.Contains(err.Error(), "No such file") {
			return nil, fmt.Errorf("%w: %s not found", ErrNoDriver, path)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrNoDriver, path, err)
	}
	c := &cuda{lib: lib}
	syms := []struct {
		fn   any
		name string
	}{
		{&c.cuInit, "cuInit"},
		{&c.cuDriverGetVersion, "cuDriverGetVersion"},
		{&c.cuDeviceGetCount, "cuDeviceGetCount"},
		{&c.cuDeviceGet, "cuDeviceGet"},
		{&c.cuDeviceGetName, "cuDeviceGetName"},
		{&c.cuDeviceGetAttribute, "cuDeviceGetAttribute"},
		{&c.cuDeviceGetPCIBusId, "cuDeviceGetPCIBusId"},
		{&c.cuDeviceTotalMem, "cuDeviceTotalMem_v2"},
		{&c.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"},
		{&c.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"},
		{&c.cuCtxSetCurrent, "cuCtxSetCurrent"},
		{&c.cuCtxSynchronize, "cuCtxSynchronize"},
		{&c.cuMemAlloc, "cuMemAlloc_v2"},
		{&c.cuMemFree, "cuMemFree_v2"},
		{&c.cuMemsetD32, "cuMemsetD32_v2"},
		{&c.cuMemcpyHtoD, "cuMemcpyHtoD_v2"},
		{&c.cuMemcpyDtoH, "cuMemcpyDtoH_v2"},
		{&c.cuMemcpyDtoD, "cuMemcpyDtoD_v2"},
		{&c.cuModuleLoadDataEx, "cuModuleLoadDataEx"},
		{&c.cuModuleUnload, "cuModuleUnload"},
		{&c.cuModuleGetFunction, "cuModuleGetFunction"},
		{&c.cuLaunchKernel, "cuLaunchKernel"},
		{&c.cuOccupancyMaxActiveBlocks, "cuOccupancyMaxActiveBlocksPerMultiprocessor"},
		{&c.cuEventCreate, "cuEventCreate"},
		{&c.cuEventRecord, "cuEventRecord"},
		{&c.cuEventSynchronize, "cuEventSynchronize"},
		{&c.cuEventElapsedTime, "cuEventElapsedTime"},
		{&c.cuEventDestroy, "cuEventDestroy_v2"},
		{&c.cuGetErrorName, "cuGetErrorName"},
		{&c.cuGetErrorString, "cuGetErrorString"},
	}
	var missing []string
	for _, s := range syms {
		// RegisterLibFunc panics on a missing symbol; look it up first so an
		// old or broken driver is a message, not a crash.
		addr, err := purego.Dlsym(lib, s.name)
		if err != nil || addr == 0 {
			missing = append(missing, s.name)
			continue
		}
		purego.RegisterFunc(s.fn, addr)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s lacks %s (driver too old?)", ErrNoDriver, path, strings.Join(missing, ", "))
	}
	if err := c.check("cuInit", c.cuInit(0)); err != nil {
		if errors.Is(err, ErrNoDevice) {
			return nil, fmt.Errorf("%w: %v", ErrNoDevice, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrNoDriver, err)
	}
	return c, nil
}

func (c *cuda) check(call string, code int32) error {
	return checkResult(call, int(code), c.errorName)
}

func (c *cuda) errorName(code int) (string, string, bool) {
	var name, desc *byte
	if c.cuGetErrorName(int32(code), &name) != cudaSuccess || name == nil {
		return "", "", false
	}
	if c.cuGetErrorString(int32(code), &desc) != cudaSuccess {
		desc = nil
	}
	return cString(name), cString(desc), true
}

// cString copies a NUL-terminated string the driver owns (static storage).
func cString(p *byte) string {
	if p == nil {
		return ""
	}
	var b []byte
	for i := 0; i < 4096; i++ {
		ch := *(*byte)(unsafe.Add(unsafe.Pointer(p), i))
		if ch == 0 {
			break
		}
		b = append(b, ch)
	}
	return string(b)
}

func bufString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func (c *cuda) driverVersion() (int, error) {
	var v int32
	err := c.check("cuDriverGetVersion", c.cuDriverGetVersion(&v))
	return int(v), err
}

func (c *cuda) deviceCount() (int, error) {
	var n int32
	err := c.check("cuDeviceGetCount", c.cuDeviceGetCount(&n))
	return int(n), err
}

func (c *cuda) device(ordinal int) (cuDevice, error) {
	var d int32
	err := c.check("cuDeviceGet", c.cuDeviceGet(&d, int32(ordinal)))
	return cuDevice(d), err
}

func (c *cuda) deviceName(d cuDevice) (string, error) {
	buf := make([]byte, 256)
	if err := c.check("cuDeviceGetName", c.cuDeviceGetName(&buf[0], int32(len(buf)), int32(d))); err != nil {
		return "", err
	}
	return bufString(buf), nil
}

func (c *cuda) deviceAttribute(d cuDevice, a deviceAttr) (int, error) {
	var v int32
	err := c.check("cuDeviceGetAttribute", c.cuDeviceGetAttribute(&v, int32(a), int32(d)))
	return int(v), err
}

func (c *cuda) devicePCIBusID(d cuDevice) (string, error) {
	buf := make([]byte, 64)
	if err := c.check("cuDeviceGetPCIBusId", c.cuDeviceGetPCIBusId(&buf[0], int32(len(buf)), int32(d))); err != nil {
		return "", err
	}
	return bufString(buf), nil
}

func (c *cuda) deviceTotalMem(d cuDevice) (uint64, error) {
	var n uint64
	err := c.check("cuDeviceTotalMem_v2", c.cuDeviceTotalMem(&n, int32(d)))
	return n, err
}

func (c *cuda) ctxAcquire(d cuDevice) (cuContext, error) {
	var ctx uintptr
	if err := c.check("cuDevicePrimaryCtxRetain", c.cuDevicePrimaryCtxRetain(&ctx, int32(d))); err != nil {
		return 0, err
	}
	if err := c.check("cuCtxSetCurrent", c.cuCtxSetCurrent(ctx)); err != nil {
		_ = c.cuDevicePrimaryCtxRelease(int32(d))
		return 0, err
	}
	return cuContext(ctx), nil
}

func (c *cuda) ctxRelease(d cuDevice) error {
	_ = c.cuCtxSetCurrent(0)
	return c.check("cuDevicePrimaryCtxRelease_v2", c.cuDevicePrimaryCtxRelease(int32(d)))
}

func (c *cuda) ctxSynchronize() error { return c.check("cuCtxSynchronize", c.cuCtxSynchronize()) }

func (c *cuda) memAlloc(n uint64) (devicePtr, error) {
	var p uint64
	err := c.check("cuMemAlloc_v2", c.cuMemAlloc(&p, n))
	return devicePtr(p), err
}

func (c *cuda) memFree(p devicePtr) error { return c.check("cuMemFree_v2", c.cuMemFree(uint64(p))) }

func (c *cuda) memsetD32(p devicePtr, v uint32, n uint64) error {
	return c.check("cuMemsetD32_v2", c.cuMemsetD32(uint64(p), v, n))
}

func (c *cuda) memcpyHtoD(dst devicePtr, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	return c.check("cuMemcpyHtoD_v2", c.cuMemcpyHtoD(uint64(dst), unsafe.Pointer(&src[0]), uint64(len(src))))
}

func (c *cuda) memcpyDtoH(dst []byte, src devicePtr) error {
	if len(dst) == 0 {
		return nil
	}
	return c.check("cuMemcpyDtoH_v2", c.cuMemcpyDtoH(unsafe.Pointer(&dst[0]), uint64(src), uint64(len(dst))))
}

func (c *cuda) memcpyDtoD(dst, src devicePtr, n uint64) error {
	return c.check("cuMemcpyDtoD_v2", c.cuMemcpyDtoD(uint64(dst), uint64(src), n))
}

func (c *cuda) moduleLoad(ptx []byte) (cuModule, string, error) {
	image := make([]byte, len(ptx)+1) // the driver reads PTX up to a NUL
	copy(image, ptx)
	infoLog := make([]byte, jitLogBufferBytes)
	errLog := make([]byte, jitLogBufferBytes)
	opts := []int32{jitInfoLogBuffer, jitInfoLogBufferSize, jitErrorLogBuffer, jitErrorLogBufferSize, jitLogVerbose}
	// Option values are void*: buffers by address, sizes by value. The
	// driver writes the used sizes back into the same slots. The log
	// buffers reach C only as integers inside vals, which escape analysis
	// cannot follow: without pinning they could live on the goroutine
	// stack, which moves. Pinning puts them on the heap and keeps them put
	// (the cgo rules for Go memory holding pointers handed to C).
	var pin runtime.Pinner
	defer pin.Unpin()
	for _, b := range [][]byte{image, infoLog, errLog} {
		pin.Pin(&b[0])
	}
	pin.Pin(&opts[0])
	vals := []uintptr{
		uintptr(unsafe.Pointer(&infoLog[0])), uintptr(len(infoLog)),
		uintptr(unsafe.Pointer(&errLog[0])), uintptr(len(errLog)),
		1,
	}
	pin.Pin(&vals[0])
	var m uintptr
	code := c.cuModuleLoadDataEx(&m, unsafe.Pointer(&image[0]), uint32(len(opts)),
		unsafe.Pointer(&opts[0]), unsafe.Pointer(&vals[0]))
	if err := c.check("cuModuleLoadDataEx", code); err != nil {
		log := strings.TrimSpace(bufString(errLog))
		if log == "" {
			log = strings.TrimSpace(bufString(infoLog))
		}
		if log != "" {
			return 0, "", fmt.Errorf("%w: %w: %s", ErrJIT, err, oneLine(log))
		}
		return 0, "", fmt.Errorf("%w: %w", ErrJIT, err)
	}
	return cuModule(m), oneLine(strings.TrimSpace(bufString(infoLog))), nil
}

func (c *cuda) moduleUnload(m cuModule) error {
	return c.check("cuModuleUnload", c.cuModuleUnload(uintptr(m)))
}

func (c *cuda) moduleFunction(m cuModule, name string) (cuFunction, error) {
	cname := append([]byte(name), 0)
	var f uintptr
	err := c.check("cuModuleGetFunction", c.cuModuleGetFunction(&f, uintptr(m), &cname[0]))
	if err != nil {
		return 0, fmt.Errorf("kernel %s: %w", name, err)
	}
	return cuFunction(f), nil
}

func (c *cuda) launch(f cuFunction, grid, block dim3, args ...kernelArg) error {
	// kernelParams is an array of pointers, one per parameter, each pointing
	// at that parameter's bytes: Go memory holding Go pointers, which the
	// cgo rules allow only when the pointed-to memory is pinned.
	var pin runtime.Pinner
	defer pin.Unpin()
	vals := make([]uint64, len(args)+1)
	ptrs := make([]unsafe.Pointer, len(args)+1)
	pin.Pin(&vals[0])
	pin.Pin(&ptrs[0])
	for i, a := range args {
		vals[i] = a.bits
		ptrs[i] = unsafe.Pointer(&vals[i])
	}
	code := c.cuLaunchKernel(uintptr(f), grid.x, grid.y, grid.z, block.x, block.y, block.z, 0, 0,
		unsafe.Pointer(&ptrs[0]), nil)
	return c.check("cuLaunchKernel", code)
}

func (c *cuda) occupancy(f cuFunction, block int) (int, error) {
	var n int32
	err := c.check("cuOccupancyMaxActiveBlocksPerMultiprocessor", c.cuOccupancyMaxActiveBlocks(&n, uintptr(f), int32(block), 0))
	return int(n), err
}

func (c *cuda) eventCreate() (cuEvent, error) {
	var e uintptr
	err := c.check("cuEventCreate", c.cuEventCreate(&e, 0))
	return cuEvent(e), err
}

func (c *cuda) eventRecord(e cuEvent) error {
	return c.check("cuEventRecord", c.cuEventRecord(uintptr(e), 0))
}

func (c *cuda) eventSynchronize(e cuEvent) error {
	return c.check("cuEventSynchronize", c.cuEventSynchronize(uintptr(e)))
}

func (c *cuda) eventElapsedMs(start, end cuEvent) (float32, error) {
	var ms float32
	if err := c.check("cuEventElapsedTime", c.cuEventElapsedTime(&ms, uintptr(start), uintptr(end))); err != nil {
		return 0, err
	}
	if math.IsNaN(float64(ms)) {
		return 0, errors.New("cuda: cuEventElapsedTime returned NaN")
	}
	return ms, nil
}

func (c *cuda) eventDestroy(e cuEvent) error {
	return c.check("cuEventDestroy_v2", c.cuEventDestroy(uintptr(e)))
}
