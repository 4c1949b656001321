//go:build linux && (amd64 || arm64)

package gpubench

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebitengine/purego"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

// buildFakeCUDA compiles testdata/fakecuda, a library with libcuda's C
// signatures, so the purego bindings (argument passing, out-parameters,
// strings, the 11-argument cuLaunchKernel) are exercised without a GPU.
func buildFakeCUDA(t *testing.T, defines ...string) string {
	t.Helper()
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI has no C compiler %q: %v", cc, err)
		}
		t.Skipf("no C compiler %q to build the stand-in libcuda: %v", cc, err)
	}
	out := filepath.Join(t.TempDir(), "libcuda.so.1")
	args := append([]string{"-shared", "-fPIC", "-O1", "-o", out, "testdata/fakecuda/fakecuda.c"}, defines...)
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", cc, args, err, b)
	}
	return out
}

// fakeLaunch mirrors struct launch in fakecuda.c.
type fakeLaunch struct {
	F                           uintptr
	Gx, Gy, Gz, Bx, By, Bz, Shm uint32
	_                           uint32
	Stream                      uintptr
	P0, P1                      uint64
	P1U32                       uint32
	HaveExtra                   int32
}

func TestCUDABindingsAgainstStandIn(t *testing.T) {
	path := buildFakeCUDA(t)
	d, err := openDriverAt(path)
	if err != nil {
		t.Fatal(err)
	}
	c := d.(*cuda)
	var lastLaunch func(*fakeLaunch)
	addr, err := purego.Dlsym(c.lib, "fake_last_launch")
	if err != nil {
		t.Fatal(err)
	}
	purego.RegisterFunc(&lastLaunch, addr)

	if v, err := d.driverVersion(); err != nil || v != 12040 {
		t.Errorf("driver version %d, %v", v, err)
	}
	devs, err := listDevices(d, nil)
	if err != nil || len(devs) != 1 {
		t.Fatalf("devices %v, %v", devs, err)
	}
	dev := devs[0]
	if dev.Name != "Fake GPU 9000" || dev.PCIBusID != "0000:3b:00.0" || dev.SMs != 132 || dev.ComputeCap != "9.0" ||
		dev.MaxClockMHz != 1980 || dev.MemBusWidthBits != 5120 || dev.MemoryBytes != 80<<30 || dev.dev != 7 {
		t.Errorf("device %+v", dev)
	}
	if _, err := d.device(3); err == nil || !strings.Contains(err.Error(), "cuDeviceGet: CUDA_ERROR_INVALID_DEVICE") {
		t.Errorf("bad ordinal: %v", err)
	}
	if _, err := d.ctxAcquire(dev.dev); err != nil {
		t.Fatal(err)
	}

	// Memory round trip through the bindings.
	p, err := d.memAlloc(64)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := d.memAlloc(64)
	src := make([]byte, 64)
	for i := range src {
		src[i] = byte(i)
	}
	if err := d.memcpyHtoD(p, src); err != nil {
		t.Fatal(err)
	}
	if err := d.memsetD32(p+16, 0xa1b2c3d4, 2); err != nil {
		t.Fatal(err)
	}
	if err := d.memcpyDtoD(q, p, 64); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 64)
	if err := d.memcpyDtoH(got, q); err != nil {
		t.Fatal(err)
	}
	if got[15] != 15 || le32(got, 4) != 0xa1b2c3d4 || le32(got, 5) != 0xa1b2c3d4 || got[24] != 24 || got[63] != 63 {
		t.Errorf("round trip %x", got)
	}
	_ = d.memFree(p)
	_ = d.memFree(q)
	if _, err := d.memAlloc(1 << 40); err == nil || err.Error() != "cuda: cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (out of memory)" {
		t.Errorf("out of memory: %v", err)
	}

	// Module, function and the 11-argument launch.
	m, info, err := d.moduleLoad(modFMA.text())
	if err != nil {
		t.Fatal(err)
	}
	if info != "ptxas info : fake 32 registers" {
		t.Errorf("JIT info log %q", info)
	}
	f, err := d.moduleFunction(m, ptxgen.EntryFMA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.moduleFunction(m, "nope"); err == nil ||
		err.Error() != "kernel nope: cuda: cuModuleGetFunction: CUDA_ERROR_NOT_FOUND (named symbol not found)" {
		t.Errorf("missing kernel: %v", err)
	}
	s, _ := d.eventCreate()
	e, _ := d.eventCreate()
	if err := d.eventRecord(s); err != nil {
		t.Fatal(err)
	}
	if err := d.launch(f, dim3{1056, 1, 1}, dim3{256, 1, 1}, argPtr(0xdeadbeefcafe), argU32(77), argF32(1.5)); err != nil {
		t.Fatal(err)
	}
	if n, err := d.occupancy(f, 256); err != nil || n != 5 {
		t.Errorf("occupancy of 256-thread blocks at 48 registers: %d, %v; want 5", n, err)
	}
	var l fakeLaunch
	lastLaunch(&l)
	if l.Gx != 1056 || l.Gy != 1 || l.Gz != 1 || l.Bx != 256 || l.By != 1 || l.Bz != 1 || l.Shm != 0 || l.Stream != 0 ||
		l.P0 != 0xdeadbeefcafe || l.P1U32 != 77 || l.HaveExtra != 0 {
		t.Errorf("launch seen by the driver: %+v", l)
	}
	if err := d.eventRecord(e); err != nil {
		t.Fatal(err)
	}
	if err := d.eventSynchronize(e); err != nil {
		t.Fatal(err)
	}
	if ms, err := d.eventElapsedMs(s, e); err != nil || ms != 10 {
		t.Errorf("elapsed %g ms, %v", ms, err)
	}
	_ = d.eventDestroy(s)
	_ = d.eventDestroy(e)
	if err := d.moduleUnload(m); err != nil {
		t.Error(err)
	}

	// A JIT failure carries the driver's log on one line.
	_, _, err = d.moduleLoad([]byte(".version 7.0\n// FAIL_JIT\n"))
	if !errors.Is(err, ErrJIT) || !strings.Contains(err.Error(), "cuModuleLoadDataEx: CUDA_ERROR_INVALID_PTX") ||
		!strings.Contains(err.Error(), "line 3; error : fake | ptxas fatal : aborted") {
		t.Errorf("JIT failure: %v", err)
	}
	if err := d.ctxRelease(dev.dev); err != nil {
		t.Error(err)
	}
}

// The whole runner on the stand-in: cuMemcpyDtoD really copies, so it
// verifies; the FMA kernel never runs, so its poisoned output must be refused.
func TestRunnerOnStandInDriver(t *testing.T) {
	d, err := openDriverAt(buildFakeCUDA(t))
	if err != nil {
		t.Fatal(err)
	}
	b := newBench(d, startCUDAThread(), nil)
	defer b.Close()
	opts := Options{Kernels: []string{KernelMemcpyDtoD, KernelFP32FMA}, Duration: time.Nanosecond, Warmup: -1, CopyBytes: 1 << 20}
	rep, err := b.Run(context.Background(), opts)
	if !errors.Is(err, ErrVerification) {
		t.Fatalf("error %v, want the FMA kernel's verification failure", err)
	}
	k := rep.GPUs[0].Kernels
	if !k[0].Verified || k[0].Rate <= 0 {
		t.Errorf("memcpy: %+v", k[0])
	}
	if k[1].Verified || k[1].Rate != 0 || !strings.Contains(k[1].Error, "threads wrong") {
		t.Errorf("fma on a driver that runs nothing: %+v", k[1])
	}
}

func TestOpenDriverFailures(t *testing.T) {
	if _, err := openDriverAt("/nonexistent/libcuda.so.1"); err == nil || err.Error() != "no NVIDIA driver: /nonexistent/libcuda.so.1 not found" {
		t.Errorf("missing library: %v", err)
	}
	old := buildFakeCUDA(t, "-DOMIT_LAUNCH")
	if _, err := openDriverAt(old); !errors.Is(err, ErrNoDriver) || !strings.Contains(err.Error(), "lacks cuLaunchKernel (driver too old?)") {
		t.Errorf("missing symbol: %v", err)
	}

	path := buildFakeCUDA(t)
	lib, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		t.Fatal(err)
	}
	var setInit func(int32)
	purego.RegisterLibFunc(&setInit, lib, "fake_set_init_result")
	setInit(cudaErrorNoDevice)
	_, err = openDriverAt(path)
	if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)") {
		t.Errorf("cuInit without devices: %v", err)
	}
	setInit(0)
}
