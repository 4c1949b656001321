package economics

import (
	"errors"
	"fmt"
	"strings"
)

// FindDeal returns the catalogue deal whose name matches ("hut8fluidstack",
// "Hut 8–Fluidstack"), or whose name starts with the given key ("hut8").
func FindDeal(name string) (Colocation, bool) {
	key := CatalogueKey(name)
	if key == "" {
		return Colocation{}, false
	}
	for _, d := range Deals() {
		if k := CatalogueKey(d.Name); k == key || strings.HasPrefix(k, key) {
			return d, true
		}
	}
	return Colocation{}, false
}

// ParseColocationSpec parses a --colo spec:
//
//	name=Shell,rate=128/kW-month,escalator=3%,term=15,it=245MW,pue=1.3,power=passthrough
//
// rate is $/kW-month of critical IT ("128/kW-month") or $/MW-year
// ("1.9M/MW-year"), the unit required; it defaults to 1 MW, pue to 1.3, power to passthrough
// (triple-net), load-factor (used when power is included) to 1.
func ParseColocationSpec(spec string) (Colocation, error) {
	kv, err := splitSpec(spec, append([]string{"name", "rate", "escalator", "term", "it", "pue", "power", "load-factor", "gpu-cloud"}, capitalKeys...)...)
	if err != nil {
		return Colocation{}, err
	}
	p, found := FindDeal(kv["name"])
	if !found {
		if _, ok := kv["rate"]; !ok {
			return Colocation{}, fmt.Errorf("%q is not in the catalogue, so rate= is needed", kv["name"])
		}
		p = Colocation{ITLoadW: 1e6, PUE: DefaultLeasingPUE, PowerPassthrough: true, LoadFactor: 1, Source: "command line"}
	} else if len(kv) > 1 {
		p.Source += ", overridden on the command line"
	}
	if !found || len(kv) > 1 {
		// A catalogue entry taken as published keeps its own name, so
		// "hut8" and "Hut 8–Fluidstack" are one series, not two.
		p.Name = kv["name"]
	}
	errs := specErrors{kv: kv}
	set := errs.set
	set("rate", ParseLeaseRate, &p.RateUSDPerKWMonth)
	set("escalator", parseFraction, &p.EscalatorPerYear)
	set("term", parseNumber, &p.TermYears)
	set("it", ParsePower, &p.ITLoadW)
	set("pue", parseNumber, &p.PUE)
	set("load-factor", parseFraction, &p.LoadFactor)
	errs.setCapital(&p.Capital)
	if v, ok := kv["gpu-cloud"]; ok {
		switch strings.ToLower(v) {
		case "yes", "true", "1":
			p.GPUCloud = true
		case "no", "false", "0":
			p.GPUCloud = false
		default:
			errs.add(fmt.Errorf("gpu-cloud %q: want yes or no", v))
		}
	}
	if v, ok := kv["power"]; ok {
		switch strings.ToLower(v) {
		case "passthrough", "pass-through", "triple-net", "nnn":
			p.PowerPassthrough = true
		case "included", "gross":
			p.PowerPassthrough = false
		default:
			errs.add(fmt.Errorf("power %q: want passthrough (triple-net, the tenant pays) or included", v))
		}
	}
	if err := errors.Join(errs.list...); err != nil {
		return Colocation{}, err
	}
	return p, p.Validate()
}

// ParseLeaseRate reads a lease rate into $/kW-month: "$128/kW-month",
// "1.9M/MW-year", "1900000/MW-yr". K and M scale the number; the unit is
// required.
func ParseLeaseRate(s string) (float64, error) {
	num, unit, hasUnit := strings.Cut(strings.TrimPrefix(strings.TrimSpace(s), "$"), "/")
	num = strings.TrimSpace(num)
	mult := 1.0
	switch {
	case strings.HasSuffix(num, "M"), strings.HasSuffix(num, "m"):
		mult, num = 1e6, num[:len(num)-1]
	case strings.HasSuffix(num, "K"), strings.HasSuffix(num, "k"):
		mult, num = 1e3, num[:len(num)-1]
	}
	v, err := parseNumber(num)
	if err != nil {
		return 0, err
	}
	v *= mult
	if !hasUnit {
		// As for hashrate and power: 1.9 could be $/kW-month or $1.9M/MW-year.
		return 0, errors.New("no unit (want kW-month or MW-year, e.g. 128/kW-month or 1.9M/MW-year)")
	}
	switch strings.NewReplacer("-", "", " ", "", "_", "").Replace(strings.ToLower(unit)) {
	case "kwmonth", "kwmo", "kwm":
		return v, nil
	case "mwyear", "mwyr", "mwy":
		return USDPerKWMonthFromMWYear(v), nil
	}
	return 0, fmt.Errorf("unknown unit %q (want kW-month or MW-year)", unit)
}
