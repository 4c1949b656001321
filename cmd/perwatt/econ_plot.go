package main

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/perwatt/perwatt/economics"
)

// chartSeries is one named line; Dashed draws it dashed.
type chartSeries struct {
	Name   string
	Dashed bool
	Color  int
	XY     plotter.XYs
}

// chartMark is a labelled point (a breakeven, a profit peak).
type chartMark struct {
	Name  string
	Color int
	X, Y  float64
}

var chartFormats = []string{".svg", ".png", ".pdf", ".html"}

// checkChartFile rejects a --plot file gonum/plot cannot write before any
// work is done.
func checkChartFile(file string) error {
	ext := strings.ToLower(filepath.Ext(file))
	for _, f := range chartFormats {
		if ext == f {
			return nil
		}
	}
	return usagef("--plot %q: want a file ending in %s", file, strings.Join(chartFormats, ", "))
}

// saveChart draws the lines and marks with gonum/plot and writes file in the
// format its extension names.
func saveChart(file, title, xLabel, yLabel string, series []chartSeries, marks []chartMark) error {
	if err := checkChartFile(file); err != nil {
		return err
	}
	p := plot.New()
	leg := plot.NewLegend()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	p.Add(plotter.NewGrid())
	for _, s := range series {
		l, err := plotter.NewLine(s.XY)
		if err != nil {
			return fmt.Errorf("chart line %q: %w", s.Name, err)
		}
		l.Color = chartColor(s.Color)
		l.Width = vg.Points(1.5)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		leg.Add(s.Name, l)
	}
	for _, m := range marks {
		sc, err := plotter.NewScatter(plotter.XYs{{X: m.X, Y: m.Y}})
		if err != nil {
			return fmt.Errorf("chart mark %q: %w", m.Name, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: chartColor(m.Color), Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		p.Add(sc)
		leg.Add(m.Name, sc)
	}
	p.Y.Tick.Marker = niceTicks{}
	p.X.Tick.Marker = niceTicks{}
	return writeChart(p, leg, file)
}

// writeChart draws the plot on the left and its legend in a column on the
// right, where it cannot hide a line, then writes the file.
func writeChart(p *plot.Plot, leg plot.Legend, file string) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(file)), ".")
	html := format == "html"
	if html {
		format = "svg" // an HTML page is the SVG inline, viewable in any browser
	}
	w, h := 36*vg.Centimeter, 18*vg.Centimeter
	cw, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("chart %s: %w", file, err)
	}
	dc := draw.New(cw)
	split := w * 0.68
	left := dc
	left.Max.X = split
	right := dc
	right.Min.X = split + vg.Centimeter/2
	p.Draw(left)
	leg.Top, leg.Left = true, true
	leg.Draw(right)
	var body bytes.Buffer
	if _, err := cw.WriteTo(&body); err != nil {
		return fmt.Errorf("drawing chart %s: %w", file, err)
	}
	out := body.Bytes()
	if html {
		svg := out[max(0, bytes.Index(out, []byte("<svg"))):]
		out = fmt.Appendf(nil, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n<body>\n%s\n</body></html>\n",
			template.HTMLEscapeString(p.Title.Text), svg)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("writing chart: %w", err)
	}
	if _, err := f.Write(out); err != nil {
		f.Close()
		return fmt.Errorf("writing chart %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing chart %s: %w", file, err)
	}
	return nil
}

// niceTicks labels about eight round values (1, 2, 2.5 or 5 × 10^n apart).
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 8
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	if r := step * math.Pow(10, float64(decimals)); math.Abs(r-math.Round(r)) > 1e-9 {
		decimals++
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
	}
	return ticks
}

// chartColor gives up to 20 distinguishable colours (Tableau 20 order).
func chartColor(i int) color.Color {
	pal := []color.RGBA{
		{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
		{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
		{174, 199, 232, 255}, {255, 187, 120, 255}, {152, 223, 138, 255}, {255, 152, 150, 255}, {197, 176, 213, 255},
		{196, 156, 148, 255}, {247, 182, 210, 255}, {199, 199, 199, 255}, {219, 219, 141, 255}, {158, 218, 229, 255},
	}
	return pal[i%len(pal)]
}

// plotPowerPrice draws revenue (dashed) and net (solid) $/MW/day of facility
// power against the power price from 0 to 0.15 $/kWh for every profile, and
// marks each mining profile's breakeven price on the zero line.
func plotPowerPrice(file string, rep economics.Report) error {
	var prices []float64
	for i := 0; i <= 30; i++ {
		prices = append(prices, float64(i)*0.005)
	}
	var series []chartSeries
	var marks []chartMark
	for i, r := range rep.Profiles {
		rev, net := plotter.XYs{}, plotter.XYs{}
		for _, pt := range economics.PowerPriceCurve(r, prices) {
			rev = append(rev, plotter.XY{X: pt.PowerPriceUSDPerKWh, Y: pt.RevenueUSDPerMWDay})
			net = append(net, plotter.XY{X: pt.PowerPriceUSDPerKWh, Y: pt.NetUSDPerMWDay})
		}
		series = append(series, chartSeries{Name: r.Name + " net", Color: i, XY: net},
			chartSeries{Name: r.Name + " revenue", Color: i, Dashed: true, XY: rev})
		if r.Kind == economics.KindMining && r.BreakevenPowerPriceUSDPerKWh != nil && *r.BreakevenPowerPriceUSDPerKWh <= 0.15 {
			marks = append(marks, chartMark{Name: fmt.Sprintf("%s breakeven $%.3f/kWh", r.Name, *r.BreakevenPowerPriceUSDPerKWh),
				Color: i, X: *r.BreakevenPowerPriceUSDPerKWh})
		}
	}
	title := fmt.Sprintf("Revenue and net per MW of facility power (market: %s, %s)", shortSource(rep.Market.Source),
		rep.Market.AsOf.UTC().Format("2006-01-02"))
	return saveChart(file, title, "power price ($/kWh)", "$ per MW per day", series, marks)
}

func shortSource(s string) string {
	if i := strings.IndexAny(s, ":("); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
