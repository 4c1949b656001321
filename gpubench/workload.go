package gpubench

import (
	"errors"
	"fmt"
)

// Kernel names, as --kernels takes them and results report them.
const (
	KernelFP32FMA    = "fp32_fma"
	KernelBF16MMA    = "bf16_mma"
	KernelFP16MMA    = "fp16_mma"
	KernelCopy       = "copy_kernel"
	KernelMemcpyDtoD = "memcpy_dtod"
	KernelSHA256d    = "sha256d"
)

// KernelNames lists every kernel in the order a run measures them.
func KernelNames() []string {
	return []string{KernelFP32FMA, KernelBF16MMA, KernelFP16MMA, KernelCopy, KernelMemcpyDtoD, KernelSHA256d}
}

// Units of KernelResult.Rate.
const (
	UnitFlops  = "flop/s"
	UnitBytes  = "byte/s"
	UnitHashes = "hash/s"
)

// workload is one kernel's host side. All methods run on the CUDA thread.
type workload interface {
	name() string
	unit() string
	module() *ptxModule // nil for driver-only work (cuMemcpyDtoD)
	setup(d driver, dev Device, fns map[string]cuFunction) error
	// initialScale and maxScale bound the knob step() takes: loop iterations
	// per thread, nonces per thread or launches per step.
	initialScale() uint32
	maxScale() uint32
	// step enqueues one timed step and returns the work it does (FLOPs,
	// bytes moved, hashes). It must not synchronise.
	step(d driver, scale uint32) (float64, error)
	// arm resets outputs (poison, hit counters) before the steady phase.
	arm(d driver) error
	// verify checks the outputs of the steady phase's last step, which ran
	// with scale; an error wraps ErrVerification.
	verify(d driver, scale uint32) error
	teardown(d driver)
	note() string // how the work is counted, for the report
}

func verifyErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrVerification, fmt.Sprintf(format, args...))
}

// buffers frees what a workload allocated, in reverse order.
type buffers []devicePtr

func (b *buffers) alloc(d driver, n uint64) (devicePtr, error) {
	p, err := d.memAlloc(n)
	if err != nil {
		return 0, err
	}
	*b = append(*b, p)
	return p, nil
}

func (b *buffers) free(d driver) error {
	var errs []error
	for i := len(*b) - 1; i >= 0; i-- {
		if err := d.memFree((*b)[i]); err != nil {
			errs = append(errs, err)
		}
	}
	*b = nil
	return errors.Join(errs...)
}

func le32(b []byte, i int) uint32 {
	return uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
}

func putLE32(b []byte, i int, v uint32) {
	b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func (w *fmaWork) shape() (dim3, dim3) { return w.grid, w.block }
func (w *mmaWork) shape() (dim3, dim3) { return w.grid, w.block }
func (w *memWork) shape() (dim3, dim3) { return w.grid, w.block }
func (w *shaWork) shape() (dim3, dim3) { return w.grid, w.block }
