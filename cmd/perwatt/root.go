package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/perwatt/perwatt/collectors"
	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/sha256bench"
)

// Exit codes, documented in README.md.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitNoGPU   = 3
	exitAborted = 130
)

// app is what every command receives: configuration, logger and where to
// write. It is built once per run so tests can call run() in parallel.
type app struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	configPath string
	logLevel   string
	output     string
	jsonOut    bool

	cfg    *config.Config
	logger *slog.Logger
}

// usageError marks a mistake in how perwatt was invoked (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCoder lets a command choose its exit status (e.g. no GPU).
type exitCoder interface{ ExitCode() int }

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(stdin)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ue usageError
	var ec exitCoder
	switch {
	case errors.As(err, &ue) || isCobraUsage(err):
		fmt.Fprintf(stderr, "perwatt: %s (see 'perwatt --help')\n", oneLine(err))
		return exitUsage
	case errors.As(err, &ec):
		fmt.Fprintf(stderr, "perwatt: %s\n", oneLine(err))
		return ec.ExitCode()
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "perwatt: interrupted")
		return exitAborted
	default:
		fmt.Fprintf(stderr, "perwatt: %s\n", err)
		return exitError
	}
}

// isCobraUsage recognises cobra's own argument errors, which it does not type.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "invalid argument", "flag needs an argument", "bad flag syntax"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "perwatt",
		Short: "Per watt, does this hardware earn more hashing or leasing?",
		Long: `perwatt measures real SHA-256d hashing throughput and real GPU capacity with the
power drawn while measuring, turns the readings into revenue per watt for
Bitcoin mining versus AI leasing, and streams everything to InfluxDB.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.setup(cmd) },
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
		Args: cobra.NoArgs,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "config file (TOML); default: $PERWATT_CONFIG, else built-in defaults")
	pf.StringVar(&a.logLevel, "log-level", "info", "debug, info, warn or error")
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table, json or lp (InfluxDB line protocol)")
	pf.BoolVar(&a.jsonOut, "json", false, "shorthand for --output json")

	root.AddCommand(
		newBenchCmd(a),
		newEconCmd(a),
		newCollectCmd(a),
		newAgentCmd(a),
		newConfigCmd(a),
		newVersionCmd(a),
	)
	return root
}

// setup parses the global flags into a logger and a config. Commands that
// must not read a config (config check, version) skip the load.
func (a *app) setup(cmd *cobra.Command) error {
	if a.jsonOut {
		if cmd.Flags().Changed("output") && a.output != "json" {
			return usagef("--json conflicts with --output %s", a.output)
		}
		a.output = "json"
	}
	switch a.output {
	case "table", "json", "lp":
	default:
		return usagef("--output %q: want table, json or lp", a.output)
	}
	if err := finiteFlags(cmd); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	if cmd.Annotations["noconfig"] == "true" {
		return nil
	}
	path := a.configPath
	if path == "" {
		path = a.getenv("PERWATT_CONFIG")
	}
	cfg, err := a.loadConfig(path)
	if err != nil {
		return err
	}
	a.cfg = cfg
	return nil
}

// loadConfig reads path with the checks only cmd can wire: the kernels this
// build has.
func (a *app) loadConfig(path string) (*config.Config, error) {
	var kernels []string
	for _, k := range sha256bench.Kernels() {
		kernels = append(kernels, k.Name)
	}
	return config.Load(path, a.getenv, config.Kernels(kernels...), config.HostParts(collectors.HostParts()...))
}

// finiteFlags refuses NaN and Inf in every number flag of cmd, so each
// command's own checks see only real numbers (a NaN passes every
// comparison; an Inf reached the market validation and exited 1).
func finiteFlags(cmd *cobra.Command) error {
	var errs []error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Value.Type() {
		case "float64", "float32", "float64Slice", "float32Slice":
		default:
			return
		}
		for v := range strings.SplitSeq(strings.Trim(f.Value.String(), "[]"), ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil && (math.IsNaN(x) || math.IsInf(x, 0)) {
				errs = append(errs, fmt.Errorf("--%s %s: want a finite number", f.Name, v))
				return
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return usageError{err}
	}
	return nil
}
