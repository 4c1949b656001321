// Package gpubench measures what an NVIDIA GPU delivers, and at what power:
// FP32 FMA and tensor-core throughput, device-memory bandwidth and SHA-256d
// nonce scanning, each verified against a host reference. It talks to the
// driver alone (libcuda.so.1 loaded at run time; PTX kernels embedded in the
// binary and JIT-compiled by the driver), so it needs no CUDA toolkit.
package gpubench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

// Options configure a run. The zero value measures every kernel on every GPU
// with the default durations and no power readings.
type Options struct {
	Devices []int    // CUDA ordinals; empty: all
	Kernels []string // subset of KernelNames(); empty: all
	// Duration is each kernel's steady (measured) phase; Warmup precedes it
	// so clocks, temperature and power settle first. Zero means the
	// default; a negative Warmup means none.
	Duration time.Duration
	Warmup   time.Duration
	// StepTarget is how long one timed step (launch or batch of launches)
	// should take; steps are synchronised one by one for progress.
	StepTarget time.Duration
	// SampleEvery is the power-sampling interval.
	SampleEvery time.Duration
	// CopyBytes overrides the size of each bandwidth buffer.
	CopyBytes uint64
	// Header is the 80-byte block header the SHA-256d kernel scans; zero
	// means a fixed mainnet header.
	Header [80]byte
	Power  PowerSampler   // nil: no power figures
	OnStep func(Progress) // nil: no progress; called on the CUDA thread, keep it quick
}

// Defaults for Options' zero fields.
const (
	DefaultDuration = 10 * time.Second
	// DefaultWarmup: NVML's power reading is a 1-second average and a board
	// takes seconds to heat and shed clocks; 3 s flattered both against
	// sustained load. PowerStats.DriftPct shows what is left.
	DefaultWarmup      = 10 * time.Second
	DefaultStepTarget  = 50 * time.Millisecond
	DefaultSampleEvery = 100 * time.Millisecond
)

func (o Options) withDefaults() Options {
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	} else if o.Warmup == 0 {
		o.Warmup = DefaultWarmup
	}
	if o.StepTarget <= 0 {
		o.StepTarget = DefaultStepTarget
	}
	if o.SampleEvery <= 0 {
		o.SampleEvery = DefaultSampleEvery
	}
	if o.Header == ([80]byte{}) {
		o.Header = parseDefaultHeader()
	}
	return o
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	for _, k := range o.Kernels {
		if !slices.Contains(KernelNames(), k) {
			errs = append(errs, fmt.Errorf("unknown kernel %q (have %s)", k, strings.Join(KernelNames(), ", ")))
		}
	}
	for _, d := range o.Devices {
		if d < 0 {
			errs = append(errs, fmt.Errorf("gpu index %d: must be >= 0", d))
		}
	}
	if o.CopyBytes != 0 && o.CopyBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("copy buffer %d bytes: want at least 1 MiB", o.CopyBytes))
	}
	return errors.Join(errs...)
}

// Progress is reported after every timed step.
type Progress struct {
	GPU     int
	Name    string
	Kernel  string
	Phase   string // "calibrate", "warmup", "steady", "verify"
	Elapsed time.Duration
	Rate    float64 // in Unit, over the phase so far
	Unit    string
}

// Bench owns the driver and the thread all CUDA calls run on.
type Bench struct {
	drv    driver
	thread *cudaThread
	log    *slog.Logger
	now    func() time.Time
	tune   tuning
}

// tuning holds sizes the tests shrink so the PTX interpreter can run them.
type tuning struct {
	shaSteadyTarget uint32 // 0: difficulty-1 shares, as a miner submits
	shaVerifyTarget uint32
	shaVerifyNonces uint64
}

// Open loads libcuda.so.1 and initialises the driver. Errors wrap
// ErrNoDriver or ErrNoDevice with a one-line reason.
func Open(ctx context.Context, log *slog.Logger) (*Bench, error) {
	t := startCUDAThread()
	var drv driver
	err := t.do(ctx, func() error {
		var err error
		drv, err = openDriver()
		return err
	})
	if err != nil {
		t.stop()
		return nil, err
	}
	return newBench(drv, t, log), nil
}

func newBench(drv driver, t *cudaThread, log *slog.Logger) *Bench {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bench{drv: drv, thread: t, log: log, now: time.Now,
		tune: tuning{shaVerifyTarget: verifyTarget, shaVerifyNonces: verifyNonces}}
}

// Close stops the CUDA thread. The driver library stays loaded: unloading
// libcuda is not supported by the driver.
func (b *Bench) Close() { b.thread.stop() }

// DriverVersion is the CUDA version the driver supports, e.g. "12.4".
func (b *Bench) DriverVersion(ctx context.Context) (string, error) {
	var v int
	err := b.thread.do(ctx, func() error {
		var err error
		v, err = b.drv.driverVersion()
		return err
	})
	return fmt.Sprintf("%d.%d", v/1000, v%1000/10), err
}

// Devices lists the GPUs the driver sees.
func (b *Bench) Devices(ctx context.Context) ([]Device, error) {
	var out []Device
	err := b.thread.do(ctx, func() error {
		var err error
		out, err = listDevices(b.drv, nil)
		return err
	})
	return out, err
}

// Run measures the selected kernels on the selected GPUs, one GPU and one
// kernel at a time (concurrent kernels would share power and clocks). A
// kernel that fails (JIT, CUDA error, verification) is reported with its
// error and no rate; Run's error is the join of those failures, so the
// report is complete even when it is returned with an error.
func (b *Bench) Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	kernels := opts.Kernels
	if len(kernels) == 0 {
		kernels = KernelNames()
	}
	rep := &Report{Started: b.now().UTC()}
	var err error
	if rep.DriverVersion, err = b.DriverVersion(ctx); err != nil {
		return nil, err
	}
	var devs []Device
	if err := b.thread.do(ctx, func() error {
		var err error
		devs, err = listDevices(b.drv, opts.Devices)
		return err
	}); err != nil {
		return nil, err
	}
	var errs []error
	for _, dev := range devs {
		gr := GPUResult{Device: dev}
		if ds, ok := DatasheetFor(dev.Name); ok {
			gr.Datasheet = &ds
		}
		err := b.runGPU(ctx, opts, dev, kernels, &gr)
		rep.GPUs = append(rep.GPUs, gr)
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	rep.Finished = b.now().UTC()
	return rep, errors.Join(errs...)
}

// runGPU measures kernels on one GPU in one context (see session).
func (b *Bench) runGPU(ctx context.Context, opts Options, dev Device, kernels []string, gr *GPUResult) error {
	sess, err := b.openSession(ctx, dev)
	if err != nil {
		return err
	}
	var errs []error
	for _, k := range kernels {
		if err := ctx.Err(); err != nil {
			break
		}
		if sess == nil {
			if sess, err = b.openSession(ctx, dev); err != nil {
				errs = append(errs, err)
				break
			}
		}
		kr, err := b.runKernel(ctx, opts, sess, k)
		gr.Kernels = append(gr.Kernels, kr)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			errs = append(errs, fmt.Errorf("gpu %d %s: %w", dev.Index, k, err))
			if stickyError(err) {
				b.log.Warn("the GPU context is unusable after this error; starting a fresh one", "gpu", dev.Index, "kernel", k, "err", err)
				_ = b.closeSession(ctx, sess)
				sess = nil
			}
		}
	}
	if sess != nil {
		if err := b.closeSession(ctx, sess); err != nil {
			errs = append(errs, fmt.Errorf("gpu %d: %w", dev.Index, err))
		}
	}
	return errors.Join(errs...)
}

func (b *Bench) newWorkload(kernel string, opts Options) workload {
	switch kernel {
	case KernelFP32FMA:
		return &fmaWork{}
	case KernelBF16MMA:
		return &mmaWork{kernel: kernel, entry: ptxgen.EntryMMABF16, bf16: true, seed: 1}
	case KernelFP16MMA:
		return &mmaWork{kernel: kernel, entry: ptxgen.EntryMMAF16, seed: 2}
	case KernelCopy:
		return &memWork{kernel: kernel, override: opts.CopyBytes}
	case KernelMemcpyDtoD:
		return &memWork{kernel: kernel, viaCopy: true, override: opts.CopyBytes}
	case KernelSHA256d:
		return &shaWork{header: opts.Header, steadyTarget: b.tune.shaSteadyTarget,
			verifyTarget: b.tune.shaVerifyTarget, verifyN: b.tune.shaVerifyNonces}
	}
	return nil
}
