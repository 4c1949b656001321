package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/gpubench"
	"github.com/perwatt/perwatt/internal/metric"
)

// benchGPUView is the command's output: the report (its JSON fields at the
// top level, the contract) and, per GPU, leasing versus mining on it.
type benchGPUView struct {
	*gpubench.Report
	PowerNote     string    `json:"power_note,omitempty"`
	EconomicsNote string    `json:"economics_note,omitempty"`
	Economics     []gpuEcon `json:"economics,omitempty"`
}

// gpuEcon compares the two uses of one GPU per watt of the same server.
type gpuEcon struct {
	GPU                  int               `json:"gpu"`
	Name                 string            `json:"name"`
	PowerPriceUSDPerKWh  float64           `json:"power_price_usd_per_kwh"`
	HashpriceUSDPerTHDay float64           `json:"hashprice_usd_per_th_day"`
	ServerOverheadW      float64           `json:"server_overhead_w"`
	Leasing              *economics.Result `json:"leasing"`
	LeasingNote          string            `json:"leasing_note,omitempty"`
	Mining               *economics.Result `json:"mining"`
	MiningNote           string            `json:"mining_note,omitempty"`
	// LeasingPerWattX is leasing's revenue per watt over mining's.
	LeasingPerWattX *float64 `json:"leasing_vs_mining_revenue_per_w_x,omitempty"`
}

// gpuCatalogue finds the catalogue's leasing entry for a device name such as
// "NVIDIA H100 80GB HBM3" (catalogue name "H100").
func gpuCatalogue(device string) (economics.Leasing, bool) {
	key := economics.CatalogueKey(device)
	var best economics.Leasing
	for _, g := range economics.GPUs() {
		if k := economics.CatalogueKey(g.Name); strings.Contains(key, k) && len(k) > len(economics.CatalogueKey(best.Name)) {
			best = g
		}
	}
	return best, best.Name != ""
}

// gpuAILoadW is the highest verified average board power among the compute
// kernels: what the GPU draws when a tenant keeps it busy.
func gpuAILoadW(g gpubench.GPUResult) float64 {
	w := 0.0
	for _, k := range g.Kernels {
		if k.Verified && k.Unit == gpubench.UnitFlops && k.Power != nil {
			w = max(w, k.Power.AvgW)
		}
	}
	return w
}

func gpuEconomics(a *app, cmd *cobra.Command, f *benchGPUFlags, rep *gpubench.Report) ([]gpuEcon, string) {
	now := time.Now()
	r, err := benchMarket(a, f.market, now)
	if err != nil {
		return nil, "economics not computed: " + err.Error()
	}
	m, note := r.market, r.note
	ec := a.cfg.Economics
	price := ec.PowerPriceUSDPerKWh
	if cmd.Flags().Changed("power-price") {
		price = f.powerPrice
	}
	rate, overhead := ec.LeaseRateUSDPerHour, ec.GPUServerOverheadW
	if cmd.Flags().Changed("lease-rate") {
		rate = f.leaseRate
	}
	if cmd.Flags().Changed("server-overhead-w") {
		overhead = f.overheadW
	}
	pue := ec.PUE
	if pue < 1 {
		pue = 1
	}
	var out []gpuEcon
	for _, g := range rep.GPUs {
		out = append(out, gpuEconFor(g, m, price, rate, overhead, pue, now))
	}
	return out, note
}

// gpuEconFor prices one GPU both ways. Both uses carry the same server
// overhead and PUE, so the ratio compares the uses, not the buildings.
func gpuEconFor(g gpubench.GPUResult, m economics.Market, price, rate, overhead, pue float64, now time.Time) gpuEcon {
	e := gpuEcon{GPU: g.Index, Name: g.Name, PowerPriceUSDPerKWh: price, HashpriceUSDPerTHDay: m.HashpriceUSDPerTHDay()}
	cat, inCat := gpuCatalogue(g.Name)
	if overhead == 0 && inCat && cat.BoardPowerW > 0 {
		overhead = cat.PowerW - cat.BoardPowerW
	}
	e.ServerOverheadW = overhead
	var profiles []economics.Profile
	var names []string

	if rate == 0 && inCat {
		rate = cat.RateUSDPerGPUHour
	}
	aiW := gpuAILoadW(g)
	switch {
	case rate == 0:
		e.LeasingNote = "no lease rate for this GPU: pass --lease-rate or set economics.lease_rate_usd_per_gpu_hour"
	case aiW == 0:
		e.LeasingNote = "no verified power reading under the compute kernels"
	default:
		l := economics.NewLeasing(fmt.Sprintf("lease %s at $%.2f/GPU-h", g.Name, rate), rate, aiW+overhead)
		l.BoardPowerW, l.PUE = aiW, pue
		l.Source = "board power measured by perwatt bench gpu (highest compute kernel) + server overhead"
		profiles, names = append(profiles, l), append(names, "leasing")
	}

	var sha *gpubench.KernelResult
	for i := range g.Kernels {
		if g.Kernels[i].Kernel == gpubench.KernelSHA256d {
			sha = &g.Kernels[i]
		}
	}
	switch {
	case sha == nil || !sha.Verified:
		e.MiningNote = "sha256d was not measured or failed verification"
	case sha.Power == nil || sha.Power.AvgW <= 0:
		e.MiningNote = "no power reading during sha256d"
	default:
		mn := economics.NewMining(fmt.Sprintf("mine SHA-256d on %s", g.Name), sha.Rate, sha.Power.AvgW+overhead)
		mn.PUE = pue
		mn.Source = "hashrate and board power measured by perwatt bench gpu + server overhead"
		profiles, names = append(profiles, mn), append(names, "mining")
	}
	if len(profiles) == 0 {
		return e
	}
	rep, err := economics.Evaluate(m, price, profiles, now)
	if err != nil {
		e.LeasingNote, e.MiningNote = "economics: "+err.Error(), "economics: "+err.Error()
		return e
	}
	for i, r := range rep.Profiles {
		r := r
		if names[i] == "leasing" {
			e.Leasing = &r
		} else {
			e.Mining = &r
		}
	}
	if e.Leasing != nil && e.Mining != nil && e.Mining.RevenueUSDPerWYear > 0 {
		x := e.Leasing.RevenueUSDPerWYear / e.Mining.RevenueUSDPerWYear
		e.LeasingPerWattX = &x
	}
	return e
}

func (v *benchGPUView) Table(w io.Writer) error {
	if err := v.Report.Table(w); err != nil {
		return err
	}
	if v.PowerNote != "" {
		fmt.Fprintln(w, v.PowerNote)
	}
	if len(v.Economics) == 0 {
		if v.EconomicsNote != "" {
			fmt.Fprintln(w, v.EconomicsNote)
		}
		return nil
	}
	e0 := v.Economics[0]
	fmt.Fprintf(w, "\nrevenue per watt at %.3f USD/kWh, hashprice %.4f USD/TH/day (%s)\n",
		e0.PowerPriceUSDPerKWh, e0.HashpriceUSDPerTHDay, v.EconomicsNote)
	t := newTable(w, "GPU", "USE", "POWER W", "REVENUE $/DAY", "NET $/DAY", "REVENUE $/W/YR", "NET $/W/YR")
	var notes []string
	for _, e := range v.Economics {
		for _, r := range []*economics.Result{e.Leasing, e.Mining} {
			if r == nil {
				continue
			}
			t.row(fmt.Sprint(e.GPU), r.Name, fmt.Sprintf("%.0f", r.DevicePowerW), fmt.Sprintf("%.4f", r.RevenueUSDPerDay),
				fmt.Sprintf("%.4f", r.NetUSDPerDay), fmt.Sprintf("%.4f", r.RevenueUSDPerWYear), fmt.Sprintf("%.4f", r.NetUSDPerWYear))
		}
		for _, n := range []string{e.LeasingNote, e.MiningNote} {
			if n != "" {
				notes = append(notes, fmt.Sprintf("gpu %d: %s", e.GPU, n))
			}
		}
		if e.LeasingPerWattX != nil {
			notes = append(notes, fmt.Sprintf("gpu %d: leasing earns %.3gx the revenue per watt of mining SHA-256d on it (power includes %.0f W server overhead per GPU)",
				e.GPU, *e.LeasingPerWattX, e.ServerOverheadW))
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	return nil
}

func (v *benchGPUView) Points() []metric.Point { return v.Report.Points() }
