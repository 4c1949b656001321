package gpubench

import (
	"errors"
	"fmt"
)

// The CUDA driver API handles this package uses. They are opaque values owned
// by the driver; the fake driver in tests hands out its own numbers.
type (
	cuDevice   int32
	cuContext  uintptr
	cuModule   uintptr
	cuFunction uintptr
	cuEvent    uintptr
	devicePtr  uint64
)

// deviceAttr is a CUdevice_attribute value from cuda.h.
type deviceAttr int32

const (
	attrMaxThreadsPerBlock   deviceAttr = 1
	attrClockRateKHz         deviceAttr = 13
	attrMultiprocessorCount  deviceAttr = 16
	attrMemoryClockRateKHz   deviceAttr = 36
	attrGlobalMemoryBusWidth deviceAttr = 37
	attrL2CacheSize          deviceAttr = 38
	attrMaxThreadsPerSM      deviceAttr = 39
	attrComputeCapMajor      deviceAttr = 75
	attrComputeCapMinor      deviceAttr = 76
)

// kernelArg is one kernel parameter as its raw little-endian bytes; the PTX
// .param declarations decide how many of them the kernel reads.
type kernelArg struct {
	size int
	bits uint64
}

func argPtr(p devicePtr) kernelArg { return kernelArg{8, uint64(p)} }
func argU32(v uint32) kernelArg    { return kernelArg{4, uint64(v)} }
func argU64(v uint64) kernelArg    { return kernelArg{8, v} }

// dim3 is a grid or block shape.
type dim3 struct{ x, y, z uint32 }

// driver is the slice of the CUDA driver API the benchmarks use. The real
// implementation binds libcuda.so.1 at run time; tests substitute a fake that
// runs the embedded PTX on a small interpreter. Every method must be called
// from the goroutine that owns the CUDA thread (see cudaThread).
type driver interface {
	driverVersion() (int, error)
	deviceCount() (int, error)
	device(ordinal int) (cuDevice, error)
	deviceName(d cuDevice) (string, error)
	deviceAttribute(d cuDevice, a deviceAttr) (int, error)
	devicePCIBusID(d cuDevice) (string, error)
	deviceTotalMem(d cuDevice) (uint64, error)

	// ctxAcquire retains the device's primary context and makes it current.
	ctxAcquire(d cuDevice) (cuContext, error)
	ctxRelease(d cuDevice) error
	ctxSynchronize() error

	memAlloc(n uint64) (devicePtr, error)
	memFree(p devicePtr) error
	memsetD32(p devicePtr, v uint32, n uint64) error
	memcpyHtoD(dst devicePtr, src []byte) error
	memcpyDtoH(dst []byte, src devicePtr) error
	memcpyDtoD(dst, src devicePtr, n uint64) error

	// moduleLoad JIT-compiles PTX text and returns the JIT's info log
	// (ptxas register and spill figures); on failure the error carries the
	// JIT error log.
	moduleLoad(ptx []byte) (cuModule, string, error)
	moduleUnload(m cuModule) error
	moduleFunction(m cuModule, name string) (cuFunction, error)
	launch(f cuFunction, grid, block dim3, args ...kernelArg) error
	// occupancy is how many blocks of block threads of f fit on one SM at
	// once, given its registers and shared memory.
	occupancy(f cuFunction, block int) (int, error)

	eventCreate() (cuEvent, error)
	eventRecord(e cuEvent) error
	eventSynchronize(e cuEvent) error
	eventElapsedMs(start, end cuEvent) (float32, error)
	eventDestroy(e cuEvent) error
}

// Sentinel errors the CLI maps to exit codes and one-line reasons.
var (
	// ErrNoDriver: libcuda.so.1 cannot be loaded or initialised.
	ErrNoDriver = errors.New("no NVIDIA driver")
	// ErrNoDevice: the driver loads but reports no usable GPU.
	ErrNoDevice = errors.New("no NVIDIA GPU")
	// ErrJIT: the driver refused to compile an embedded PTX module.
	ErrJIT = errors.New("ptx jit failed")
	// ErrVerification: a kernel's output did not match the host's reference,
	// so its throughput is not reported.
	ErrVerification = errors.New("verification failed")
)

// cudaError is a failed CUresult with the call that returned it.
type cudaError struct {
	Call string // e.g. cuMemAlloc_v2
	Code int    // CUresult
	Name string // e.g. CUDA_ERROR_OUT_OF_MEMORY
	Desc string // cuGetErrorString text, may be empty
}

func (e *cudaError) Error() string {
	s := "cuda: " + e.Call + ": " + e.Name
	if e.Desc != "" {
		s += " (" + e.Desc + ")"
	}
	return s
}

// Is lets errors.Is(err, ErrNoDevice) match the driver's own "no device" code
// and ErrNoDriver match a driver that is installed but unusable.
func (e *cudaError) Is(target error) bool {
	switch target {
	case ErrNoDevice:
		return e.Code == cudaErrorNoDevice
	case ErrNoDriver:
		return e.Code == cudaErrorInsufficientDriver ||
			e.Code == cudaErrorStubLibrary || e.Code == cudaErrorSystemDriverMismatch
	}
	return false
}

// CUresult values this package treats specially or names when the driver
// cannot (cuGetErrorName itself failing, or the fake driver).
const (
	cudaSuccess                   = 0
	cudaErrorInvalidValue         = 1
	cudaErrorOutOfMemory          = 2
	cudaErrorNotInitialized       = 3
	cudaErrorDeinitialized        = 4
	cudaErrorStubLibrary          = 34
	cudaErrorInsufficientDriver   = 35
	cudaErrorNoDevice             = 100
	cudaErrorInvalidDevice        = 101
	cudaErrorInvalidImage         = 200
	cudaErrorInvalidContext       = 201
	cudaErrorNoBinaryForGPU       = 209
	cudaErrorInvalidPTX           = 218
	cudaErrorUnsupportedPTX       = 222
	cudaErrorJITCompilerNotFound  = 221
	cudaErrorInvalidSource        = 300
	cudaErrorNotFound             = 500
	cudaErrorNotReady             = 600
	cudaErrorIllegalAddress       = 700
	cudaErrorLaunchOutOfResources = 701
	cudaErrorLaunchTimeout        = 702
	cudaErrorLaunchFailed         = 719
	cudaErrorSystemDriverMismatch = 803
	cudaErrorUnknown              = 999
)

var cudaErrorNames = map[int]string{
	cudaSuccess:                   "CUDA_SUCCESS",
	cudaErrorInvalidValue:         "CUDA_ERROR_INVALID_VALUE",
	cudaErrorOutOfMemory:          "CUDA_ERROR_OUT_OF_MEMORY",
	cudaErrorNotInitialized:       "CUDA_ERROR_NOT_INITIALIZED",
	cudaErrorDeinitialized:        "CUDA_ERROR_DEINITIALIZED",
	cudaErrorStubLibrary:          "CUDA_ERROR_STUB_LIBRARY",
	cudaErrorInsufficientDriver:   "CUDA_ERROR_INSUFFICIENT_DRIVER",
	cudaErrorNoDevice:             "CUDA_ERROR_NO_DEVICE",
	cudaErrorInvalidDevice:        "CUDA_ERROR_INVALID_DEVICE",
	cudaErrorInvalidImage:         "CUDA_ERROR_INVALID_IMAGE",
	cudaErrorInvalidContext:       "CUDA_ERROR_INVALID_CONTEXT",
	cudaErrorNoBinaryForGPU:       "CUDA_ERROR_NO_BINARY_FOR_GPU",
	cudaErrorInvalidPTX:           "CUDA_ERROR_INVALID_PTX",
	cudaErrorJITCompilerNotFound:  "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
	cudaErrorUnsupportedPTX:       "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
	cudaErrorInvalidSource:        "CUDA_ERROR_INVALID_SOURCE",
	cudaErrorNotFound:             "CUDA_ERROR_NOT_FOUND",
	cudaErrorNotReady:             "CUDA_ERROR_NOT_READY",
	cudaErrorIllegalAddress:       "CUDA_ERROR_ILLEGAL_ADDRESS",
	cudaErrorLaunchOutOfResources: "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
	cudaErrorLaunchTimeout:        "CUDA_ERROR_LAUNCH_TIMEOUT",
	cudaErrorLaunchFailed:         "CUDA_ERROR_LAUNCH_FAILED",
	cudaErrorSystemDriverMismatch: "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
	cudaErrorUnknown:              "CUDA_ERROR_UNKNOWN",
}

// errorNamer asks the driver for a CUresult's name and description; it may
// fail (ok=false), e.g. for codes newer than the driver.
type errorNamer func(code int) (name, desc string, ok bool)

// checkResult turns a CUresult into nil or a *cudaError naming the call.
func checkResult(call string, code int, namer errorNamer) error {
	if code == cudaSuccess {
		return nil
	}
	e := &cudaError{Call: call, Code: code}
	if namer != nil {
		if name, desc, ok := namer(code); ok && name != "" {
			e.Name, e.Desc = name, desc
			return e
		}
	}
	if name, ok := cudaErrorNames[code]; ok {
		e.Name = name
	} else {
		e.Name = fmt.Sprintf("CUresult %d", code)
	}
	return e
}
