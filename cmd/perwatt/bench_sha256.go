package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/perwatt/perwatt/collectors"
	"github.com/perwatt/perwatt/sha256bench"
)

type benchSHA256Flags struct {
	kernel     string
	list       bool
	threads    int
	duration   time.Duration
	warmup     time.Duration
	window     time.Duration
	yardstick  time.Duration
	powerW     float64
	market     string
	powerPrice float64
	reference  string
}

func newBenchSHA256Cmd(a *app) *cobra.Command {
	var f benchSHA256Flags
	cmd := &cobra.Command{
		Use:   "sha256",
		Short: "Measure SHA-256d (Bitcoin) hashing on this CPU, with power and what it would earn",
		Long: `sha256 scans nonces of a real block header (mainnet block 500000) the way a miner
does: midstate once per job, only block 2 and the second hash per nonce, early
reject on the hash's most significant word. Before measuring it checks the
kernel against crypto/sha256 and real mainnet blocks and refuses to report a
rate from a kernel that fails.

Kernels: avx512 (16 lanes), shani (SHA-NI, 2 nonces interleaved), avx2 (8 lanes),
stdlib (crypto/sha256 from a saved midstate: Go's own SHA code, the choice on
arm64), generic (portable Go); the default is the fastest this CPU supports
(--list-kernels shows which). Power comes from RAPL package energy where
readable, or from --power-w (a wall-meter reading); otherwise it is reported
as unavailable, never guessed. Ctrl-C prints what was measured so far.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.list {
				return a.render(kernelList(sha256bench.Kernels()))
			}
			if err := f.validate(cmd); err != nil {
				return err
			}
			return runBenchSHA256(cmd, a, &f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.kernel, "kernel", "auto", "kernel: auto, avx512, shani, avx2, stdlib or generic; bench.sha256.kernel when not given")
	fs.BoolVar(&f.list, "list-kernels", false, "list the kernels and whether this CPU supports them")
	fs.IntVar(&f.threads, "threads", 0, "worker threads, 0 = every logical CPU; bench.sha256.threads when not given")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "measured time after warm-up; bench.sha256.duration when not given")
	fs.DurationVar(&f.warmup, "warmup", time.Second, "warm-up before measuring, excluded from the figures")
	fs.DurationVar(&f.window, "window", time.Second, "length of each rate window (median, min, max are over windows)")
	fs.DurationVar(&f.yardstick, "yardstick", time.Second, "time the plain Go sha256.Sum256 loop on the same threads for comparison; 0 skips")
	fs.Float64Var(&f.powerW, "power-w", 0, "wall-meter reading in watts during the run; used instead of RAPL")
	fs.StringVar(&f.market, "market", "offline", "hashprice for the economics: offline (embedded snapshot), live, or none")
	fs.Float64Var(&f.powerPrice, "power-price", 0, "power price in USD/kWh; economics.power_price_usd_per_kwh when not given")
	fs.StringVar(&f.reference, "reference", "S21 XP", "reference ASIC from the catalogue to compare with")
	return cmd
}

// validate applies the config for flags not given and checks every flag,
// reporting all problems at once.
func (f *benchSHA256Flags) validate(cmd *cobra.Command) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if n := sha256bench.MaxThreads(); f.threads < 0 || f.threads > n {
		bad("--threads %d: want 1 to %d, the logical CPUs perwatt may use here (0 = all of them)", f.threads, n)
	}
	// The runner's limits: shorter windows measure the timer, not the kernel.
	if f.duration < sha256bench.MinDuration {
		bad("--duration %s: want at least %s", f.duration, sha256bench.MinDuration)
	}
	if f.warmup < 0 {
		bad("--warmup %s: must not be negative", f.warmup)
	}
	if f.window < sha256bench.MinWindow {
		bad("--window %s: want at least %s", f.window, sha256bench.MinWindow)
	}
	if f.yardstick < 0 {
		bad("--yardstick %s: must not be negative", f.yardstick)
	}
	if cmd.Flags().Changed("power-w") && !(f.powerW > 0 && f.powerW < 1e6) {
		bad("--power-w %v: want the wall-meter reading in watts, above 0", f.powerW)
	}
	switch f.market {
	case "offline", "live", "none":
	default:
		bad("--market %q: want offline, live or none", f.market)
	}
	if cmd.Flags().Changed("power-price") && (!(f.powerPrice >= 0) || f.powerPrice > 10) {
		bad("--power-price %v: want USD per kWh from 0 to 10 (0.05 is 5 cents)", f.powerPrice)
	}
	if cmd.Flags().Changed("kernel") {
		if _, err := sha256bench.KernelByName(f.kernel); errors.Is(err, sha256bench.ErrUnknownKernel) {
			bad("--kernel: %w", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return usageError{err}
	}
	return nil
}

func runBenchSHA256(cmd *cobra.Command, a *app, f *benchSHA256Flags) error {
	view, err := measureSHA256(cmd, a, f)
	if err != nil {
		return err
	}
	if err := a.render(view); err != nil {
		return err
	}
	if view.Interrupted {
		return context.Canceled // printed what was measured; exit as interrupted
	}
	return nil
}

// measureSHA256 runs the benchmark (and its economics unless --market none);
// `bench sha256` and `bench all` share it.
func measureSHA256(cmd *cobra.Command, a *app, f *benchSHA256Flags) (benchSHA256View, error) {
	ctx := cmd.Context()
	// Flags not given take the configured values ([bench.sha256]).
	changed := cmd.Flags().Changed
	bc := a.cfg.Bench.SHA256
	if !changed("kernel") && bc.Kernel != "" {
		f.kernel = bc.Kernel
	}
	if !changed("threads") {
		f.threads = bc.Threads
	}
	if !changed("duration") && bc.Duration.D() > 0 {
		f.duration = bc.Duration.D()
	}
	if _, err := sha256bench.KernelByName(f.kernel); err != nil {
		source := "--kernel"
		if !changed("kernel") {
			source = "bench.sha256.kernel"
		}
		if errors.Is(err, sha256bench.ErrUnknownKernel) {
			return benchSHA256View{}, usagef("%s: %w", source, err)
		}
		return benchSHA256View{}, fmt.Errorf("%s: %w", source, err)
	}

	cfg := sha256bench.Config{
		Kernel: f.kernel, Threads: f.threads, Duration: f.duration, Warmup: f.warmup, Window: f.window,
		Yardstick: f.yardstick, PowerW: f.powerW, Logger: a.logger.With("bench", "sha256"),
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = -1 // the runner reads 0 as "default"
	}
	if f.powerW == 0 {
		cfg.Meter, cfg.NoMeterReason = probeRAPL(ctx, a)
	}
	if w, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(w.Fd())) {
		cfg.Progress = progressLine(a.stderr)
		defer fmt.Fprint(a.stderr, "\r\033[K")
	}

	res, err := sha256bench.Run(ctx, cfg)
	if errors.Is(err, sha256bench.ErrBadConfig) {
		return benchSHA256View{}, usagef("[bench.sha256] or flags: %w", err) // e.g. bench.sha256.threads above this host's CPUs
	}
	if err != nil {
		return benchSHA256View{}, err
	}
	view := benchSHA256View{Result: res}
	if f.market != "none" {
		terms := appraisalTerms(a.cfg)
		if changed("power-price") {
			terms.PowerPriceUSDPerKWh = f.powerPrice
		}
		econ, err := sha256Economics(a, f.market, res, terms, f.reference)
		if err != nil {
			return benchSHA256View{}, err
		}
		view.Economics = econ
	}
	if cfg.Progress != nil {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	return view, nil
}

// probeRAPL returns the RAPL package energy counter if it can be read here,
// or why not.
func probeRAPL(ctx context.Context, a *app) (sha256bench.EnergyMeter, string) {
	rc := a.cfg.Collectors.RAPL
	r := collectors.NewRAPL(rc.SysfsRoot, a.logger)
	if _, err := r.EnergyJ(ctx); err != nil {
		a.logger.Debug("RAPL energy not readable", "err", err)
		return nil, err.Error()
	}
	return r, ""
}

// progressLine redraws one status line on a terminal.
func progressLine(w io.Writer) func(sha256bench.Progress) {
	return func(p sha256bench.Progress) {
		phase := "measuring"
		if p.Warmup {
			phase = "warm-up"
		}
		fmt.Fprintf(w, "\r\033[K%s %.1f/%.0fs  %s", phase, p.Elapsed.Seconds(), p.Total.Seconds(), sha256bench.FormatHS(p.WindowHS))
		if p.Hashes > 0 {
			fmt.Fprintf(w, "  %d hashes", p.Hashes)
		}
	}
}

// kernelList is --list-kernels.
type kernelList []sha256bench.Kernel

func (l kernelList) MarshalJSON() ([]byte, error) {
	type row struct {
		Name        string `json:"name"`
		Lanes       int    `json:"lanes"`
		Supported   bool   `json:"supported"`
		Reason      string `json:"reason,omitempty"`
		Description string `json:"description"`
	}
	rows := []row{}
	for _, k := range l {
		ok, why := k.Supported()
		rows = append(rows, row{k.Name, k.Lanes, ok, why, k.Description})
	}
	return json.Marshal(rows)
}

func (l kernelList) Table(w io.Writer) error {
	t := newTable(w, "KERNEL", "LANES", "THIS CPU", "DESCRIPTION")
	best, _ := sha256bench.KernelByName("auto")
	for _, k := range l {
		ok, why := k.Supported()
		sup := "yes"
		if !ok {
			sup = "no: " + why
		} else if k.Name == best.Name {
			sup = "yes (default)"
		}
		t.row(k.Name, fmt.Sprint(k.Lanes), sup, k.Description)
	}
	return t.flush()
}

// Points is empty: the kernel list is not a measurement.
