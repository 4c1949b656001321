// Command gpufirstrun summarises scripts/gpu-first-run.sh: one line per
// kernel per GPU with the rate without and with power sampling, % of the
// architecture peak and of the mma.sync ceiling, the energy-counter watts
// against the 100 ms NVML samples and an nvidia-smi trace taken beside the
// run, the SM clock and the throttle reasons.
//
//	gpufirstrun DIR
//	gpufirstrun -kernels    # the kernel names, for the script
//
// DIR holds nopower-KERNEL.json and power-KERNEL.json (perwatt bench gpu
// --json), window-KERNEL.txt ("START END", Unix seconds around the power
// run) and smi.csv (nvidia-smi --query-gpu=timestamp,index,power.draw,
// clocks.sm,temperature.gpu,<reasons> --format=csv,noheader,nounits).
package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/perwatt/perwatt/gpubench"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gpufirstrun:", err)
		os.Exit(1)
	}
}

type report struct {
	gpubench.Report
	PowerNote string `json:"power_note"`
}

type smiRow struct {
	t       time.Time
	gpu     int
	w, mhz  float64
	reasons uint64
}

func run(args []string, w io.Writer) error {
	if len(args) == 1 && args[0] == "-kernels" {
		_, err := fmt.Fprintln(w, strings.Join(gpubench.KernelNames(), " "))
		return err
	}
	if len(args) != 1 {
		return errors.New("usage: gpufirstrun DIR | gpufirstrun -kernels")
	}
	dir := args[0]
	smi, err := readSMI(filepath.Join(dir, "smi.csv"))
	if err != nil {
		fmt.Fprintf(w, "# nvidia-smi trace unreadable: %v\n", err)
	}
	fmt.Fprintf(w, "%-4s %-12s %10s %10s %7s %8s %9s %9s %9s %6s %6s %6s %s\n",
		"GPU", "KERNEL", "RATE", "W/POWER", "%PEAK", "%CEIL", "ENERGY_W", "SAMPLE_W", "SMI_W", "±E%", "MHZ", "DRIFT%", "THROTTLES/STATUS")
	for _, k := range gpubench.KernelNames() {
		bare, errB := readReport(filepath.Join(dir, "nopower-"+k+".json"))
		pw, errP := readReport(filepath.Join(dir, "power-"+k+".json"))
		if errB != nil && errP != nil {
			fmt.Fprintf(w, "%-4s %-12s not run: %v\n", "-", k, errP)
			continue
		}
		from, to := readWindow(filepath.Join(dir, "window-"+k+".txt"))
		for gi := range max(gpus(bare), gpus(pw)) {
			kb, kp := kernel(bare, gi, k), kernel(pw, gi, k)
			fmt.Fprintln(w, line(gi, k, kb, kp, smi, from, to))
		}
	}
	return nil
}

func gpus(r *report) int {
	if r == nil {
		return 0
	}
	return len(r.GPUs)
}

func kernel(r *report, gi int, name string) *gpubench.KernelResult {
	if r == nil || gi >= len(r.GPUs) {
		return nil
	}
	for i := range r.GPUs[gi].Kernels {
		if r.GPUs[gi].Kernels[i].Kernel == name {
			return &r.GPUs[gi].Kernels[i]
		}
	}
	return nil
}

func line(gi int, name string, kb, kp *gpubench.KernelResult, smi []smiRow, from, to time.Time) string {
	rate := func(k *gpubench.KernelResult) string {
		switch {
		case k == nil:
			return "-"
		case k.Skipped != "":
			return "skipped"
		case !k.Verified:
			return "FAILED"
		}
		return human(k.Rate, k.Unit)
	}
	f := func(v float64, format string) string {
		if v == 0 || math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf(format, v)
	}
	ref := kp
	if ref == nil || !ref.Verified {
		ref = kb
	}
	cols := []string{strconv.Itoa(gi), name, rate(kb), rate(kp), "-", "-", "-", "-", "-", "-", "-", "-", ""}
	if ref != nil {
		cols[4] = f(ref.PeakPct, "%.1f")
		cols[5] = f(ref.CeilingPct, "%.1f")
		if ref.CeilingProvisional {
			cols[5] += "*"
		}
	}
	status := ""
	if kp != nil && kp.Power != nil {
		p := kp.Power
		cols[6], cols[7] = f(p.AvgW, "%.1f"), f(p.SampledAvgW, "%.1f")
		cols[9], cols[10], cols[11] = f(p.EnergyResolutionPct, "%.1f"), f(p.SMClockMHz, "%.0f"), fmt.Sprintf("%+.1f", p.DriftPct)
		status = strings.Join(p.Throttles, ",")
		if status == "" {
			status = "none"
		}
		if sw, ok := smiMean(smi, gi, from, to, kp.GPUSeconds); ok {
			cols[8] = fmt.Sprintf("%.1f", sw)
		}
	} else if kp != nil && kp.PowerError != "" {
		status = "power: " + kp.PowerError
	}
	for _, k := range []*gpubench.KernelResult{kb, kp} {
		if k != nil && k.Error != "" {
			status += " ERROR: " + k.Error
			break
		}
	}
	cols[12] = strings.TrimSpace(status)
	return fmt.Sprintf("%-4s %-12s %10s %10s %7s %8s %9s %9s %9s %6s %6s %6s %s", toAny(cols)...)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func human(rate float64, unit string) string {
	switch unit {
	case gpubench.UnitFlops:
		return fmt.Sprintf("%.1fTF", rate/1e12)
	case gpubench.UnitBytes:
		return fmt.Sprintf("%.2fTB/s", rate/1e12)
	case gpubench.UnitHashes:
		return fmt.Sprintf("%.2fGH/s", rate/1e9)
	}
	return fmt.Sprintf("%.3g", rate)
}

// smiMean averages nvidia-smi's power over the steady phase, taken as the
// steadySec seconds before the end of the run less a second for
// verification; the trace is 100 ms apart, so this is a cross-check, not
// a measurement.
func smiMean(rows []smiRow, gpu int, from, to time.Time, steadySec float64) (float64, bool) {
	if from.IsZero() || to.IsZero() || steadySec <= 0 {
		return 0, false
	}
	end := to.Add(-time.Second)
	start := end.Add(-time.Duration(steadySec * float64(time.Second)))
	if start.Before(from) {
		start = from
	}
	var sum float64
	var n int
	for _, r := range rows {
		if r.gpu == gpu && !r.t.Before(start) && !r.t.After(end) && r.w > 0 {
			sum += r.w
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

func readReport(path string) (*report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func readWindow(path string) (time.Time, time.Time) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, time.Time{}
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return time.Time{}, time.Time{}
	}
	unix := func(s string) time.Time {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}
		}
		return time.Unix(0, int64(v*1e9))
	}
	return unix(f[0]), unix(f[1])
}

func readSMI(path string) ([]smiRow, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var out []smiRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(rec) < 4 {
			continue
		}
		t, err := time.ParseInLocation("2006/01/02 15:04:05.000", rec[0], time.Local)
		if err != nil {
			continue
		}
		row := smiRow{t: t}
		row.gpu, _ = strconv.Atoi(rec[1])
		row.w, _ = strconv.ParseFloat(rec[2], 64)
		row.mhz, _ = strconv.ParseFloat(rec[3], 64)
		if len(rec) > 5 {
			row.reasons, _ = strconv.ParseUint(strings.TrimPrefix(rec[5], "0x"), 16, 64)
		}
		out = append(out, row)
	}
}
