package economics

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// The claim "10 MW of H100 earns as much as 100 MW of Bitcoin mining" is
// three claims, and each needs its own number: on revenue, on net of power,
// and on net of capital (NPV). ClaimEquivalence answers all three for one GPU
// against each miner, with every assumption carried in the result.

// Equivalence is how many MW of one miner match the GPU's MW on one basis;
// nil (with Why) where one side loses money and a ratio would mislead.
type Equivalence struct {
	MinerMW *float64 `json:"miner_mw_total"`
	Why     string   `json:"why,omitempty"`
}

// ClaimRow answers the claim for one miner.
type ClaimRow struct {
	Miner             string      `json:"miner"`
	OnRevenue         Equivalence `json:"on_revenue"`
	OnNetOfPower      Equivalence `json:"on_net_of_power"`
	OnNPV             Equivalence `json:"on_npv"`
	RevenueUSDPerMWYr float64     `json:"revenue_usd_per_mw_year"`
	NetUSDPerMWYr     float64     `json:"net_usd_per_mw_year"`
	NPVUSDPerMW       float64     `json:"npv_usd_per_mw"`
}

// Claim is the whole answer, with the GPU's own figures and the inputs.
type Claim struct {
	GPU                  string        `json:"gpu"`
	GPUMW                float64       `json:"gpu_mw_total"`
	GPURevenueUSDPerMWYr float64       `json:"gpu_revenue_usd_per_mw_year"`
	GPUNetUSDPerMWYr     float64       `json:"gpu_net_usd_per_mw_year"`
	GPUNPVUSDPerMW       float64       `json:"gpu_npv_usd_per_mw"`
	Rows                 []ClaimRow    `json:"miners"`
	Report               Report        `json:"report"`
	Capital              CapitalReport `json:"capital"`
}

// ClaimEquivalence evaluates gpu and miners against m and a, then states, per
// miner, the MW that earn what gpuMW of the GPU earns.
func ClaimEquivalence(gpu Leasing, gpuMW float64, miners []Mining, m Market, a Assumptions, now time.Time) (Claim, error) {
	if !(gpuMW > 0) || !finite(gpuMW) {
		return Claim{}, fmt.Errorf("GPU MW must be positive, got %v", gpuMW)
	}
	if len(miners) == 0 {
		return Claim{}, errors.New("no miner to compare with")
	}
	ps := []Profile{gpu}
	for _, mn := range miners {
		ps = append(ps, mn)
	}
	rep, err := Evaluate(m, a.PowerPrice, ps, now)
	if err != nil {
		return Claim{}, err
	}
	capRep, err := AppraiseAll(ps, m, a)
	if err != nil {
		return Claim{}, err
	}
	g, gi := rep.Profiles[0], capRep.Investments[0]
	c := Claim{GPU: gpu.Name, GPUMW: gpuMW, GPURevenueUSDPerMWYr: g.RevenueUSDPerWYear * 1e6, GPUNetUSDPerMWYr: g.NetUSDPerWYear * 1e6,
		GPUNPVUSDPerMW: gi.NPVUSDPerMW, Report: rep, Capital: capRep}
	for i := range miners {
		r, inv := rep.Profiles[i+1], capRep.Investments[i+1]
		c.Rows = append(c.Rows, ClaimRow{Miner: r.Name,
			OnRevenue:         equivalent(gpuMW, g.RevenueUSDPerWYear, r.RevenueUSDPerWYear, "revenue"),
			OnNetOfPower:      equivalent(gpuMW, g.NetUSDPerWYear, r.NetUSDPerWYear, "net of power"),
			OnNPV:             equivalent(gpuMW, gi.NPVUSDPerMW, inv.NPVUSDPerMW, "NPV"),
			RevenueUSDPerMWYr: r.RevenueUSDPerWYear * 1e6, NetUSDPerMWYr: r.NetUSDPerWYear * 1e6, NPVUSDPerMW: inv.NPVUSDPerMW})
	}
	return c, nil
}

func equivalent(gpuMW, gpuPerMW, minerPerMW float64, basis string) Equivalence {
	switch {
	case !(gpuPerMW > 0):
		return Equivalence{Why: fmt.Sprintf("the GPU's %s is not positive ($%s per MW): no amount of mining matches a loss", basis, money(gpuPerMW, 0))}
	case !(minerPerMW > 0):
		return Equivalence{Why: fmt.Sprintf("the miner's %s is not positive ($%s per MW): no amount of it matches the GPU", basis, money(minerPerMW, 0))}
	}
	mw := gpuMW * gpuPerMW / minerPerMW
	return Equivalence{MinerMW: &mw}
}

func (e Equivalence) cell() string {
	if e.MinerMW == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", *e.MinerMW)
}

// Table prints the answer first, then every assumption behind it.
func (c Claim) Table(w io.Writer) error {
	fmt.Fprintf(w, "Claim: \"%g MW of %s earns as much as 100 MW of Bitcoin mining\". MW of each miner that earn what %g MW of %s earns:\n\n", c.GPUMW, c.GPU, c.GPUMW, c.GPU)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "miner\ton revenue\ton net of power\ton NPV (net of capital)\trevenue $M/MW/yr\tnet $M/MW/yr\tNPV $M/MW\t")
	fmt.Fprintf(tw, "(%s itself)\t\t\t\t%.3f\t%.3f\t%.3f\t\n", c.GPU, c.GPURevenueUSDPerMWYr/1e6, c.GPUNetUSDPerMWYr/1e6, c.GPUNPVUSDPerMW/1e6)
	for _, r := range c.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t\n", r.Miner, r.OnRevenue.cell(), r.OnNetOfPower.cell(), r.OnNPV.cell(),
			r.RevenueUSDPerMWYr/1e6, r.NetUSDPerMWYr/1e6, r.NPVUSDPerMW/1e6)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range c.Rows {
		for _, e := range []Equivalence{r.OnRevenue, r.OnNetOfPower, r.OnNPV} {
			switch {
			case e.Why == "" || seen[e.Why]:
			case strings.HasPrefix(e.Why, "the GPU's"):
				fmt.Fprintf(w, "  n/a: %s\n", e.Why)
			default:
				fmt.Fprintf(w, "  %s: n/a because %s\n", r.Miner, e.Why)
			}
			seen[e.Why] = true
		}
	}
	fmt.Fprintln(w, "\nAssumptions (all of them):")
	if err := c.Report.Summary(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, inv := range c.Capital.Investments {
		fmt.Fprintf(w, "  %s: %s\n", inv.Name, joinNotes(inv.Notes))
	}
	return c.Capital.Table(w)
}

func joinNotes(ns []string) string { return strings.Join(ns, "; ") }

// Points are one "economics_claim" point per miner, plus the capital points.
func (c Claim) Points() []metric.Point {
	at := c.Report.EvaluatedAt
	var pts []metric.Point
	for _, r := range c.Rows {
		f := map[string]any{"gpu_mw_total": c.GPUMW, "npv_usd_per_mw": r.NPVUSDPerMW, "gpu_npv_usd_per_mw": c.GPUNPVUSDPerMW}
		for k, e := range map[string]Equivalence{"miner_mw_total_on_revenue": r.OnRevenue, "miner_mw_total_on_net_of_power": r.OnNetOfPower, "miner_mw_total_on_npv": r.OnNPV} {
			if e.MinerMW != nil {
				f[k] = *e.MinerMW
			}
		}
		pts = append(pts, metric.New("economics_claim", map[string]string{"gpu": c.GPU, "miner": r.Miner}, f, at))
	}
	return append(pts, c.Capital.Points(at)...)
}
