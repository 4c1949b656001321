package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/perwatt/perwatt/internal/metric"
)

// result is what a command produces: a table for people, JSON for scripts
// (its json tags are the contract) and points for InfluxDB.
type result interface {
	Table(w io.Writer) error
	Points() []metric.Point
}

func (a *app) render(r result) error {
	switch a.output {
	case "json":
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "lp":
		_, err := a.stdout.Write(metric.Lines(r.Points()))
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
