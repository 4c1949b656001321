package gpubench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// Measurement is the InfluxDB measurement of benchmark results.
const Measurement = "gpu_bench"

// Report is one `perwatt bench gpu` run.
type Report struct {
	DriverVersion string      `json:"driver_cuda_version"`
	Started       time.Time   `json:"started"`
	Finished      time.Time   `json:"finished"`
	GPUs          []GPUResult `json:"gpus"`
}

// GPUResult is every kernel measured on one GPU.
type GPUResult struct {
	Device
	Datasheet *Datasheet     `json:"datasheet,omitempty"`
	Kernels   []KernelResult `json:"kernels"`
}

// KernelResult is one kernel's verified measurement. Rate and everything
// derived from it are zero unless Verified.
type KernelResult struct {
	Kernel   string  `json:"kernel"`
	Unit     string  `json:"unit"` // flop/s, byte/s or hash/s
	Rate     float64 `json:"rate"`
	Verified bool    `json:"verified"`
	// PeakRate is the device's peak at the clock it ran at (see
	// ClockSource); DatasheetRate NVIDIA's published figure for the SKU.
	PeakRate      float64 `json:"peak_rate,omitempty"`
	PeakPct       float64 `json:"peak_pct,omitempty"`
	ClockMHz      float64 `json:"peak_clock_mhz,omitempty"`
	ClockSource   string  `json:"peak_clock_source,omitempty"` // "nvml_measured", "max_boost" or "memory_attributes"
	DatasheetRate float64 `json:"datasheet_rate,omitempty"`
	DatasheetPct  float64 `json:"datasheet_pct,omitempty"`
	// DatasheetClockMHz is the SM clock the published figure implies.
	DatasheetClockMHz float64 `json:"datasheet_clock_mhz,omitempty"`
	// CeilingRate is what the kernel's instruction can reach at the clock
	// it ran at: for the tensor kernels, PeakRate times the architecture's
	// mma.sync fraction (Arch.MMASync); CeilingProvisional when that
	// fraction comes from published measurements, not perwatt's own.
	CeilingRate        float64 `json:"ceiling_rate,omitempty"`
	CeilingPct         float64 `json:"ceiling_pct,omitempty"`
	CeilingProvisional bool    `json:"ceiling_provisional,omitempty"`
	// RatePerW is Rate divided by the average board power of the steady
	// phase (FLOP/J, byte/J, hash/J).
	RatePerW   float64     `json:"rate_per_w,omitempty"`
	Power      *PowerStats `json:"power,omitempty"`
	PowerError string      `json:"power_error,omitempty"`
	Work       float64     `json:"work"`
	GPUSeconds float64     `json:"gpu_seconds"`
	Steps      int         `json:"steps"`
	Scale      uint32      `json:"scale"`
	Grid       int         `json:"grid,omitempty"`
	Block      int         `json:"block,omitempty"`
	Note       string      `json:"note"`
	Skipped    string      `json:"skipped,omitempty"`
	Error      string      `json:"error,omitempty"`
}

// fillPeaks derives peak, datasheet and per-watt figures from Rate.
func fillPeaks(kr *KernelResult, dev Device) {
	if kr.Power != nil && kr.Power.AvgW > 0 {
		kr.RatePerW = kr.Rate / kr.Power.AvgW
	}
	arch, archOK := ArchFor(dev.ccMajor, dev.ccMinor)
	ds, dsOK := DatasheetFor(dev.Name)
	clock, src := dev.MaxClockMHz, "max_boost"
	if kr.Power != nil && kr.Power.SMClockMHz > 0 {
		clock, src = kr.Power.SMClockMHz, "nvml_measured"
	}
	switch kr.Kernel {
	case KernelFP32FMA:
		if archOK {
			kr.PeakRate = computePeak(dev.SMs, clock, arch.FP32FlopsPerClkPerSM)
			kr.CeilingRate = kr.PeakRate
		}
		if dsOK {
			kr.DatasheetRate = ds.FP32TFLOPS * 1e12
			kr.DatasheetClockMHz = ds.FP32ClockMHz
		}
	case KernelBF16MMA, KernelFP16MMA:
		if archOK {
			kr.PeakRate = computePeak(dev.SMs, clock, tensorRate(arch, dev.Name))
			kr.CeilingRate = kr.PeakRate * arch.MMASync
			kr.CeilingProvisional = arch.MMASyncProvisional
		}
		if dsOK {
			kr.DatasheetRate = ds.TensorTFLOPS * 1e12
			kr.DatasheetClockMHz = ds.TensorClockMHz
		}
	case KernelCopy, KernelMemcpyDtoD:
		kr.PeakRate = memoryPeak(int(dev.MemClockMHz*1000), dev.MemBusWidthBits)
		clock, src = dev.MemClockMHz, "memory_attributes"
		if dsOK {
			kr.DatasheetRate = ds.MemoryTBps * 1e12
		}
	default:
		clock, src = 0, ""
	}
	if kr.PeakRate > 0 {
		kr.PeakPct = 100 * kr.Rate / kr.PeakRate
		kr.ClockMHz, kr.ClockSource = clock, src
	}
	if kr.DatasheetRate > 0 {
		kr.DatasheetPct = 100 * kr.Rate / kr.DatasheetRate
	}
	if kr.CeilingRate > 0 {
		kr.CeilingPct = 100 * kr.Rate / kr.CeilingRate
	}
}

// display scales a rate to the unit people quote it in.
func display(rate float64, unit string) (float64, string) {
	switch unit {
	case UnitFlops:
		return rate / 1e12, "TFLOPS"
	case UnitBytes:
		return rate / 1e12, "TB/s"
	case UnitHashes:
		return rate / 1e9, "GH/s"
	}
	return rate, unit
}

// displayPerW scales a per-watt figure a thousand times finer than the
// rate itself (GFLOPS/W, GB/s/W, MH/s/W), where such figures are quoted.
func displayPerW(v float64, unit string) string {
	switch unit {
	case UnitFlops:
		return fmt.Sprintf("%.1f GFLOPS/W", v/1e9)
	case UnitBytes:
		return fmt.Sprintf("%.2f GB/s/W", v/1e9)
	case UnitHashes:
		return fmt.Sprintf("%.2f MH/s/W", v/1e6)
	}
	return fmt.Sprintf("%g %s/W", v, unit)
}

// Table renders the report for a terminal.
func (r *Report) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, g := range r.GPUs {
		fmt.Fprintf(tw, "GPU %d: %s  (%s, compute %s %s, %d SMs, %.0f GiB, driver CUDA %s)\n",
			g.Index, g.Name, g.PCIBusID, g.ComputeCap, g.Arch, g.SMs,
			float64(g.MemoryBytes)/(1<<30), r.DriverVersion)
		fmt.Fprintln(tw, "KERNEL\tRATE\t% PEAK\tPEAK @CLOCK\t% CEILING\tDATASHEET\tAVG W\tPER W\tSM MHZ\tMAX °C\tTHROTTLE\tSTATUS")
		for _, k := range g.Kernels {
			v, u := display(k.Rate, k.Unit)
			row := []string{k.Kernel, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "ok"}
			switch {
			case k.Skipped != "":
				row[11] = "skipped: " + k.Skipped
			case k.Error != "":
				row[11] = "FAILED: " + k.Error
			default:
				row[1] = fmt.Sprintf("%.2f %s", v, u)
				if k.PeakRate > 0 {
					pv, _ := display(k.PeakRate, k.Unit)
					row[2] = fmt.Sprintf("%.1f%%", k.PeakPct)
					row[3] = fmt.Sprintf("%.1f @%.0f MHz", pv, k.ClockMHz)
				}
				if k.CeilingRate > 0 && k.CeilingRate != k.PeakRate {
					row[4] = fmt.Sprintf("%.1f%%", k.CeilingPct)
					if k.CeilingProvisional {
						row[4] += "*"
					}
				}
				if k.DatasheetRate > 0 {
					dv, _ := display(k.DatasheetRate, k.Unit)
					row[5] = fmt.Sprintf("%.1f (%.0f%%)", dv, k.DatasheetPct)
				}
			}
			if p := k.Power; p != nil {
				row[6] = fmt.Sprintf("%.0f", p.AvgW)
				if !p.CrossCheckOK {
					row[6] += "?"
				}
				if k.RatePerW > 0 {
					row[7] = displayPerW(k.RatePerW, k.Unit)
				}
				if p.SMClockMHz > 0 {
					row[8] = fmt.Sprintf("%.0f", p.SMClockMHz)
				}
				row[9] = fmt.Sprintf("%.0f", p.MaxTempC)
				if len(p.Throttles) > 0 {
					row[10] = strings.Join(p.Throttles, ",")
				} else {
					row[10] = "none"
				}
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, `Bandwidth counts bytes read plus bytes written. "?" after watts: energy counter and 100 ms samples disagree by more than 10%.
% CEILING: against what mma.sync can reach where the peak needs another instruction (Hopper: wgmma); "*": provisional, from published measurements.`)
	return err
}

// Points is one gpu_bench point per measured kernel per GPU.
func (r *Report) Points() []metric.Point {
	var pts []metric.Point
	for _, g := range r.GPUs {
		for _, k := range g.Kernels {
			if k.Skipped != "" {
				continue
			}
			tags := map[string]string{
				"gpu":        strconv.Itoa(g.Index),
				"gpu_name":   g.Name,
				"pci_bus_id": g.PCIBusID,
				"arch":       g.Arch,
				"kernel":     k.Kernel,
			}
			f := map[string]any{"verified": k.Verified}
			if k.Error != "" {
				f["error"] = k.Error
			}
			if k.Verified {
				base := map[string]string{UnitFlops: "flops", UnitBytes: "bytes_per_s", UnitHashes: "hashrate_hs"}[k.Unit]
				f[base] = k.Rate
				f["gpu_seconds"] = k.GPUSeconds
				if k.PeakRate > 0 {
					f["peak_"+base] = k.PeakRate
					f["peak_pct"] = k.PeakPct
					f["peak_clock_mhz"] = k.ClockMHz
				}
				if k.DatasheetRate > 0 {
					f["datasheet_"+base] = k.DatasheetRate
					f["datasheet_pct"] = k.DatasheetPct
				}
				if k.CeilingRate > 0 {
					f["ceiling_"+base] = k.CeilingRate
					f["ceiling_pct"] = k.CeilingPct
					f["ceiling_provisional"] = k.CeilingProvisional
				}
				if k.RatePerW > 0 {
					f[base+"_per_w"] = k.RatePerW
				}
			}
			if p := k.Power; p != nil {
				f["power_w"] = p.AvgW
				f["power_sampled_w"] = p.SampledAvgW
				f["energy_j"] = p.EnergyJ
				f["power_cross_check_ok"] = p.CrossCheckOK
				f["sm_clock_mhz"] = p.SMClockMHz
				f["temp_max_c"] = p.MaxTempC
				f["power_limit_w"] = p.PowerLimitW
				f["throttle_reasons"] = p.ThrottleReasons
				f["power_drift_pct"] = p.DriftPct
				if p.MinMaxSource != "" {
					f["power_min_w"], f["power_max_w"] = p.MinW, p.MaxW
				}
				if p.EnergyResolutionPct > 0 {
					f["energy_resolution_pct"] = p.EnergyResolutionPct
				}
			}
			pts = append(pts, metric.New(Measurement, tags, f, r.Finished))
		}
	}
	return pts
}
