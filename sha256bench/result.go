package sha256bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// Result is one measurement. Its JSON form is the `perwatt bench sha256
// --output json` contract.
type Result struct {
	Kernel         string    `json:"kernel"`
	Threads        int       `json:"threads"`
	DurationS      float64   `json:"duration_s"`
	Hashes         uint64    `json:"hashes"`
	HashrateHS     float64   `json:"hashrate_hs"`
	PerThreadHS    []float64 `json:"per_thread_hs"`
	WindowHS       *Windows  `json:"window_hs"` // null when no full window was measured
	Verified       bool      `json:"verified"`
	Hits           uint64    `json:"hits"` // hashes meeting block 500000's real target: almost always 0
	PowerW         *float64  `json:"power_w"`
	PowerSource    string    `json:"power_source"`
	PowerNote      string    `json:"power_note,omitempty"` // why power is unavailable
	EnergyJ        *float64  `json:"energy_j,omitempty"`
	JPerTH         *float64  `json:"j_per_th"`
	HPerJ          *float64  `json:"h_per_j"`
	CPUModel       string    `json:"cpu_model"`
	CPUFlags       []string  `json:"cpu_flags"`
	Pinned         bool      `json:"pinned"`
	YardstickHS    float64   `json:"yardstick_hs,omitempty"`
	VsYardstick    float64   `json:"per_thread_vs_yardstick,omitempty"`
	Interrupted    bool      `json:"interrupted"`
	WarmupIncluded bool      `json:"warmup_included,omitempty"`
	Start          time.Time `json:"start"`
}

// Windows summarises the per-window rates so noise is visible.
type Windows struct {
	Count  int     `json:"count"`
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

func summarize(ws []float64) *Windows {
	if len(ws) == 0 {
		return nil // not zeros: a rate of 0 would read as a measurement
	}
	s := slices.Clone(ws)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &Windows{Count: len(s), Min: s[0], Median: med, Max: s[len(s)-1]}
}

func (r *Result) setPower(cfg Config, elapsed, energyJ float64, meterErr error) {
	var w float64
	switch {
	case cfg.PowerW > 0:
		w, r.PowerSource = cfg.PowerW, PowerSourceFlag
	case cfg.Meter != nil && meterErr == nil && energyJ > 0 && elapsed > 0:
		w, r.PowerSource = energyJ/elapsed, PowerSourceMeter
		r.EnergyJ = &energyJ
	default:
		r.PowerSource = PowerSourceUnavailable
		switch {
		case meterErr != nil:
			r.PowerNote = meterErr.Error()
		case cfg.Meter != nil:
			r.PowerNote = "the energy counter did not advance during the run"
		case cfg.NoMeterReason != "":
			r.PowerNote = cfg.NoMeterReason
		default:
			r.PowerNote = "no energy meter configured; pass --power-w with a wall-meter reading"
		}
		return
	}
	r.PowerW = &w
	jth := w / r.HashrateHS * 1e12
	hpj := r.HashrateHS / w
	r.JPerTH, r.HPerJ = &jth, &hpj
}

// Table prints the result for people.
func (r *Result) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("kernel", r.Kernel)
	row("cpu", fmt.Sprintf("%s (%s)", r.CPUModel, strings.Join(r.CPUFlags, " ")))
	pin := "pinned"
	if !r.Pinned {
		pin = "not pinned"
	}
	row("threads", fmt.Sprintf("%d (%s)", r.Threads, pin))
	dur := fmt.Sprintf("%.2f s", r.DurationS)
	if r.Interrupted {
		dur += " (interrupted: partial result)"
	}
	if r.WarmupIncluded {
		dur += " (includes warm-up)"
	}
	row("measured", dur)
	row("hashes", strconv.FormatUint(r.Hashes, 10))
	row("hashrate", FormatHS(r.HashrateHS))
	var per []string
	for _, v := range r.PerThreadHS {
		per = append(per, FormatHS(v))
	}
	row("per thread", strings.Join(per, ", "))
	if w := r.WindowHS; w != nil {
		row("windows", fmt.Sprintf("median %s  min %s  max %s  (%d x)", FormatHS(w.Median), FormatHS(w.Min), FormatHS(w.Max), w.Count))
	} else {
		row("windows", "none (the run ended before a full window)")
	}
	if r.YardstickHS > 0 {
		row("yardstick", fmt.Sprintf("%s per thread for plain Go sha256.Sum256 twice on as many threads; this kernel %.2fx per thread",
			FormatHS(r.YardstickHS), r.VsYardstick))
	}
	row("verified", fmt.Sprintf("%v (self-check against crypto/sha256 and mainnet blocks passed; %d hits)", r.Verified, r.Hits))
	if r.PowerW == nil {
		row("power", fmt.Sprintf("unavailable (%s)", r.PowerNote))
	} else {
		row("power", fmt.Sprintf("%.1f W from %s", *r.PowerW, r.PowerSource))
		row("efficiency", fmt.Sprintf("%.4g J/TH, %.4g H/J", *r.JPerTH, *r.HPerJ))
	}
	return tw.Flush()
}

// Points is the result for InfluxDB: one sha256_bench point for the run and
// one sha256_bench_thread point per worker.
func (r *Result) Points() []metric.Point {
	tags := map[string]string{"kernel": r.Kernel, "cpu_model": r.CPUModel, "power_source": r.PowerSource}
	f := map[string]any{
		"hashrate_hs":            r.HashrateHS,
		"hashes":                 r.Hashes,
		"threads":                int64(r.Threads),
		"duration_s":             r.DurationS,
		"verified":               r.Verified,
		"interrupted":            r.Interrupted,
		"hashrate_per_thread_hs": r.HashrateHS / float64(max(r.Threads, 1)),
	}
	if r.PowerW != nil {
		f["power_w"], f["j_per_th"], f["h_per_j"] = *r.PowerW, *r.JPerTH, *r.HPerJ
	}
	if r.EnergyJ != nil {
		f["energy_j"] = *r.EnergyJ
	}
	if w := r.WindowHS; w != nil {
		f["window_min_hs"], f["window_median_hs"], f["window_max_hs"] = w.Min, w.Median, w.Max
	}
	if r.YardstickHS > 0 {
		f["yardstick_hs"] = r.YardstickHS
	}
	ts := r.Start.Add(time.Duration(r.DurationS * float64(time.Second)))
	pts := []metric.Point{metric.New("sha256_bench", tags, f, ts)}
	for i, v := range r.PerThreadHS {
		if math.IsNaN(v) {
			continue
		}
		pts = append(pts, metric.New("sha256_bench_thread",
			map[string]string{"kernel": r.Kernel, "cpu_model": r.CPUModel, "thread": strconv.Itoa(i)},
			map[string]any{"hashrate_hs": v}, ts))
	}
	return pts
}

// FormatHS renders a hash rate with an SI prefix and four significant digits.
func FormatHS(v float64) string {
	for _, u := range []struct {
		div  float64
		name string
	}{{1e12, "TH/s"}, {1e9, "GH/s"}, {1e6, "MH/s"}, {1e3, "kH/s"}} {
		if v >= u.div {
			return strconv.FormatFloat(v/u.div, 'f', 3, 64) + " " + u.name
		}
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " H/s"
}
