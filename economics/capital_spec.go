package economics

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// capitalKeys are the spec keys every profile kind accepts for its capital
// terms, e.g. --miner name=S21 XP,capex-per-th=18,life=4,salvage=5%,debt=50%,debt-rate=9%,debt-term=3
//
//	capex=N         $ per unit (miner, or GPU all-in)   capex-per-th=N  $ per TH (miners)
//	fit-out=N       $ per MW of IT (9M)                 equipment=N     $ per MW of IT
//	life=Y          years                               salvage=F       share of capex at end of life
//	opex=N          $/kW-month, non-power               opex-share=F    share of revenue
//	hosting=N       $/kWh on top of power               margin=F        stated NOI/EBITDA margin
//	debt=F debt-rate=F debt-term=Y                      financing
//	commencement=YYYY-MM-DD ramp=MONTHS ramp-start=F    when revenue starts and how it ramps
//	prepayment=F prepayment-from=Y                      share of a lease prepaid, credited from lease year Y
var capitalKeys = []string{"capex", "capex-per-th", "fit-out", "equipment", "life", "salvage", "opex", "opex-share",
	"hosting", "margin", "debt", "debt-rate", "debt-term", "commencement", "ramp", "ramp-start", "prepayment", "prepayment-from"}

// setCapital applies the capital keys present in e.kv to c.
func (e *specErrors) setCapital(c *Capital) {
	before := *c
	e.set("capex", parseAmount, &c.CapexUSDPerUnit)
	e.set("capex-per-th", parseAmount, &c.CapexUSDPerTH)
	e.set("fit-out", parseAmount, &c.FitOutUSDPerMWIT)
	e.set("equipment", parseAmount, &c.EquipmentUSDPerMWIT)
	e.set("life", parseNumber, &c.LifeYears)
	e.set("salvage", parseFraction, &c.SalvageShare)
	e.set("opex", parseMoney, &c.OpexUSDPerKWMonth)
	e.set("opex-share", parseFraction, &c.OpexShareOfRevenue)
	e.set("hosting", parseMoney, &c.HostingUSDPerKWh)
	e.set("margin", parseFraction, &c.Margin)
	e.set("debt", parseFraction, &c.DebtShare)
	e.set("debt-rate", parseFraction, &c.DebtRate)
	e.set("ramp-start", parseFraction, &c.RampStartShare)
	e.set("prepayment", parseFraction, &c.PrepaymentShare)
	var term, ramp, from float64
	if e.has("prepayment-from") {
		e.set("prepayment-from", parseWhole, &from)
		c.PrepaymentCreditFromYear = int(from)
	}
	if e.has("debt-term") {
		term = float64(c.DebtTermYears)
		e.set("debt-term", parseWhole, &term)
		c.DebtTermYears = int(term)
	}
	if e.has("ramp") {
		e.set("ramp", parseWhole, &ramp)
		c.RampMonths = int(ramp)
	}
	if v, ok := e.kv["commencement"]; ok {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			e.add(fmt.Errorf("commencement %q: want a date as YYYY-MM-DD", v))
		}
		c.Commencement = t
	}
	if *c != before {
		if c.Source == "" {
			c.Source = "command line"
		} else {
			c.Source += "; overridden on the command line"
		}
	}
}

func (e *specErrors) has(key string) bool { _, ok := e.kv[key]; return ok }

// parseAmount reads dollars with an optional K, M or B: "2500", "$9M", "1.5m".
func parseAmount(s string) (float64, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "$")
	mult := 1.0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult, s = 1e3, s[:n-1]
		case 'm', 'M':
			mult, s = 1e6, s[:n-1]
		case 'b', 'B':
			mult, s = 1e9, s[:n-1]
		}
	}
	v, err := parseNumber(s)
	return v * mult, err
}

func parseWhole(s string) (float64, error) {
	v, err := parseNumber(s)
	if err == nil && v != math.Trunc(v) {
		return 0, fmt.Errorf("want a whole number")
	}
	return v, err
}
