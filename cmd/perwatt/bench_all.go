package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/gpubench"
	"github.com/perwatt/perwatt/internal/metric"
)

// benchAllView is `perwatt bench all`: this CPU's SHA-256d rate, every GPU's
// capacity, and the economics of both next to the catalogue.
type benchAllView struct {
	SHA256    *benchSHA256View `json:"sha256"`
	GPU       *benchGPUView    `json:"gpu,omitempty"`
	GPUNote   string           `json:"gpu_note,omitempty"`
	Economics econView         `json:"economics"`
}

func newBenchAllCmd(a *app) *cobra.Command {
	sf := benchSHA256Flags{kernel: "auto", duration: 10 * time.Second, warmup: time.Second,
		window: time.Second, yardstick: time.Second, market: "none"}
	gf := benchGPUFlags{warmup: gpubench.DefaultWarmup, market: "none"}
	var mf marketFlags
	var marketMode string // --market; sf.market stays "none": bench all prices everything once, below
	var noGPU bool
	cmd := &cobra.Command{
		Use:   "all",
		Short: "Benchmark SHA-256d on every CPU thread, then every GPU, then price both against the catalogue",
		Long: `all runs 'bench sha256' on every logical CPU, then 'bench gpu' on every NVIDIA
GPU (skipped with a one-line reason when there is no driver or GPU), then
evaluates the measured hardware next to the catalogue's ASICs, GPUs and
colocation deals at the market of the snapshot embedded in the binary
(--market live: the current one). This is what 'make run' does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sf.validate(cmd); err != nil {
				return err
			}
			// The GPU part takes [bench.gpu] as `bench gpu` does.
			if !cmd.Flags().Changed("gpu-duration") && a.cfg.Bench.GPU.Duration > 0 {
				gf.duration = a.cfg.Bench.GPU.Duration.D()
			}
			if gf.duration <= 0 {
				return usagef("--gpu-duration %s: must be positive", gf.duration)
			}
			// One default with bench sha256 and bench gpu: the embedded
			// snapshot, so a benchmark never waits on the network unasked.
			switch {
			case marketMode == "live" && cmd.Flags().Changed("offline"):
				return usagef("--market live conflicts with --offline")
			case marketMode == "offline":
				mf.offline = true
			case marketMode != "live":
				return usagef("--market %q: want offline or live", marketMode)
			}
			// Everything is checked before the first fetch or measurement.
			m, err := mf.resolve(a)
			if err != nil {
				return err
			}
			price, err := mf.powerPrice(a)
			if err != nil {
				return err
			}
			return runBenchAll(cmd, a, &sf, &gf, noGPU, m, price)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&sf.kernel, "kernel", sf.kernel, "SHA-256d kernel; bench.sha256.kernel when not given")
	fs.IntVar(&sf.threads, "threads", 0, "SHA-256d worker threads, 0 = every logical CPU; bench.sha256.threads when not given")
	fs.DurationVar(&sf.duration, "duration", sf.duration, "SHA-256d measured time; bench.sha256.duration when not given")
	fs.Float64Var(&sf.powerW, "power-w", 0, "wall-meter reading in watts during the CPU run; used instead of RAPL")
	fs.DurationVar(&gf.duration, "gpu-duration", 0, "measured time per GPU kernel; bench.gpu.duration (5s) when not given")
	fs.BoolVar(&noGPU, "no-gpu", false, "skip the GPU benchmark")
	fs.StringVar(&marketMode, "market", "offline", "market data for the economics: offline (the snapshot embedded in the binary) or live")
	mf.register(fs)
	fs.Lookup("offline").Usage = "same as --market offline (the default)"
	return cmd
}

func runBenchAll(cmd *cobra.Command, a *app, sf *benchSHA256Flags, gf *benchGPUFlags, noGPU bool, m resolvedMarket, price float64) error {
	ctx := cmd.Context()
	sha, err := measureSHA256(cmd, a, sf)
	if err != nil {
		return err
	}
	view := benchAllView{SHA256: &sha}
	interrupted := sha.Interrupted

	var gpuErr error
	switch {
	case noGPU:
		view.GPUNote = "gpu: skipped (--no-gpu)"
	case interrupted:
		view.GPUNote = "gpu: skipped (interrupted)"
	default:
		view.GPU, gpuErr = benchAllGPU(cmd, a, gf)
		if view.GPU == nil && gpuErr != nil {
			var ge gpuExit
			if !errors.As(gpuErr, &ge) || ge.code != exitNoGPU {
				return gpuErr
			}
			// No GPU is an answer, not a failure, when benchmarking a host.
			view.GPUNote = "gpu: " + gpuErr.Error()
			gpuErr = nil
		}
	}

	// This host's devices, appraised as the agent does, beside the catalogue.
	var rs []appraisal.Reading
	if rd, ok := view.SHA256.Reading(); ok {
		rs = append(rs, rd)
	}
	if view.GPU != nil {
		rs = append(rs, view.GPU.Readings()...)
	}
	terms := appraisalTerms(a.cfg)
	terms.PowerPriceUSDPerKWh = price
	var profiles []economics.Profile
	for _, r := range appraisal.Merge(rs) {
		ap, err := appraisal.Appraise(m.market, terms, r)
		if err != nil {
			return fmt.Errorf("economics: %w", err)
		}
		for _, u := range []*appraisal.Use{ap.Mining, ap.Leasing} {
			if u != nil && u.Profile != nil {
				profiles = append(profiles, u.Profile)
			}
		}
	}
	profiles = append(profiles, economics.Catalogue()...)
	rep, err := economics.Evaluate(m.market, price, profiles, time.Now())
	if err != nil {
		return fmt.Errorf("economics: %w", err)
	}
	view.Economics = econView{Report: rep, MarketNote: m.note, Breakevens: breakevens(rep, profiles, m.market, price)}
	if err := a.render(view); err != nil {
		return err
	}
	if interrupted || errors.Is(ctx.Err(), context.Canceled) {
		return context.Canceled
	}
	return gpuErr
}

// benchAllGPU opens the driver and measures every GPU; nil and an exitNoGPU
// error when there is none.
func benchAllGPU(cmd *cobra.Command, a *app, gf *benchGPUFlags) (*benchGPUView, error) {
	b, err := gpubench.Open(cmd.Context(), a.logger.With("bench", "gpu"))
	if err != nil {
		return nil, gpuOpenError(err)
	}
	defer b.Close()
	return measureGPU(cmd, a, gf, b)
}

func (v benchAllView) Table(w io.Writer) error {
	fmt.Fprintln(w, "== SHA-256d on this CPU")
	if err := v.SHA256.Table(w); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n== GPUs")
	if v.GPU != nil {
		if err := v.GPU.Table(w); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(w, v.GPUNote)
	}
	fmt.Fprintln(w, "\n== Revenue per watt: this host next to the catalogue")
	if err := v.Economics.Report.Summary(w); err != nil {
		return err
	}
	if v.SHA256.PowerW == nil {
		fmt.Fprintln(w, "\nThis CPU is not in the table: its power is unavailable here; pass --power-w with a wall-meter reading.")
	}
	_, err := fmt.Fprintln(w, "Lease terms, per-MW ratios and breakeven hashprices: perwatt econ (the same market flags apply).")
	return err
}

func (v benchAllView) Points() []metric.Point {
	pts := v.SHA256.Points()
	if v.GPU != nil {
		pts = append(pts, v.GPU.Points()...)
	}
	return append(pts, v.Economics.Points()...)
}
