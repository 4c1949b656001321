package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/collectors"
	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/internal/metric"
)

func newCollectCmd(a *app) *cobra.Command {
	var only []string
	var timeout, interval time.Duration
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Read every configured collector once and print the readings",
		Long: `collect reads the host, GPUs (NVML), CPU power (RAPL) and the ASIC rigs listed
in the config, once, exactly as the agent does, and prints what each returned.
Sources this machine does not have are listed as unavailable with the reason.
Collectors that report rates (host CPU %, RAPL watts) are read twice,
--interval apart, so the one-shot output has them too.`,
		Example: `  perwatt collect
  perwatt collect --only host,rapl --output json
  perwatt collect --only asic --timeout 20s --output lp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 {
				return usagef("--timeout %s: must be positive", timeout)
			}
			if interval < 0 {
				return usagef("--interval %s: must not be negative", interval)
			}
			all, closeAll := buildCollectors(a.cfg, a.logger)
			defer closeAll()
			cs, err := selectCollectors(unwire(all), only)
			if err != nil {
				return withReasons(err, a.cfg, only)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			res := collectOnce(ctx, cs, interval)
			if err := a.render(res); err != nil {
				return err
			}
			return res.failure()
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&only, "only", nil, "collectors to read (host, nvml, rapl, asic); default all enabled in the config")
	f.DurationVar(&timeout, "timeout", 15*time.Second, "give up on collectors still reading after this long")
	f.DurationVar(&interval, "interval", time.Second, "gap between the two reads of rate collectors (host, rapl); 0 reads once")
	return cmd
}

// selectCollectors keeps the collectors named in only, in config order. A
// name that is not a collector, or not enabled, is a usage error naming it.
func selectCollectors(all []collector, only []string) ([]collector, error) {
	if len(only) == 0 {
		if len(all) == 0 {
			return nil, usagef("no collector is enabled in the config ([collectors.*] enabled = true)")
		}
		return all, nil
	}
	byName := map[string]collector{}
	for _, c := range all {
		byName[c.Name()] = c
	}
	var out []collector
	var bad []string
	for _, n := range only {
		n = strings.TrimSpace(n)
		c, ok := byName[n]
		if !ok {
			bad = append(bad, n)
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(bad) > 0 {
		known := slices.Sorted(maps.Keys(byName))
		return nil, usagef("--only %s: not an enabled collector (enabled: %s)", strings.Join(bad, ","), strings.Join(known, ", "))
	}
	return out, nil
}

// withReasons adds to a refused --only why each configured-but-absent
// collector is not there, so the operator fixes the config, not the flag.
func withReasons(err error, cfg *config.Config, only []string) error {
	co := cfg.Collectors
	var why []string
	for _, n := range only {
		switch n = strings.TrimSpace(n); {
		case n == "asic" && co.ASIC.Enabled && len(co.ASIC.Rigs) == 0:
			why = append(why, "asic is enabled but no rig is configured: add [[collectors.asic.rigs]] with address = \"host:4028\"")
		case n == "asic" && !co.ASIC.Enabled, n == "host" && !co.Host.Enabled, n == "nvml" && !co.NVML.Enabled, n == "rapl" && !co.RAPL.Enabled:
			why = append(why, fmt.Sprintf("%s is off in the config (collectors.%s.enabled = false)", n, n))
		}
	}
	if len(why) == 0 {
		return err
	}
	return usagef("%w; %s", err, strings.Join(why, "; "))
}

// rateCollector tells which collectors report a change since their previous
// call and so need two reads to say anything about CPU % or watts; each
// says so itself.
func rateCollector(c collector) bool {
	r, ok := c.(interface{ ReportsRates() bool })
	return ok && r.ReportsRates()
}

// collectOnce runs the collectors concurrently, as the agent would, each
// bounded by ctx.
func collectOnce(ctx context.Context, cs []collector, interval time.Duration) *collectResult {
	res := &collectResult{Time: time.Now().UTC(), Collectors: make([]collectorResult, len(cs))}
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			start := time.Now()
			pts, err := c.Collect(ctx)
			if rateCollector(c) && interval > 0 && !errors.Is(err, collectors.ErrUnavailable) {
				select {
				case <-time.After(interval):
					pts, err = c.Collect(ctx)
				case <-ctx.Done():
				}
			}
			res.Collectors[i] = newCollectorResult(c.Name(), pts, err, time.Since(start))
		})
	}
	wg.Wait()
	return res
}

type collectResult struct {
	Time       time.Time         `json:"time"`
	Collectors []collectorResult `json:"collectors"`
}

type collectorResult struct {
	Name string `json:"name"`
	// Status is ok, partial (some points and an error: a dead rig, a lost
	// GPU), unavailable (this machine lacks the source) or error.
	Status string      `json:"status"`
	Error  string      `json:"error,omitempty"`
	TookMS float64     `json:"took_ms"`
	Points []pointJSON `json:"points"`

	points []metric.Point
	err    error
}

type pointJSON struct {
	Measurement string            `json:"measurement"`
	Tags        map[string]string `json:"tags"`
	Fields      map[string]any    `json:"fields"`
	Time        time.Time         `json:"time"`
}

func newCollectorResult(name string, pts []metric.Point, err error, took time.Duration) collectorResult {
	r := collectorResult{Name: name, TookMS: float64(took.Microseconds()) / 1000, points: pts, Points: []pointJSON{}, err: err}
	switch {
	case err == nil:
		r.Status = "ok"
	case errors.Is(err, collectors.ErrUnavailable):
		r.Status = "unavailable"
	case len(pts) > 0:
		r.Status = "partial"
	default:
		r.Status = "error"
	}
	if err != nil {
		r.Error = err.Error()
	}
	for _, p := range pts {
		f := make(map[string]any, len(p.Fields))
		for k, v := range p.Fields {
			if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
				continue // JSON has no NaN; the line protocol drops them too
			}
			f[k] = v
		}
		tags := p.Tags
		if tags == nil {
			tags = map[string]string{}
		}
		r.Points = append(r.Points, pointJSON{Measurement: p.Measurement, Tags: tags, Fields: f, Time: p.Time.UTC()})
	}
	return r
}

func (r *collectResult) Points() []metric.Point {
	var out []metric.Point
	for _, c := range r.Collectors {
		out = append(out, c.points...)
	}
	return out
}

// failure is the command's error when a collector failed outright or in
// part; unavailable sources are not failures.
func (r *collectResult) failure() error {
	var failed []string
	for _, c := range r.Collectors {
		if c.Status == "error" || c.Status == "partial" {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("collect: %s failed (details above)", strings.Join(failed, ", "))
}

// Table prints one block per collector: its status line, then each point's
// fields one per row so wide points (a GPU has ~30 fields) stay readable.
func (r *collectResult) Table(w io.Writer) error {
	for i, c := range r.Collectors {
		if i > 0 {
			fmt.Fprintln(w)
		}
		line := fmt.Sprintf("%s: %s, %d points, %.1f ms", c.Name, c.Status, len(c.points), c.TookMS)
		if c.Error != "" {
			line += "\n  " + strings.ReplaceAll(c.Error, "\n", "\n  ")
		}
		fmt.Fprintln(w, line)
		if len(c.points) == 0 {
			continue
		}
		t := newTable(w, "  MEASUREMENT", "TAGS", "FIELD", "VALUE")
		for _, p := range c.points {
			first := true
			for _, k := range slices.Sorted(maps.Keys(p.Fields)) {
				meas, tags := "", ""
				if first {
					meas, tags, first = p.Measurement, formatTags(p.Tags), false
				}
				t.row("  "+meas, tags, k, formatValue(p.Fields[k]))
			}
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}

func formatTags(tags map[string]string) string {
	parts := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

func formatValue(v any) string {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		if math.Abs(x) >= 1e6 {
			return strconv.FormatFloat(x, 'g', 6, 64)
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	case string:
		return strconv.Quote(x)
	default:
		return fmt.Sprint(x)
	}
}
