package economics

import (
	"errors"
	"fmt"
	"math"
)

// Use names what a share of a site's power is given to.
type Use string

const (
	UseMining Use = "mining"
	UseColo   Use = "colo" // powered-shell lease to an AI tenant
	UseGPU    Use = "gpu"  // GPUs leased by the hour, or a GPU-cloud contract
)

// SiteUse is one use of the site: its share of the site's facility power and
// the profiles that fill it (split equally by facility power when several).
type SiteUse struct {
	Use      Use
	Share    float64 // of the site's facility power, 0..1
	Profiles []Profile
}

// Site is a whole campus: its facility power (what the grid connection
// delivers, PUE included) and how it is shared.
type Site struct {
	FacilityW float64
	Uses      []SiteUse
	// Prices, when set, make the site a "Mullet": mining runs as
	// interruptible load against this series under Policy, and every other
	// use buys power flat at the series' time-weighted average price. The
	// results are annualised from the series' length.
	Prices []PriceInterval
	Policy CurtailPolicy
}

// Validate reports every problem: shares must be fractions summing to 1.
func (s Site) Validate() error {
	var errs []error
	if !(s.FacilityW > 0) || !finite(s.FacilityW) {
		errs = append(errs, fmt.Errorf("site power must be positive, got %v MW", s.FacilityW/1e6))
	}
	sum := 0.0
	for _, u := range s.Uses {
		if !(u.Share >= 0) || u.Share > 1 {
			errs = append(errs, fmt.Errorf("%s share must be from 0%% to 100%%, got %v%%", u.Use, u.Share*100))
		}
		if u.Share > 0 && len(u.Profiles) == 0 {
			errs = append(errs, fmt.Errorf("%s has a %v%% share but no profile to fill it", u.Use, u.Share*100))
		}
		for _, p := range u.Profiles {
			errs = append(errs, p.Validate())
		}
		sum += u.Share
	}
	if math.Abs(sum-1) > 1e-9 {
		errs = append(errs, fmt.Errorf("shares add up to %.6g%%, not 100%%", sum*100))
	}
	return errors.Join(errs...)
}

// SiteLine is one profile's part of the site, per year.
type SiteLine struct {
	Use                 Use     `json:"use"`
	Name                string  `json:"name"`
	Kind                Kind    `json:"kind"`
	FacilityMW          float64 `json:"facility_mw"`
	EnergyMWhPerYear    float64 `json:"energy_mwh_per_year"`
	RevenueUSDPerYear   float64 `json:"revenue_usd_per_year"`
	PowerCostUSDPerYear float64 `json:"power_cost_usd_per_year"`
	ProfitUSDPerYear    float64 `json:"profit_usd_per_year"`
}

// SiteTotals are the sums of a site's lines.
type SiteTotals struct {
	AIShare             float64 `json:"ai_share"`
	RevenueUSDPerYear   float64 `json:"revenue_usd_per_year"`
	PowerCostUSDPerYear float64 `json:"power_cost_usd_per_year"`
	ProfitUSDPerYear    float64 `json:"profit_usd_per_year"`
}

// SiteResult is a site evaluated at one mix.
type SiteResult struct {
	FacilityMW float64    `json:"facility_mw"`
	Lines      []SiteLine `json:"lines"`
	Total      SiteTotals `json:"total"`
}

// EvaluateSite values each use's profiles at their share of the site's
// facility power: a profile's per-facility-watt revenue and power cost, times
// its MW, times 365 days.
func EvaluateSite(s Site, m Market, powerPriceUSDPerKWh float64) (SiteResult, error) {
	if err := errors.Join(s.Validate(), m.usable()); err != nil {
		return SiteResult{}, err
	}
	out := SiteResult{FacilityMW: s.FacilityW / 1e6}
	for _, u := range s.Uses {
		if u.Share == 0 {
			continue
		}
		each := s.FacilityW * u.Share / float64(len(u.Profiles))
		for _, p := range u.Profiles {
			var l SiteLine
			if miner, ok := p.(Mining); ok && len(s.Prices) > 0 {
				c, err := Curtail(miner, m, each, s.Prices, s.Policy)
				if err != nil {
					return SiteResult{}, err
				}
				y := HoursPerYear / c.Hours
				l = SiteLine{Use: u.Use, Name: miner.Name, Kind: KindMining, FacilityMW: each / 1e6,
					EnergyMWhPerYear: c.Curtailed.EnergyMWh * y, RevenueUSDPerYear: (c.Curtailed.RevenueUSD + c.Curtailed.DRCreditUSD) * y,
					PowerCostUSDPerYear: c.Curtailed.PowerCostUSD * y}
			} else {
				price := powerPriceUSDPerKWh
				if len(s.Prices) > 0 {
					price = AveragePriceUSDPerMWh(s.Prices) / 1000
				}
				r := p.evaluate(m, price)
				scale := each / r.FacilityPowerW * DaysPerYear
				l = SiteLine{Use: u.Use, Name: r.Name, Kind: r.Kind, FacilityMW: each / 1e6,
					EnergyMWhPerYear: r.EnergyKWhPerDay / 1000 * scale, RevenueUSDPerYear: r.RevenueUSDPerDay * scale,
					PowerCostUSDPerYear: r.PowerCostUSDPerDay * scale}
			}
			l.ProfitUSDPerYear = l.RevenueUSDPerYear - l.PowerCostUSDPerYear
			out.Lines = append(out.Lines, l)
			out.Total.RevenueUSDPerYear += l.RevenueUSDPerYear
			out.Total.PowerCostUSDPerYear += l.PowerCostUSDPerYear
			out.Total.ProfitUSDPerYear += l.ProfitUSDPerYear
			if u.Use != UseMining {
				out.Total.AIShare += u.Share / float64(len(u.Profiles))
			}
		}
	}
	return out, nil
}

// SweepAIShare re-evaluates the site with the AI uses (everything but mining)
// given share a of the power for each a in shares, mining the rest. The AI
// uses keep their proportions to each other (equal if all were zero).
func SweepAIShare(s Site, m Market, powerPriceUSDPerKWh float64, shares []float64) ([]SiteTotals, error) {
	var aiSum float64
	var nAI int
	for _, u := range s.Uses {
		if u.Use != UseMining {
			aiSum += u.Share
			nAI++
		}
	}
	out := make([]SiteTotals, 0, len(shares))
	for _, a := range shares {
		mix := Site{FacilityW: s.FacilityW, Prices: s.Prices, Policy: s.Policy}
		for _, u := range s.Uses {
			switch {
			case u.Use == UseMining:
				u.Share = 1 - a
			case aiSum > 0:
				u.Share = a * u.Share / aiSum
			default:
				u.Share = a / float64(nAI)
			}
			mix.Uses = append(mix.Uses, u)
		}
		r, err := EvaluateSite(mix, m, powerPriceUSDPerKWh)
		if err != nil {
			return nil, fmt.Errorf("at %v%% AI: %w", a*100, err)
		}
		r.Total.AIShare = a
		out = append(out, r.Total)
	}
	return out, nil
}

// PeakProfit returns the sweep point with the highest profit (the first, if tied).
func PeakProfit(sweep []SiteTotals) SiteTotals {
	best := SiteTotals{ProfitUSDPerYear: math.Inf(-1)}
	for _, t := range sweep {
		if t.ProfitUSDPerYear > best.ProfitUSDPerYear {
			best = t
		}
	}
	return best
}

// AveragePriceUSDPerMWh is the time-weighted average of a price series: what a
// flat, always-on load pays on average.
func AveragePriceUSDPerMWh(p []PriceInterval) float64 {
	var sum, hours float64
	for _, iv := range p {
		sum += iv.USDPerMWh * iv.Hours
		hours += iv.Hours
	}
	if hours == 0 {
		return 0
	}
	return sum / hours
}
