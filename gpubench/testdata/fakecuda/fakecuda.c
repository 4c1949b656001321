/* A stand-in for libcuda.so.1 with the driver API's C signatures, used to
 * test gpubench's purego bindings on machines without a GPU. "Device"
 * memory is host memory; launches are recorded, not run. Build with
 * -DOMIT_LAUNCH to get a library that lacks cuLaunchKernel. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

static int init_result = 0;
static unsigned long long fake_clock_us = 0;
static unsigned long long events[64];
static int nevents = 0;

struct launch {
	void *f;
	unsigned gx, gy, gz, bx, by, bz, shmem;
	void *stream;
	unsigned long long p0, p1;
	unsigned p1_u32;
	int have_extra;
};
static struct launch last;

void fake_set_init_result(int r) { init_result = r; }
void fake_last_launch(struct launch *out) { *out = last; }

CUresult cuInit(unsigned flags) { return flags ? 1 : init_result; }
CUresult cuDriverGetVersion(int *v) { *v = 12040; return 0; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(CUdevice *d, int ordinal) {
	if (ordinal != 0) return 101;
	*d = 7;
	return 0;
}
CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
	if (d != 7) return 101;
	strncpy(name, "Fake GPU 9000", len);
	return 0;
}
CUresult cuDeviceGetAttribute(int *v, int attr, CUdevice d) {
	if (d != 7) return 101;
	switch (attr) {
	case 1: *v = 1024; return 0;
	case 13: *v = 1980000; return 0;
	case 16: *v = 132; return 0;
	case 36: *v = 2619000; return 0;
	case 37: *v = 5120; return 0;
	case 38: *v = 50 << 20; return 0;
	case 39: *v = 2048; return 0;
	case 75: *v = 9; return 0;
	case 76: *v = 0; return 0;
	}
	return 1;
}
CUresult cuDeviceGetPCIBusId(char *id, int len, CUdevice d) {
	if (d != 7) return 101;
	strncpy(id, "0000:3B:00.0", len);
	return 0;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d) {
	*bytes = (size_t)80 << 30;
	return d == 7 ? 0 : 101;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, CUdevice d) { *ctx = (void *)0x1234; return d == 7 ? 0 : 101; }
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) { return d == 7 ? 0 : 101; }
CUresult cuCtxSetCurrent(void *ctx) { return ctx == 0 || ctx == (void *)0x1234 ? 0 : 201; }
CUresult cuCtxSynchronize(void) { return 0; }
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
	if (n > ((size_t)1 << 32)) return 2;
	void *m = malloc(n);
	if (!m) return 2;
	*p = (CUdeviceptr)(uintptr_t)m;
	return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return 0; }
CUresult cuMemsetD32_v2(CUdeviceptr p, unsigned v, size_t n) {
	unsigned *w = (unsigned *)(uintptr_t)p;
	for (size_t i = 0; i < n; i++) w[i] = v;
	return 0;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) { memcpy((void *)(uintptr_t)dst, src, n); return 0; }
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) { memcpy(dst, (void *)(uintptr_t)src, n); return 0; }
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
	memcpy((void *)(uintptr_t)dst, (void *)(uintptr_t)src, n);
	fake_clock_us += 1000;
	return 0;
}

/* Fails JIT for images containing FAIL_JIT, writing an error log the way the
 * driver does (options 5 and 6: error log buffer and its size). */
CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n, int *opts, void **vals) {
	if (!strstr((const char *)image, ".version")) return 200;
	if (strstr((const char *)image, "FAIL_JIT")) {
		char *buf = 0;
		size_t size = 0;
		for (unsigned i = 0; i < n; i++) {
			if (opts[i] == 5) buf = (char *)vals[i];
			if (opts[i] == 6) size = (size_t)(uintptr_t)vals[i];
		}
		if (buf && size > 64) strcpy(buf, "ptxas application ptx input, line 3; error   : fake\nptxas fatal   : aborted");
		return 218;
	}
	for (unsigned i = 0; i < n; i++) {
		if (opts[i] == 3) {
			size_t size = 0;
			for (unsigned j = 0; j < n; j++)
				if (opts[j] == 4) size = (size_t)(uintptr_t)vals[j];
			if (size > 64) strcpy((char *)vals[i], "ptxas info    : fake 32 registers\n");
		}
	}
	*m = (void *)0x5678;
	return 0;
}
CUresult cuModuleUnload(void *m) { return m == (void *)0x5678 ? 0 : 400; }
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
	if (m != (void *)0x5678 || strncmp(name, "perwatt_", 8) != 0) return 500;
	*f = (void *)0x9abc;
	return 0;
}
#ifndef OMIT_LAUNCH
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
			unsigned shmem, void *stream, void **params, void **extra) {
	last.f = f;
	last.gx = gx; last.gy = gy; last.gz = gz;
	last.bx = bx; last.by = by; last.bz = bz;
	last.shmem = shmem;
	last.stream = stream;
	last.p0 = *(unsigned long long *)params[0];
	last.p1 = *(unsigned long long *)params[1];
	last.p1_u32 = *(unsigned *)params[1];
	last.have_extra = extra != 0;
	fake_clock_us += 10000;
	return f == (void *)0x9abc ? 0 : 400;
}
#endif
/* A kernel of 48 registers on an SM of 64K registers. */
CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int *n, void *f, int block, size_t smem) {
	if (f != (void *)0x9abc || block <= 0 || smem != 0) return 1;
	*n = 65536 / (48 * block);
	return 0;
}
CUresult cuEventCreate(void **e, unsigned flags) {
	if (nevents >= 64) return 2;
	*e = (void *)(uintptr_t)(++nevents);
	return flags == 0 ? 0 : 1;
}
CUresult cuEventRecord(void *e, void *stream) { events[(uintptr_t)e] = fake_clock_us; return stream == 0 ? 0 : 400; }
CUresult cuEventSynchronize(void *e) { return 0; }
CUresult cuEventElapsedTime(float *ms, void *s, void *e) {
	*ms = (float)(events[(uintptr_t)e] - events[(uintptr_t)s]) / 1000.0f;
	return 0;
}
CUresult cuEventDestroy_v2(void *e) { return 0; }
CUresult cuGetErrorName(CUresult r, const char **s) {
	switch (r) {
	case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
	case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
	case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
	case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0;
	}
	return 1;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
	switch (r) {
	case 2: *s = "out of memory"; return 0;
	case 100: *s = "no CUDA-capable device is detected"; return 0;
	case 218: *s = "a PTX JIT compilation failed"; return 0;
	case 500: *s = "named symbol not found"; return 0;
	}
	return 1;
}
