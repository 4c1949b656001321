package economics

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// YearFlow is one year of an investment's cash flows per MW of facility
// power; year 0 is the outlay. Costs are positive numbers, cash flows signed.
type YearFlow struct {
	Year        int     `json:"year"`
	OnlineShare float64 `json:"online_share"` // average share of full capacity earning
	// RevenueUSDPerMW is lease, rental or mining revenue.
	RevenueUSDPerMW   float64 `json:"revenue_usd_per_mw"`
	PowerCostUSDPerMW float64 `json:"power_cost_usd_per_mw"`
	// OpexUSDPerMW is non-power opex and hosting, or revenue × (1 − margin)
	// where the terms state a margin (power then sits inside it).
	OpexUSDPerMW          float64 `json:"opex_usd_per_mw"`
	OperatingCashUSDPerMW float64 `json:"operating_cash_usd_per_mw"`
	CapexUSDPerMW         float64 `json:"capex_usd_per_mw"`
	SalvageUSDPerMW       float64 `json:"salvage_usd_per_mw"`
	// PrepaymentUSDPerMW is a customer's prepayment: received in year 0,
	// credited back (negative) against the bills of later years.
	PrepaymentUSDPerMW  float64 `json:"prepayment_usd_per_mw"`
	DebtServiceUSDPerMW float64 `json:"debt_service_usd_per_mw"`
	ProjectCashUSDPerMW float64 `json:"project_cash_usd_per_mw"`
	EquityCashUSDPerMW  float64 `json:"equity_cash_usd_per_mw"`
	ProjectCashUSDTotal float64 `json:"project_cash_usd_total"`
	EquityCashUSDTotal  float64 `json:"equity_cash_usd_total"`
	MiningDaysOff       int     `json:"mining_days_off,omitempty"`
}

// Investment is a profile appraised on capital: cash flows, NPV, IRR,
// payback and the breakevens that include the capex. Per-MW figures are per
// MW of facility power (device power × PUE); totals are for FacilityMW.
type Investment struct {
	Name         string     `json:"name"`
	Kind         Kind       `json:"kind"`
	FacilityMW   float64    `json:"facility_mw_total"`
	HorizonYears int        `json:"horizon_years"`
	DiscountRate float64    `json:"discount_rate"`
	Years        []YearFlow `json:"years"`

	CapexUSDPerMW float64 `json:"capex_usd_per_mw"`
	CapexUSDTotal float64 `json:"capex_usd_total"`
	NPVUSDPerMW   float64 `json:"npv_usd_per_mw"`
	NPVUSDTotal   float64 `json:"npv_usd_total"`
	// IRR is nil when none exists; IRRNote then says why (or warns that
	// several may exist).
	IRR     *float64 `json:"irr"`
	IRRNote string   `json:"irr_note,omitempty"`
	// Equity figures, after debt service, when part of the capex is borrowed.
	EquityNPVUSDPerMW *float64 `json:"equity_npv_usd_per_mw,omitempty"`
	EquityNPVUSDTotal *float64 `json:"equity_npv_usd_total,omitempty"`
	EquityIRR         *float64 `json:"equity_irr,omitempty"`
	EquityIRRNote     string   `json:"equity_irr_note,omitempty"`
	// PaybackMonths is nil when the outlay is not repaid within the horizon.
	PaybackMonths *float64 `json:"payback_months"`

	// Breakevens including capital (NPV = 0 at the discount rate), each nil
	// where it does not apply or cannot be reached.
	BreakevenHashpriceUSDPerPHDay *float64 `json:"breakeven_hashprice_usd_per_ph_day,omitempty"`
	BreakevenGPURateUSDPerHour    *float64 `json:"breakeven_gpu_rate_usd_per_gpu_hour,omitempty"`
	BreakevenUtilization          *float64 `json:"breakeven_utilization,omitempty"`
	BreakevenLeaseUSDPerKWMonth   *float64 `json:"breakeven_lease_usd_per_kw_month,omitempty"`
	BreakevenNote                 string   `json:"breakeven_note,omitempty"`

	Capital Capital `json:"capital"`
	// ValuedFrom is the valuation date: the request's, or a deal's signing.
	ValuedFrom time.Time `json:"valued_from,omitzero"`
	// Notes state what the model assumed for this profile.
	Notes []string `json:"notes"`
}

// ops is one profile reduced to what the cash-flow model needs, per MW of
// facility power: revenue and operator-paid energy per day at full capacity.
type ops struct {
	revenue     []float64 // per day, at full capacity
	kWhPerDay   float64   // energy the operator pays for, at full capacity
	curtailable bool      // mining: a day that does not cover its power is switched off
	capex       float64
	prepay      float64   // received at the valuation date
	credit      []float64 // per day, the prepayment credited against that day's bill
	notes       []string
}

// Appraise builds a profile's yearly cash flows from a.Start over its life
// (or its lease term from commencement; a.Years overrides both) and values
// them. Capex is spent at the valuation date; revenue starts at commencement
// and ramps linearly; mining revenue follows the same day-by-day path as
// Project (retargets, halvings, BTC price growth). The model is pre-tax.
func Appraise(p Profile, m Market, a Assumptions) (Investment, error) {
	if err := errors.Join(p.Validate(), m.usable()); err != nil {
		return Investment{}, err
	}
	c := capitalOf(p)
	horizon := a.Years
	if !c.Signed.IsZero() && !a.FromStart {
		a.Start = c.Signed
	}
	cDay := 0.0
	if !c.Commencement.IsZero() && !a.Start.IsZero() {
		cDay = c.Commencement.Sub(a.Start).Hours() / 24
	}
	if horizon == 0 {
		horizon = defaultHorizon(p, c, cDay)
	}
	check := a
	check.Years = horizon
	if check.BlocksPerDay == 0 {
		check.BlocksPerDay = BlocksPerDay
	}
	if err := check.Validate(); err != nil {
		return Investment{}, err
	}
	a = check
	o := buildOps(p, m, a, cDay)
	inv := Investment{Name: p.ProfileName(), Kind: kindOf(p), FacilityMW: facilityW(p) / 1e6, HorizonYears: horizon,
		DiscountRate: a.DiscountRate, Capital: c, Notes: o.notes, CapexUSDPerMW: o.capex, ValuedFrom: a.Start}
	inv.CapexUSDTotal = o.capex * inv.FacilityMW

	rows, daily, flows, equity := run(o, c, a, cDay, 1)
	inv.Years = rows
	for i := range inv.Years {
		inv.Years[i].ProjectCashUSDTotal = inv.Years[i].ProjectCashUSDPerMW * inv.FacilityMW
		inv.Years[i].EquityCashUSDTotal = inv.Years[i].EquityCashUSDPerMW * inv.FacilityMW
	}
	inv.NPVUSDPerMW = NPV(a.DiscountRate, flows)
	inv.NPVUSDTotal = inv.NPVUSDPerMW * inv.FacilityMW
	if r, note, err := IRR(flows); err == nil {
		inv.IRR, inv.IRRNote = &r, note
	} else {
		inv.IRRNote = err.Error()
	}
	if c.DebtShare > 0 {
		n := NPV(a.DiscountRate, equity)
		nt := n * inv.FacilityMW
		inv.EquityNPVUSDPerMW, inv.EquityNPVUSDTotal = &n, &nt
		if r, note, err := IRR(equity); err == nil {
			inv.EquityIRR, inv.EquityIRRNote = &r, note
		} else {
			inv.EquityIRRNote = err.Error()
		}
	}
	if days, ok := Payback(o.capex-o.prepay, daily); ok {
		months := days * 12 / DaysPerYear
		inv.PaybackMonths = &months
	}
	breakevens(&inv, p, m, o, c, a, cDay)
	if err := inv.checkFinite(); err != nil {
		return Investment{}, fmt.Errorf("profile %q: %w", p.ProfileName(), err)
	}
	return inv, nil
}

// defaultHorizon runs from the valuation date to the end of the lease term
// or of the equipment's life, both counted from commencement (equipment is
// installed for it), whichever ends first; 5 years when neither is known.
func defaultHorizon(p Profile, c Capital, cDay float64) int {
	span := c.LifeYears
	if col, ok := p.(Colocation); ok && col.TermYears > 0 && (span == 0 || col.TermYears < span) {
		span = col.TermYears
	}
	if span == 0 {
		span = 5
	}
	return min(50, int(math.Ceil(max(0, cDay/DaysPerYear)+span-1e-9)))
}

// buildOps turns a profile into daily revenue at full capacity and the
// energy it pays for, per MW of facility power.
func buildOps(p Profile, m Market, a Assumptions, cDay float64) ops {
	days := a.Years * int(DaysPerYear)
	o := ops{revenue: make([]float64, days)}
	c := capitalOf(p)
	switch p := p.(type) {
	case Mining:
		units := 1e6 / (p.PowerW * p.PUE)
		unit := c.CapexUSDPerUnit
		if unit == 0 {
			unit = c.CapexUSDPerTH * p.HashrateHS / 1e12
		}
		o.capex = units*unit + (c.FitOutUSDPerMWIT+c.EquipmentUSDPerMWIT)/p.PUE
		o.kWhPerDay = 1000 * 24 * p.Uptime
		o.curtailable = !a.MineAtLoss
		for d, mk := range marketPath(m, a, days) {
			o.revenue[d] = p.BTCPerDay(mk) * mk.BTCPriceUSD * units * a.BlocksPerDay / BlocksPerDay
		}
		o.notes = append(o.notes, fmt.Sprintf("mining revenue follows difficulty %+.2f%% per retarget and BTC %+.1f%%/yr from the market now, halvings at their heights",
			a.DifficultyGrowthPerRetarget*100, a.BTCPriceGrowthPerYear*100))
	case Leasing:
		units := 1e6 / (p.PowerW * p.PUE)
		o.capex = units*c.CapexUSDPerUnit + (c.FitOutUSDPerMWIT+c.EquipmentUSDPerMWIT)/p.PUE
		o.kWhPerDay = 1000 * 24
		for d := range o.revenue {
			o.revenue[d] = p.RateUSDPerGPUHour * 24 * p.Utilization * units
		}
		o.notes = append(o.notes, fmt.Sprintf("GPU rate $%.2f/GPU-hour flat at %.0f%% utilisation; no GPU price decline modelled", p.RateUSDPerGPUHour, p.Utilization*100))
	case Colocation:
		itKW := 1000 / p.PUE
		o.capex = (c.FitOutUSDPerMWIT + c.EquipmentUSDPerMWIT) / p.PUE
		if !p.PowerPassthrough {
			o.kWhPerDay = 1000 * 24 * p.LoadFactor
		}
		for d := range o.revenue {
			leaseDay := float64(d) - cDay
			if leaseDay < 0 || p.TermYears > 0 && leaseDay >= p.TermYears*DaysPerYear {
				continue
			}
			o.revenue[d] = p.RateInYear(int(leaseDay/DaysPerYear)+1) * 12 * itKW / DaysPerYear
		}
		o.notes = append(o.notes, fmt.Sprintf("lease $%.2f/kW-month of IT in lease year 1, %+.1f%%/yr, %g-year term from commencement", p.RateUSDPerKWMonth, p.EscalatorPerYear*100, p.TermYears))
		if c.PrepaymentShare > 0 && p.TermYears > 0 {
			prepayment(&o, p, c, cDay)
		}
	}
	if c.Margin > 0 {
		o.notes = append(o.notes, fmt.Sprintf("operating cash is the stated %.1f%% margin of revenue; power, opex and hosting are inside it", c.Margin*100))
	}
	o.notes = append(o.notes, "capex spent at the valuation date; pre-tax; salvage or remaining straight-line value recovered at the horizon")
	return o
}

// prepayment spreads a prepaid share of the contract value evenly over the
// bills from lease year PrepaymentCreditFromYear to the end of the term.
func prepayment(o *ops, p Colocation, c Capital, cDay float64) {
	o.prepay = c.PrepaymentShare * p.ContractValueUSD() / (p.ITLoadW * p.PUE / 1e6)
	from := float64(max(1, c.PrepaymentCreditFromYear)-1) * DaysPerYear
	span := p.TermYears*DaysPerYear - from
	if span <= 0 {
		return
	}
	o.credit = make([]float64, len(o.revenue))
	for d := range o.credit {
		if ld := float64(d) - cDay; ld >= from && ld < p.TermYears*DaysPerYear {
			o.credit[d] = o.prepay / span
		}
	}
	o.notes = append(o.notes, fmt.Sprintf("%.0f%% of the contract prepaid at signing, credited against lease years %d–%g", c.PrepaymentShare*100, max(1, c.PrepaymentCreditFromYear), p.TermYears))
}

// marketPath steps the market day by day as Project does: the height advances
// BlocksPerDay a day, difficulty moves at each retarget crossed, the subsidy
// follows the height, the price compounds.
func marketPath(m Market, a Assumptions, days int) []Market {
	out := make([]Market, days)
	height := float64(a.StartHeight)
	diff := m.Difficulty
	nextRetarget := (a.StartHeight/RetargetInterval + 1) * RetargetInterval
	subsidy := func(h float64) float64 {
		if a.StartHeight == 0 {
			return m.SubsidyBTC // no height known: the subsidy given is held
		}
		return SubsidyBTC(int64(h))
	}
	for d := range out {
		out[d] = Market{Difficulty: diff, BTCPriceUSD: m.BTCPriceUSD * math.Pow(1+a.BTCPriceGrowthPerYear, float64(d)/DaysPerYear),
			SubsidyBTC: subsidy(height), FeesBTCPerBlock: a.FeesBTCPerBlock}
		height += a.BlocksPerDay
		for int64(height) >= nextRetarget {
			diff *= 1 + a.DifficultyGrowthPerRetarget
			nextRetarget += RetargetInterval
		}
	}
	return out
}

// onlineShare is the share of full capacity earning on day d: nothing before
// commencement, then RampStartShare rising linearly, one step a month, to
// full after RampMonths; nothing once the equipment's life has run out
// (a horizon longer than the life buys no replacement).
func onlineShare(c Capital, d int, cDay float64) float64 {
	t := float64(d) - cDay
	if t < 0 || c.LifeYears > 0 && t >= c.LifeYears*DaysPerYear {
		return 0
	}
	if c.RampMonths == 0 {
		return 1
	}
	month := math.Floor(t / (DaysPerYear / 12))
	return c.RampStartShare + (1-c.RampStartShare)*math.Min(1, (month+1)/float64(c.RampMonths))
}

// run aggregates the days into years with revenue scaled by k
// (1 for the appraisal itself; the breakeven solvers vary it) and returns
// the year rows, the daily operating cash, and the project and equity
// yearly flows with year 0 first.
func run(o ops, c Capital, a Assumptions, cDay float64, k float64) (rows []YearFlow, daily, flows, equity []float64) {
	years := a.Years
	daily = make([]float64, len(o.revenue))
	rows = make([]YearFlow, years+1)
	loan := c.DebtShare * o.capex
	pre := k * o.prepay
	rows[0] = YearFlow{CapexUSDPerMW: o.capex, PrepaymentUSDPerMW: pre, ProjectCashUSDPerMW: -o.capex + pre, EquityCashUSDPerMW: -o.capex + loan + pre}
	fixedPerDay := c.OpexUSDPerKWMonth * 1000 * 12 / DaysPerYear
	energyPrice := a.PowerPrice + c.HostingUSDPerKWh
	for d := range o.revenue {
		y := d/int(DaysPerYear) + 1
		r := &rows[y]
		share := onlineShare(c, d, cDay)
		rev := k * o.revenue[d] * share
		kwh := o.kWhPerDay * share
		var power, opex float64
		if c.Margin > 0 {
			opex = rev * (1 - c.Margin)
		} else {
			if o.curtailable && rev < kwh*energyPrice {
				if share > 0 {
					r.MiningDaysOff++
				}
				rev, kwh = 0, 0
			}
			power = kwh * a.PowerPrice
			opex = fixedPerDay*share + c.OpexShareOfRevenue*rev + kwh*c.HostingUSDPerKWh
		}
		r.OnlineShare += share / DaysPerYear
		r.RevenueUSDPerMW += rev
		r.PowerCostUSDPerMW += power
		r.OpexUSDPerMW += opex
		daily[d] = rev - power - opex
		if o.credit != nil {
			r.PrepaymentUSDPerMW -= k * o.credit[d]
			daily[d] -= k * o.credit[d]
		}
	}
	payment := LoanPayment(loan, c.DebtRate, c.DebtTermYears)
	balance := loan
	flows, equity = []float64{rows[0].ProjectCashUSDPerMW}, []float64{rows[0].EquityCashUSDPerMW}
	for y := 1; y <= years; y++ {
		r := &rows[y]
		r.Year = y
		r.OperatingCashUSDPerMW = r.RevenueUSDPerMW - r.PowerCostUSDPerMW - r.OpexUSDPerMW
		used := float64(y) - max(0, cDay/DaysPerYear) // years in service by the end of year y
		switch {
		case c.LifeYears > 0 && used >= c.LifeYears && used-1 < c.LifeYears:
			r.SalvageUSDPerMW = o.capex * c.SalvageShare // retired this year
		case y == years && (c.LifeYears == 0 || used < c.LifeYears):
			r.SalvageUSDPerMW = residual(o.capex, c, used)
		}
		r.ProjectCashUSDPerMW = r.OperatingCashUSDPerMW + r.SalvageUSDPerMW + r.PrepaymentUSDPerMW
		if balance > 0 {
			interest := balance * c.DebtRate
			pay := min(payment, balance+interest)
			balance = balance + interest - pay
			if y == years && balance > 1e-9 {
				pay += balance // the loan outlives the horizon: repaid from the sale at the end
				balance = 0
			}
			r.DebtServiceUSDPerMW = pay
		}
		r.EquityCashUSDPerMW = r.ProjectCashUSDPerMW - r.DebtServiceUSDPerMW
		flows = append(flows, r.ProjectCashUSDPerMW)
		equity = append(equity, r.EquityCashUSDPerMW)
	}
	return rows, daily, flows, equity
}

// residual is what the capex is worth at the horizon, after usedYears in
// service from commencement: the salvage share at or past the end of its
// life, else the straight-line value left between cost and salvage.
func residual(capex float64, c Capital, usedYears float64) float64 {
	if c.LifeYears == 0 || usedYears >= c.LifeYears {
		return capex * c.SalvageShare
	}
	left := 1 - usedYears/c.LifeYears
	return capex * (c.SalvageShare + (1-c.SalvageShare)*left)
}

// breakevens solves for the revenue scale k at which project NPV is zero and
// states it in each kind's own terms.
func breakevens(inv *Investment, p Profile, m Market, o ops, c Capital, a Assumptions, cDay float64) {
	npvAt := func(k float64) float64 {
		_, _, flows, _ := run(o, c, a, cDay, k)
		return NPV(a.DiscountRate, flows)
	}
	lo, hi := 0.0, 1.0
	if npvAt(0) >= 0 {
		hi = 0
	} else {
		for npvAt(hi) < 0 {
			if hi *= 2; hi > 1e6 {
				inv.BreakevenNote = "no revenue level repays the capital within the horizon"
				return
			}
		}
		for range 100 {
			mid := (lo + hi) / 2
			if npvAt(mid) < 0 {
				lo = mid
			} else {
				hi = mid
			}
		}
	}
	k := hi
	switch p := p.(type) {
	case Mining:
		hp := k * m.HashpriceUSDPerPHDay()
		inv.BreakevenHashpriceUSDPerPHDay = &hp
	case Leasing:
		rate, util := k*p.RateUSDPerGPUHour, k*p.Utilization
		inv.BreakevenGPURateUSDPerHour = &rate
		if util <= 1 {
			inv.BreakevenUtilization = &util
		} else {
			inv.BreakevenNote = fmt.Sprintf("at $%.2f/GPU-hour even 100%% utilisation does not repay the capital", p.RateUSDPerGPUHour)
		}
	case Colocation:
		rate := k * p.RateUSDPerKWMonth
		inv.BreakevenLeaseUSDPerKWMonth = &rate
	}
}

// checkFinite refuses a result that overflowed, naming the figure.
func (inv Investment) checkFinite() error {
	vals := map[string]float64{"capex": inv.CapexUSDPerMW, "npv": inv.NPVUSDPerMW}
	for _, y := range inv.Years {
		vals[fmt.Sprintf("year %d revenue", y.Year)] = y.RevenueUSDPerMW
		vals[fmt.Sprintf("year %d cash", y.Year)] = y.EquityCashUSDPerMW
	}
	for what, v := range vals {
		if !finite(v) {
			return fmt.Errorf("%s is %v: an input is out of range (market fees, difficulty, BTC price or a capital term)", what, v)
		}
	}
	return nil
}

// facilityW is the facility power a profile draws as specified.
func facilityW(p Profile) float64 {
	switch p := p.(type) {
	case Mining:
		return p.PowerW * p.PUE
	case Leasing:
		return p.PowerW * p.PUE
	case Colocation:
		return p.ITLoadW * p.PUE
	}
	return 0
}

func kindOf(p Profile) Kind {
	switch p := p.(type) {
	case Mining:
		return KindMining
	case Leasing:
		return KindLeasing
	case Colocation:
		return p.kind()
	}
	return ""
}

// NPVCurve is the profile's NPV per MW of facility power at each power
// price, the other assumptions held: the figure a capital chart draws.
func NPVCurve(p Profile, m Market, a Assumptions, prices []float64) ([]float64, error) {
	base, err := Appraise(p, m, a) // validates, and fixes the horizon and start
	if err != nil {
		return nil, err
	}
	c := capitalOf(p)
	a.Years, a.Start = base.HorizonYears, base.ValuedFrom
	cDay := 0.0
	if !c.Commencement.IsZero() {
		cDay = c.Commencement.Sub(a.Start).Hours() / 24
	}
	o := buildOps(p, m, a, cDay)
	out := make([]float64, len(prices))
	for i, price := range prices {
		a.PowerPrice = price
		_, _, flows, _ := run(o, c, a, cDay, 1)
		out[i] = NPV(a.DiscountRate, flows)
	}
	return out, nil
}
