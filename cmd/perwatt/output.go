package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/internal/metric"
)

// report is what every command produces: a table for people and JSON for
// scripts (its json tags are the contract).
type report interface {
	Table(w io.Writer) error
}

// result is a report that is also measurements: it can be written as points
// for InfluxDB. A report that is not (a config check, a list of kernels)
// leaves Points out and --output lp refuses it rather than print nothing.
type result interface {
	report
	Points() []metric.Point
}

// render writes r in the chosen format. Line protocol carries the global
// [tags] (host included), as the agent writes them, so `-o lp` output is
// exactly what the agent would send.
func (a *app) render(r report) error {
	switch a.output {
	case "json":
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "lp":
		res, ok := r.(result)
		if !ok {
			return usagef("--output lp: this command reports no measurements; use --output table or json")
		}
		tags := config.Default().Tags // commands that read no config still carry host
		if a.cfg != nil {
			tags = a.cfg.Tags
		}
		pts := res.Points()
		for i := range pts {
			pts[i] = pts[i].WithTags(tags)
		}
		_, err := a.stdout.Write(metric.Lines(pts))
		return err
	default:
		return r.Table(a.stdout)
	}
}

// table is a small helper for aligned, human-readable output.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }

func (t *table) flush() error { return t.tw.Flush() }
