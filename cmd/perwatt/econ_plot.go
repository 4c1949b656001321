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

// chartProfiles picks what a power-price chart shows: every profile when
// there are few, else the best miner at the user's price, each GPU option,
// each colocation lease and GPU cloud contract — a chart of 24 lines answers
// nothing.
func chartProfiles(rep economics.Report) []int {
	if len(rep.Profiles) <= 6 {
		out := make([]int, len(rep.Profiles))
		for i := range out {
			out[i] = i
		}
		return out
	}
	var out []int
	if b := rep.BestMiner(); b >= 0 {
		out = append(out, b)
	}
	for i, r := range rep.Profiles {
		if r.Kind != economics.KindMining {
			out = append(out, i)
		}
	}
	return out
}

// priceAxis runs from 0 to at least $0.15/kWh and always past the user's
// price, in 60 steps.
func priceAxis(user float64) []float64 {
	hi := 0.15
	for hi < user*1.25 {
		hi += 0.05
	}
	out := make([]float64, 61)
	for i := range out {
		out[i] = hi * float64(i) / 60
	}
	return out
}

// plotPowerPrice draws net $/MW/day of facility power (revenue is net at a
// price of 0) against the power price, marks each miner's breakeven, the
// price where each shown miner's line crosses each AI option, and the user's
// own price.
func plotPowerPrice(file string, rep economics.Report) error {
	prices := priceAxis(rep.PowerPriceUSDPerKWh)
	hi := prices[len(prices)-1]
	show := chartProfiles(rep)
	var series []chartSeries
	var marks []chartMark
	lo, top := 0.0, 0.0
	for n, i := range show {
		r := rep.Profiles[i]
		net := plotter.XYs{}
		for _, pt := range economics.PowerPriceCurve(r, prices) {
			net = append(net, plotter.XY{X: pt.PowerPriceUSDPerKWh, Y: pt.NetUSDPerMWDay})
			lo, top = math.Min(lo, pt.NetUSDPerMWDay), math.Max(top, pt.NetUSDPerMWDay)
		}
		series = append(series, chartSeries{Name: chartName(r), Color: n, XY: net})
		if r.Kind != economics.KindMining {
			continue
		}
		if be := r.BreakevenPowerPriceUSDPerKWh; be != nil && *be <= hi {
			marks = append(marks, chartMark{Name: fmt.Sprintf("%s breakeven $%.3f/kWh", r.Name, *be), Color: n, X: *be})
		}
		for m, j := range show {
			o := rep.Profiles[j]
			if o.Kind == economics.KindMining {
				continue
			}
			if x, ok := economics.CrossingPowerPrice(r, o); ok && x <= hi {
				y := economics.PowerPriceCurve(o, []float64{x})[0].NetUSDPerMWDay
				marks = append(marks, chartMark{Name: fmt.Sprintf("%s = %s at $%.3f/kWh", r.Name, o.Name, x), Color: m, X: x, Y: y})
			}
		}
	}
	user := rep.PowerPriceUSDPerKWh
	series = append(series, chartSeries{Name: fmt.Sprintf("your power price $%.3f/kWh", user), Dashed: true, Color: 7,
		XY: plotter.XYs{{X: user, Y: lo}, {X: user, Y: top}}})
	title := fmt.Sprintf("Net $/MW/day of facility power vs power price\n(market: %s, %s)", shortSource(rep.Market.Source),
		rep.Market.AsOf.UTC().Format("2006-01-02"))
	return saveChart(file, title, "power price ($/kWh)", "net $ per MW per day (revenue at $0)", series, marks)
}

// plotNPV draws each shown profile's NPV per MW of facility power against
// the power price, with the user's price marked: the capital answer.
func plotNPV(file string, rep economics.Report, profiles []economics.Profile, m economics.Market, a economics.Assumptions) error {
	prices := priceAxis(rep.PowerPriceUSDPerKWh)
	var series []chartSeries
	lo, top := 0.0, 0.0
	for n, i := range chartProfiles(rep) {
		npv, err := economics.NPVCurve(profiles[i], m, a, prices)
		if err != nil {
			return err
		}
		xy := plotter.XYs{}
		for k, v := range npv {
			xy = append(xy, plotter.XY{X: prices[k], Y: v / 1e6})
			lo, top = math.Min(lo, v/1e6), math.Max(top, v/1e6)
		}
		series = append(series, chartSeries{Name: chartName(rep.Profiles[i]), Color: n, XY: xy})
	}
	user := rep.PowerPriceUSDPerKWh
	series = append(series, chartSeries{Name: fmt.Sprintf("your power price $%.3f/kWh", user), Dashed: true, Color: 7,
		XY: plotter.XYs{{X: user, Y: lo}, {X: user, Y: top}}},
		chartSeries{Name: "NPV = 0", Color: 17, Dashed: true, XY: plotter.XYs{{X: 0, Y: 0}, {X: prices[len(prices)-1], Y: 0}}})
	title := fmt.Sprintf("NPV per MW of facility power at %.0f%%/yr vs power price\n(difficulty %+.2f%%/retarget, BTC %+.0f%%/yr)",
		a.DiscountRate*100, a.DifficultyGrowthPerRetarget*100, a.BTCPriceGrowthPerYear*100)
	return saveChart(file, title, "power price ($/kWh)", "NPV $M per MW", series, nil)
}

func chartName(r economics.Result) string {
	if strings.Contains(r.Name, "(") {
		return r.Name
	}
	return fmt.Sprintf("%s (%s)", r.Name, r.Kind)
}

// npvChartFile is the capital chart beside a --plot file: chart.png → chart-npv.png.
func npvChartFile(file string) string {
	ext := filepath.Ext(file)
	return strings.TrimSuffix(file, ext) + "-npv" + ext
}

func shortSource(s string) string {
	if i := strings.IndexAny(s, ":("); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
