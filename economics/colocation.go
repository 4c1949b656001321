package economics

import (
	"errors"
	"fmt"
	"math"
)

// Colocation is a multi-year lease of powered, cooled capacity to an AI tenant,
// priced the way the industry quotes it: USD per kW of critical IT load per
// month. With GPUCloud set the same shape describes a contract where the
// operator runs the GPUs itself and bills per MW (IREN–Microsoft); its GPUs
// are capital (Capital.EquipmentUSDPerMWIT), and its kind is KindGPUCloud.
type Colocation struct {
	Name string
	// RateUSDPerKWMonth is the first year's rate per kW of critical IT load.
	RateUSDPerKWMonth float64
	EscalatorPerYear  float64 // e.g. 0.03 for 3 % a year
	TermYears         float64
	ITLoadW           float64 // critical IT load leased
	PUE               float64 // facility power / IT power
	// PowerPassthrough is triple-net: the tenant pays for the power, so the
	// operator's revenue is the lease and its power cost is nil. Without it the
	// operator buys the power (at LoadFactor of the facility's capacity).
	PowerPassthrough bool
	LoadFactor       float64 // average draw / contracted load when power is included, 0..1
	GPUCloud         bool
	Source           string
	Capital          Capital
}

// USDPerKWMonthFromMWYear converts the $/MW-year form into $/kW-month:
// 1 MW-year = 1000 kW × 12 months.
func USDPerKWMonthFromMWYear(usdPerMWYear float64) float64 { return usdPerMWYear / 12000 }

// USDPerMWYear is the first year's rate per MW of IT load per year.
func (p Colocation) USDPerMWYear() float64 { return p.RateUSDPerKWMonth * 12000 }

// RateInYear is the rate in $/kW-month in lease year y (1-based), escalated
// once per completed year.
func (p Colocation) RateInYear(y int) float64 {
	return p.RateUSDPerKWMonth * math.Pow(1+p.EscalatorPerYear, float64(y-1))
}

// ContractValueUSD is the total lease revenue over the term for the leased
// load: Σ over years of 12 × rate_y × IT kW (a partial last year counts pro rata).
func (p Colocation) ContractValueUSD() float64 {
	total := 0.0
	for y := 1; float64(y-1) < p.TermYears; y++ {
		frac := math.Min(1, p.TermYears-float64(y-1))
		total += p.RateInYear(y) * 12 * p.ITLoadW / 1000 * frac
	}
	return total
}

// AverageUSDPerMWYear is the term-average rate per MW of IT per year, the
// figure press releases divide out ("$7B over 15 years for 245 MW").
func (p Colocation) AverageUSDPerMWYear() float64 {
	if p.TermYears <= 0 || p.ITLoadW <= 0 {
		return p.USDPerMWYear()
	}
	return p.ContractValueUSD() / p.TermYears / (p.ITLoadW / 1e6)
}

// FirstYearRateForContract solves for the year-1 $/kW-month that makes a
// contract of totalUSD over termYears on itMW with the given escalator:
// total = 12,000 × MW × r1 × Σ_{k<term}(1+e)^k.
func FirstYearRateForContract(totalUSD, termYears, itMW, escalator float64) float64 {
	annuity := termYears
	if escalator != 0 {
		annuity = (math.Pow(1+escalator, termYears) - 1) / escalator
	}
	return totalUSD / (12000 * itMW * annuity)
}

func (p Colocation) ProfileName() string { return p.Name }

// Validate reports every problem with p at once.
func (p Colocation) Validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	errs = append(errs, positive("rate", p.RateUSDPerKWMonth), positive("it-load", p.ITLoadW), pue(p.PUE), p.Capital.Validate())
	if !(p.EscalatorPerYear >= 0) || p.EscalatorPerYear > 0.5 {
		errs = append(errs, fmt.Errorf("escalator must be from 0 to 0.5 a year, got %v", p.EscalatorPerYear))
	}
	if !(p.TermYears >= 0) || p.TermYears > 50 {
		errs = append(errs, fmt.Errorf("term must be from 0 to 50 years, got %v", p.TermYears))
	}
	if !p.PowerPassthrough {
		errs = append(errs, uptime("load-factor", p.LoadFactor))
	}
	return wrapProfile(p.Name, errs)
}

func (p Colocation) kind() Kind {
	if p.GPUCloud {
		return KindGPUCloud
	}
	return KindColocation
}
