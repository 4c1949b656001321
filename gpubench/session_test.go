package gpubench

import (
	"context"
	"testing"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

// One context and one JIT per module per GPU for a whole run: the primary
// context was retained and released around every kernel, so the driver
// destroyed it (and the compiled modules) five times per GPU.
func TestRunRetainsContextOncePerGPU(t *testing.T) {
	a, c := smallGPU("NVIDIA H100 80GB HBM3", 9, 0), smallGPU("NVIDIA H100 80GB HBM3", 9, 0)
	c.busID = "00000000:5E:00.0"
	f := newFakeDriver(a, c)
	b := testBench(t, f)
	if _, err := b.Run(context.Background(), quickOpts()); err != nil {
		t.Fatal(err)
	}
	if got := f.calls["cuDevicePrimaryCtxRetain"]; got != 2 {
		t.Errorf("primary context retained %d times for 2 GPUs, want 2", got)
	}
	// fma, mma (bf16 and fp16 share it), copy, sha256d.
	if got := f.calls["cuModuleLoadDataEx"]; got != 8 {
		t.Errorf("%d JIT compilations for 2 GPUs, want 4 modules each", got)
	}
	if l := f.leaks(); len(l) > 0 {
		t.Errorf("leaked %v", l)
	}
}

// After an error that poisons the context the next kernel gets a fresh
// one, and the run goes on.
func TestRunFreshContextAfterStickyError(t *testing.T) {
	f := newFakeDriver(smallGPU("NVIDIA H100 80GB HBM3", 9, 0))
	b := testBench(t, f)
	opts := quickOpts()
	opts.Kernels = []string{KernelFP32FMA, KernelMemcpyDtoD}
	f.afterLaunch = func(f *fakeDriver, kernel string, _ []kernelArg) {
		if kernel == ptxgen.EntryFMA {
			f.sticky = cudaErrorIllegalAddress
		}
	}
	rep, err := b.Run(context.Background(), opts)
	if err == nil {
		t.Fatal("no error from a kernel that hit an illegal address")
	}
	if k := rep.GPUs[0].Kernels; len(k) != 2 || k[0].Error == "" || !k[1].Verified {
		t.Fatalf("kernels %+v: want fma failed, memcpy_dtod verified in a fresh context", k)
	}
	if got := f.calls["cuDevicePrimaryCtxRetain"]; got != 2 {
		t.Errorf("context retained %d times, want a second, fresh one after the sticky error", got)
	}
	if l := f.leaks(); len(l) > 0 {
		t.Errorf("leaked %v", l)
	}
}

// Grids are one full wave as the driver's occupancy calculator sees it,
// not as the SM's thread limit alone would have it.
func TestLaunchShapeUsesOccupancy(t *testing.T) {
	dev := smallGPU("NVIDIA H100 80GB HBM3", 9, 0)
	dev.attrs[attrMultiprocessorCount] = 132
	dev.attrs[attrMaxThreadsPerSM] = 2048
	dev.attrs[attrMaxThreadsPerBlock] = 1024
	f := newFakeDriver(dev)
	f.occ = map[string]int{ptxgen.EntrySHA256d: 5}
	d, err := probeDevice(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ctxAcquire(d.dev); err != nil {
		t.Fatal(err)
	}
	m, _, err := f.moduleLoad(modSHA.text())
	if err != nil {
		t.Fatal(err)
	}
	fn, err := f.moduleFunction(m, ptxgen.EntrySHA256d)
	if err != nil {
		t.Fatal(err)
	}
	grid, block, err := launchShape(f, d, fn, 256)
	if err != nil {
		t.Fatal(err)
	}
	if grid.x != 132*5 || block.x != 256 {
		t.Errorf("grid %d x %d, want 660 x 256 (5 blocks per SM fit, not 8)", grid.x, block.x)
	}
	f.fail["cuOccupancyMaxActiveBlocksPerMultiprocessor"] = cudaErrorInvalidValue
	if _, _, err := launchShape(f, d, fn, 256); err == nil {
		t.Error("an occupancy query failure was not reported")
	}
}
