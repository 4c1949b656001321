package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/perwatt/perwatt/collectors"
	"github.com/perwatt/perwatt/gpubench"
)

// exitGPUFailed: a GPU was found but a kernel failed (PTX JIT, CUDA error
// or output verification); what did run is still printed.
const exitGPUFailed = 4

// gpuExit carries the exit status for GPU outcomes.
type gpuExit struct {
	err  error
	code int
}

func (e gpuExit) Error() string { return e.err.Error() }
func (e gpuExit) Unwrap() error { return e.err }
func (e gpuExit) ExitCode() int { return e.code }

type benchGPUFlags struct {
	devices    []int
	kernels    []string
	duration   time.Duration
	warmup     time.Duration
	copyMiB    int
	noPower    bool
	list       bool
	market     string
	powerPrice float64
	leaseRate  float64
	overheadW  float64
}

func newBenchGPUCmd(a *app) *cobra.Command {
	var f benchGPUFlags
	cmd := &cobra.Command{
		Use:   "gpu",
		Short: "Measure what each NVIDIA GPU delivers (FP32, tensor, memory, SHA-256d) and the power it draws",
		Long: `gpu runs kernels on every NVIDIA GPU of this host (or those given with --device),
one GPU and one kernel at a time, through the driver alone: libcuda.so.1 is
loaded at run time and the PTX kernels embedded in perwatt are JIT-compiled by
it, so no CUDA toolkit is needed.

Kernels: fp32_fma (FP32 FMA chains), bf16_mma and fp16_mma (tensor-core
mma.sync m16n8k16, FP32 accumulate; compute capability 8.0+), copy_kernel
(16-byte grid-stride copy) and memcpy_dtod (cuMemcpyDtoD) over buffers far
larger than L2, counted as bytes read + written, and sha256d (Bitcoin nonce
scan). Each kernel's output is checked against a host reference and a kernel
that fails is reported as failed, never with a number.

Power, clocks, temperature and throttle reasons come from NVML for the same
PCI bus id; the average watts are the energy counter's delta over the measured
phase, cross-checked with 100 ms samples. Peaks are SMs x measured clock x
per-SM rate for the architecture (memory: clock x bus width), with NVIDIA's
datasheet figure beside them. It ends with revenue per watt for leasing the
GPU versus mining SHA-256d on it.

Exit status: 0 all kernels verified, 3 no NVIDIA driver or GPU,
4 a kernel failed (JIT, CUDA error or verification).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(cmd, a); err != nil {
				return err
			}
			return runBenchGPU(cmd, a, &f)
		},
	}
	fs := cmd.Flags()
	fs.IntSliceVar(&f.devices, "device", nil, "GPU index (CUDA ordinal) to measure; repeat or comma-separate (default: all)")
	fs.StringSliceVar(&f.kernels, "kernels", nil, "kernels to run, comma-separated: "+strings.Join(gpubench.KernelNames(), ",")+" (default: all)")
	fs.DurationVar(&f.duration, "duration", 5*time.Second, "measured time per kernel after warm-up; bench.gpu.duration when not given")
	fs.DurationVar(&f.warmup, "warmup", gpubench.DefaultWarmup, "warm-up per kernel so clocks and power settle; excluded from the figures")
	fs.IntVar(&f.copyMiB, "copy-mib", 0, "size of each bandwidth buffer in MiB (default: 1024, or 1/8 of GPU memory if smaller)")
	fs.BoolVar(&f.noPower, "no-power", false, "do not read power from NVML")
	fs.BoolVar(&f.list, "list-devices", false, "list the GPUs the driver sees and exit")
	fs.StringVar(&f.market, "market", "offline", "hashprice for the economics: offline (embedded snapshot), live, or none")
	fs.Float64Var(&f.powerPrice, "power-price", 0, "power price in USD/kWh (default: economics.power_price_usd_per_kwh)")
	fs.Float64Var(&f.leaseRate, "lease-rate", 0, "lease price in USD per GPU-hour (default: economics.lease_rate_usd_per_gpu_hour, else the catalogue rate for this GPU)")
	fs.Float64Var(&f.overheadW, "server-overhead-w", 0, "per-GPU share of the server's other power (CPUs, fans, NICs) in W (default: economics.gpu_server_overhead_w, else the catalogue's)")
	return cmd
}

// validate applies the config for flags not given and reports every bad
// flag at once.
func (f *benchGPUFlags) validate(cmd *cobra.Command, a *app) error {
	changed := cmd.Flags().Changed
	if !changed("duration") && a.cfg.Bench.GPU.Duration.D() > 0 {
		f.duration = a.cfg.Bench.GPU.Duration.D()
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.duration <= 0 {
		bad("--duration %s: must be positive", f.duration)
	}
	if f.warmup < 0 {
		bad("--warmup %s: must not be negative", f.warmup)
	}
	if f.copyMiB < 0 || changed("copy-mib") && f.copyMiB == 0 {
		bad("--copy-mib %d: must be at least 1", f.copyMiB)
	}
	opts := gpubench.Options{Devices: f.devices, Kernels: f.kernels}
	if err := opts.Validate(); err != nil {
		for _, e := range splitJoined(err) {
			if strings.Contains(e.Error(), "kernel") {
				bad("--kernels: %v", e)
			} else {
				bad("--device: %v", e)
			}
		}
	}
	switch f.market {
	case "offline", "live", "none":
	default:
		bad("--market %q: want offline, live or none", f.market)
	}
	if changed("power-price") && (!(f.powerPrice >= 0) || f.powerPrice > 10) {
		bad("--power-price %v: want USD per kWh from 0 to 10 (0.05 is 5 cents)", f.powerPrice)
	}
	if changed("lease-rate") && !(f.leaseRate > 0 && f.leaseRate < 1000) {
		bad("--lease-rate %v: want USD per GPU-hour above 0 (2.00 is two dollars)", f.leaseRate)
	}
	if changed("server-overhead-w") && !(f.overheadW >= 0 && f.overheadW < 1e5) {
		bad("--server-overhead-w %v: want watts, 0 or more", f.overheadW)
	}
	if err := errors.Join(errs...); err != nil {
		return usageError{err}
	}
	return nil
}

func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func runBenchGPU(cmd *cobra.Command, a *app, f *benchGPUFlags) error {
	ctx := cmd.Context()
	log := a.logger.With("bench", "gpu")
	b, err := gpubench.Open(ctx, log)
	if err != nil {
		return gpuOpenError(err)
	}
	defer b.Close()
	if f.list {
		devs, err := b.Devices(ctx)
		if err != nil {
			return gpuOpenError(err)
		}
		return a.render(gpuDeviceList(devs))
	}
	view, runErr := measureGPU(cmd, a, f, b)
	if view == nil {
		return runErr
	}
	if err := a.render(view); err != nil {
		return err
	}
	return runErr
}

// measureGPU runs the kernels on an opened driver. The view is nil when
// nothing ran; the error carries the exit status (no GPU, failed kernel).
// `bench gpu` and `bench all` share it.
func measureGPU(cmd *cobra.Command, a *app, f *benchGPUFlags, b *gpubench.Bench) (*benchGPUView, error) {
	ctx := cmd.Context()
	log := a.logger.With("bench", "gpu")

	opts := gpubench.Options{Devices: f.devices, Kernels: f.kernels, Duration: f.duration, Warmup: f.warmup,
		CopyBytes: uint64(f.copyMiB) << 20}
	if opts.Warmup == 0 {
		opts.Warmup = -1 // gpubench reads 0 as "default"
	}
	view := &benchGPUView{}
	if f.noPower {
		view.PowerNote = "power not read (--no-power)"
	} else {
		nv := collectors.NewNVMLDriver(log)
		defer func() { _ = nv.Close() }()
		view.PowerNote = probeGPUPower(ctx, b, nv)
		if view.PowerNote == "" {
			opts.Power = gpuNVMLPower{nv}
		}
	}
	if w, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(w.Fd())) {
		opts.OnStep = gpuProgressLine(a.stderr)
	}
	rep, runErr := b.Run(ctx, opts)
	if opts.OnStep != nil {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	if rep == nil {
		if errors.Is(runErr, gpubench.ErrNoDriver) || errors.Is(runErr, gpubench.ErrNoDevice) {
			return nil, gpuOpenError(runErr)
		}
		return nil, runErr
	}
	view.Report = rep
	if f.market != "none" && !errors.Is(runErr, context.Canceled) {
		view.Economics, view.EconomicsNote = gpuEconomics(a, cmd, f, rep)
	}
	switch {
	case runErr == nil:
		return view, nil
	case errors.Is(runErr, context.Canceled):
		return view, runErr
	default:
		return view, gpuExit{fmt.Errorf("gpu benchmark: %w", runErr), exitGPUFailed}
	}
}

// gpuOpenError maps "nothing to measure" to exit status 3 with one line.
func gpuOpenError(err error) error {
	if errors.Is(err, gpubench.ErrNoDriver) || errors.Is(err, gpubench.ErrNoDevice) {
		return gpuExit{err, exitNoGPU}
	}
	return err
}

// probeGPUPower checks that NVML answers for the first GPU, so a host
// without it gets one note instead of an error per kernel.
func probeGPUPower(ctx context.Context, b *gpubench.Bench, nv *collectors.NVML) string {
	devs, err := b.Devices(ctx)
	if err != nil || len(devs) == 0 {
		return ""
	}
	if _, err := nv.Sample(ctx, devs[0].PCIBusID); err != nil {
		return "power unavailable: " + err.Error()
	}
	return ""
}

// gpuNVMLPower adapts the NVML collector to gpubench.PowerSampler.
type gpuNVMLPower struct{ n *collectors.NVML }

func (p gpuNVMLPower) Sample(ctx context.Context, bus string) (gpubench.PowerSample, error) {
	s, err := p.n.Sample(ctx, bus)
	if err != nil {
		return gpubench.PowerSample{}, err
	}
	t := s.Time
	if t.IsZero() {
		t = time.Now()
	}
	return gpubench.PowerSample{Time: t, PowerW: s.PowerW, PowerInstantW: s.PowerInstantW, HasInstant: s.HasInstant,
		EnergyMJ: s.EnergyMJ, HasEnergy: s.HasEnergy,
		SMClockMHz: float64(s.SMClockMHz), MemClockMHz: float64(s.MemClockMHz), TempC: s.TempC,
		PowerLimitW: s.PowerLimitW, ThrottleReasons: s.ThrottleReasons}, nil
}

// gpuProgressLine redraws one status line on a terminal.
func gpuProgressLine(w io.Writer) func(gpubench.Progress) {
	return func(p gpubench.Progress) {
		rate := ""
		if p.Rate > 0 {
			switch p.Unit {
			case gpubench.UnitFlops:
				rate = fmt.Sprintf("%.2f TFLOPS", p.Rate/1e12)
			case gpubench.UnitBytes:
				rate = fmt.Sprintf("%.2f TB/s", p.Rate/1e12)
			case gpubench.UnitHashes:
				rate = fmt.Sprintf("%.2f GH/s", p.Rate/1e9)
			}
		}
		fmt.Fprintf(w, "\r\033[Kgpu %d %s  %s  %-9s %5.1fs  %s", p.GPU, p.Name, p.Kernel, p.Phase, p.Elapsed.Seconds(), rate)
	}
}

// gpuDeviceList is --list-devices.
type gpuDeviceList []gpubench.Device

func (l gpuDeviceList) Table(w io.Writer) error {
	t := newTable(w, "INDEX", "NAME", "PCI BUS ID", "COMPUTE", "ARCH", "SMS", "MEMORY GiB", "MAX MHZ")
	for _, d := range l {
		t.row(fmt.Sprint(d.Index), d.Name, d.PCIBusID, d.ComputeCap, d.Arch, fmt.Sprint(d.SMs),
			fmt.Sprintf("%.0f", float64(d.MemoryBytes)/(1<<30)), fmt.Sprintf("%.0f", d.MaxClockMHz))
	}
	return t.flush()
}

// Points is empty: the device list is not a measurement.
