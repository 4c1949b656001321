package economics

import (
	"errors"
	"fmt"
	"time"
)

// Capital is what a profile costs beyond its power: what is bought before it
// earns, how long that lasts, what it costs to run, how it is financed and
// when it starts to pay. Every profile kind carries one; the zero value is "no
// capital", which is what the power-only figures of Evaluate assume.
type Capital struct {
	// CapexUSDPerUnit is the price of one unit: a miner, or one GPU's share
	// of its server all-in (server, network, storage, installation).
	CapexUSDPerUnit float64 `json:"capex_usd_per_unit,omitempty"`
	// CapexUSDPerTH prices a miner by its hashrate instead (the way the
	// secondary market quotes); used when CapexUSDPerUnit is 0.
	CapexUSDPerTH float64 `json:"capex_usd_per_th,omitempty"`
	// FitOutUSDPerMWIT is the building: data hall, electrical and cooling
	// fit-out per MW of IT (device) load, paid by the operator.
	FitOutUSDPerMWIT float64 `json:"fit_out_usd_per_mw_it,omitempty"`
	// EquipmentUSDPerMWIT is equipment bought per MW of IT where a contract
	// states a total rather than a unit price (IREN: $5.8B of GPUs for 200 MW).
	EquipmentUSDPerMWIT float64 `json:"equipment_usd_per_mw_it,omitempty"`
	// LifeYears is the useful life of the capex; the model ends there (or at
	// the lease term, whichever is first) and SalvageShare of the capex is
	// recovered then.
	LifeYears    float64 `json:"life_years,omitempty"`
	SalvageShare float64 `json:"salvage_share,omitempty"`
	// Non-power operating costs: fixed per kW of facility power per month,
	// and a share of revenue (repairs, staff, insurance, pool of spares).
	OpexUSDPerKWMonth  float64 `json:"opex_usd_per_kw_month,omitempty"`
	OpexShareOfRevenue float64 `json:"opex_share_of_revenue,omitempty"`
	// HostingUSDPerKWh is what a host charges per kWh drawn on top of the
	// power price (a hosted miner; set the power price to 0 if the host
	// bills all-in).
	HostingUSDPerKWh float64 `json:"hosting_usd_per_kwh,omitempty"`
	// Margin is the operating (NOI or EBITDA) margin that signed terms state:
	// when set, operating cash is Margin × revenue and replaces power, opex
	// and hosting, because the stated margin already contains them.
	Margin float64 `json:"margin,omitempty"`
	// Financing: DebtShare of the capex is borrowed at DebtRate and repaid in
	// level yearly payments over DebtTermYears.
	DebtShare     float64 `json:"debt_share,omitempty"`
	DebtRate      float64 `json:"debt_rate,omitempty"`
	DebtTermYears int     `json:"debt_term_years,omitempty"`
	// PrepaymentShare of the contract value is paid at signing and credited
	// evenly against the bills from lease year PrepaymentCreditFromYear to
	// the end of the term (IREN–Microsoft: 20 %, years 3–5). Leases only.
	PrepaymentShare          float64 `json:"prepayment_share,omitempty"`
	PrepaymentCreditFromYear int     `json:"prepayment_credit_from_year,omitempty"`
	// Signed dates a contract: a deal is valued as signed, from this date,
	// whatever the valuation date asked for.
	Signed time.Time `json:"signed,omitzero"`
	// Commencement is when revenue starts (zero: at the valuation date); from
	// there it ramps linearly over RampMonths from RampStartShare of full.
	Commencement   time.Time `json:"commencement,omitzero"`
	RampMonths     int       `json:"ramp_months,omitempty"`
	RampStartShare float64   `json:"ramp_start_share,omitempty"`
	// Source says where the figures come from and which are estimates.
	Source string `json:"source,omitempty"`
}

// IsZero reports whether no capital terms are set at all.
func (c Capital) IsZero() bool {
	return c.CapexUSDPerUnit == 0 && c.CapexUSDPerTH == 0 && c.FitOutUSDPerMWIT == 0 && c.EquipmentUSDPerMWIT == 0 && c.LifeYears == 0 &&
		c.OpexUSDPerKWMonth == 0 && c.OpexShareOfRevenue == 0 && c.HostingUSDPerKWh == 0 && c.Margin == 0 &&
		c.DebtShare == 0 && c.Commencement.IsZero() && c.RampMonths == 0
}

// Validate reports every unusable capital term at once.
func (c Capital) Validate() error {
	var errs []error
	nonNeg := func(what string, v float64) {
		if !(v >= 0) || !finite(v) {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %v", what, v))
		}
	}
	nonNeg("capex", c.CapexUSDPerUnit)
	nonNeg("capex per TH", c.CapexUSDPerTH)
	nonNeg("fit-out", c.FitOutUSDPerMWIT)
	nonNeg("equipment", c.EquipmentUSDPerMWIT)
	nonNeg("opex", c.OpexUSDPerKWMonth)
	nonNeg("hosting", c.HostingUSDPerKWh)
	if !(c.LifeYears >= 0) || c.LifeYears > 50 {
		errs = append(errs, fmt.Errorf("life must be from 0 to 50 years, got %v", c.LifeYears))
	}
	for _, f := range []struct {
		what string
		v    float64
	}{{"salvage", c.SalvageShare}, {"opex share", c.OpexShareOfRevenue}, {"margin", c.Margin}, {"debt share", c.DebtShare}, {"ramp start", c.RampStartShare}, {"prepayment", c.PrepaymentShare}} {
		if err := fraction(f.what, f.v, false); err != nil {
			errs = append(errs, err)
		}
	}
	if !(c.DebtRate > -1) || c.DebtRate > 1 {
		errs = append(errs, fmt.Errorf("debt rate must be between -100%% and +100%% a year, got %v", c.DebtRate))
	}
	if c.DebtShare > 0 && (c.DebtTermYears < 1 || c.DebtTermYears > 50) {
		errs = append(errs, fmt.Errorf("debt term must be 1 to 50 years when debt is used, got %d", c.DebtTermYears))
	}
	if c.PrepaymentCreditFromYear < 0 || c.PrepaymentCreditFromYear > 50 {
		errs = append(errs, fmt.Errorf("prepayment credit year must be 0 to 50, got %d", c.PrepaymentCreditFromYear))
	}
	if c.RampMonths < 0 || c.RampMonths > 120 {
		errs = append(errs, fmt.Errorf("ramp must be 0 to 120 months, got %d", c.RampMonths))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("capital: %w", err)
	}
	return nil
}

// capitalOf returns the capital terms of a profile.
func capitalOf(p Profile) Capital {
	switch p := p.(type) {
	case Mining:
		return p.Capital
	case Leasing:
		return p.Capital
	case Colocation:
		return p.Capital
	}
	return Capital{}
}
