package appraisal

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/perwatt/perwatt/economics"
)

// Terms are the operator's side of the appraisal: what power costs, what
// the pool keeps, and what a GPU leases for. Start from DefaultTerms: a
// zero PoolFee is a zero-fee pool, not "the default"; the other zero fields
// (Pool, PUE, Utilization, which cannot be zero) take WithDefaults.
type Terms struct {
	PowerPriceUSDPerKWh float64
	// PoolFee is the fraction of mining revenue the pool keeps; Pool says
	// whether it pays fees too (FPPS) or the subsidy only (PPS).
	PoolFee float64
	Pool    economics.PoolModel
	// PUE scales every device's power to the facility's: cooling and
	// distribution losses are paid for whatever the watts do.
	PUE float64

	// LeaseRates maps a GPU model to its lease rate in USD per GPU-hour; a
	// key matches a device whose name contains it ("H100" matches "NVIDIA
	// H100 80GB HBM3"; the longest key wins). LeaseRate applies to every GPU
	// that no key matches; without either, the catalogue's rate is used.
	LeaseRates map[string]float64
	LeaseRate  float64
	// Utilization is the billed share of hours of a leased GPU.
	Utilization float64
	// ServerOverheadW is the rest of a GPU server (CPUs, NICs, fans, PSU
	// losses) per GPU, added to the board power when no wall reading covers
	// the server; 0 takes the catalogue's all-in minus board power.
	ServerOverheadW float64
}

// DefaultTerms are what an operator who set nothing gets: a 2.5 % FPPS
// pool, a GPU billed 70 % of hours, PUE 1.0 (the power a device reports is
// its wall power; a facility PUE is the operator's to give), at
// powerPriceUSDPerKWh.
func DefaultTerms(powerPriceUSDPerKWh float64) Terms {
	return Terms{PowerPriceUSDPerKWh: powerPriceUSDPerKWh, PoolFee: economics.DefaultPoolFee}.WithDefaults()
}

// WithDefaults fills the fields whose zero is not a value: Pool, PUE and
// Utilization.
func (t Terms) WithDefaults() Terms {
	if t.Pool == "" {
		t.Pool = economics.FPPS
	}
	if t.PUE == 0 {
		t.PUE = 1
	}
	if t.Utilization == 0 {
		t.Utilization = economics.DefaultUtilization
	}
	return t
}

// Validate reports every problem with t at once.
func (t Terms) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !(t.PowerPriceUSDPerKWh >= 0) || t.PowerPriceUSDPerKWh > 10 || math.IsInf(t.PowerPriceUSDPerKWh, 0) {
		bad("power price %v USD/kWh: want 0 to 10 (0.05 is 5 cents)", t.PowerPriceUSDPerKWh)
	}
	if !(t.PoolFee >= 0) || t.PoolFee >= 1 {
		bad("pool fee %v: want a fraction from 0 to below 1", t.PoolFee)
	}
	if t.Pool != "" && t.Pool != economics.FPPS && t.Pool != economics.PPS {
		bad("pool %q: want fpps or pps", t.Pool)
	}
	if t.PUE != 0 && (!(t.PUE >= 1) || t.PUE > 5) {
		bad("pue %v: want 1 to 5", t.PUE)
	}
	if t.Utilization != 0 && (!(t.Utilization > 0) || t.Utilization > 1) {
		bad("utilization %v: want above 0 and at most 1", t.Utilization)
	}
	if !(t.LeaseRate >= 0) || math.IsInf(t.LeaseRate, 0) {
		bad("lease rate %v USD/GPU-hour: must not be negative", t.LeaseRate)
	}
	for k, v := range t.LeaseRates {
		if economics.CatalogueKey(k) == "" {
			bad("lease rate model %q: names no model", k)
		}
		if !(v > 0) || math.IsInf(v, 0) {
			bad("lease rate for %q: %v USD/GPU-hour must be positive", k, v)
		}
	}
	if !(t.ServerOverheadW >= 0) || math.IsInf(t.ServerOverheadW, 0) {
		bad("server overhead %v W per GPU: must not be negative", t.ServerOverheadW)
	}
	return errors.Join(errs...)
}

// lease is what a GPU of this model leases for and where that figure came
// from; ok is false when nothing prices it.
type lease struct {
	rate     float64
	source   string
	overhead float64 // all-in minus board power from the catalogue, when known
	board    float64 // the catalogue's board power, when known
}

func (t Terms) leaseFor(model string) (lease, bool) {
	key := economics.CatalogueKey(model)
	var l lease
	if cat, ok := catalogueGPU(key); ok {
		l = lease{rate: cat.RateUSDPerGPUHour, source: "catalogue " + cat.Name, board: cat.BoardPowerW}
		if cat.BoardPowerW > 0 {
			l.overhead = cat.PowerW - cat.BoardPowerW
		}
	}
	if t.LeaseRate > 0 {
		l.rate, l.source = t.LeaseRate, "lease rate from terms"
	}
	best := ""
	for k, v := range t.LeaseRates {
		if ck := economics.CatalogueKey(k); ck != "" && strings.Contains(key, ck) && len(ck) > len(best) {
			best, l.rate, l.source = ck, v, "lease rate for "+k+" from terms"
		}
	}
	return l, l.rate > 0
}

// catalogueGPU finds the catalogue entry whose name a device name contains:
// "NVIDIA H100 80GB HBM3" is the catalogue's "H100". The longest match wins.
func catalogueGPU(key string) (economics.Leasing, bool) {
	var best economics.Leasing
	for _, g := range economics.GPUs() {
		k := economics.CatalogueKey(g.Name)
		if strings.Contains(key, k) && len(k) > len(economics.CatalogueKey(best.Name)) {
			best = g
		}
	}
	return best, best.Name != ""
}
