package economics

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Spec strings are how profiles are given on the command line:
//
//	name=S21XP,hashrate=270TH,power=3645W,pool-fee=0.025,uptime=0.95,pue=1.0,pool=fpps
//	name=H100,rate=2.00,power=1275W,utilization=0.7,pue=1.3
//	name=Shell,rate=128/kW-month,escalator=3%,term=15,it=245MW,pue=1.3,power=passthrough
//
// A name from the built-in catalogue supplies every value not given. Errors
// name the key and the bad part so the CLI can print them as one line.

// ParseMiningSpec parses a --miner spec.
func ParseMiningSpec(spec string) (Mining, error) {
	kv, err := splitSpec(spec, append([]string{"name", "hashrate", "power", "pool-fee", "uptime", "pue", "pool"}, capitalKeys...)...)
	if err != nil {
		return Mining{}, err
	}
	p, found := FindMiner(kv["name"])
	if !found {
		if _, ok := kv["hashrate"]; !ok {
			return Mining{}, fmt.Errorf("%q is not in the catalogue, so hashrate= is needed", kv["name"])
		}
		if _, ok := kv["power"]; !ok {
			return Mining{}, fmt.Errorf("%q is not in the catalogue, so power= is needed", kv["name"])
		}
		p = NewMining(kv["name"], 0, 0)
		p.Source = "command line"
	} else if len(kv) > 1 { // as published, it keeps the catalogue's name (one series)
		p.Name = kv["name"]
		p.Source += ", overridden on the command line"
	}
	errs := specErrors{kv: kv}
	set := errs.set
	set("hashrate", ParseHashrate, &p.HashrateHS)
	set("power", ParsePower, &p.PowerW)
	set("pool-fee", parseFraction, &p.PoolFee)
	set("uptime", parseFraction, &p.Uptime)
	set("pue", parseNumber, &p.PUE)
	errs.setCapital(&p.Capital)
	if v, ok := kv["pool"]; ok {
		pm, err := ParsePoolModel(v)
		if err != nil {
			errs.add(fmt.Errorf("pool: %w", err))
		}
		p.Pool = pm
	}
	if err := errors.Join(errs.list...); err != nil {
		return Mining{}, err
	}
	return p, p.Validate()
}

// ParseLeasingSpec parses a --gpu spec.
func ParseLeasingSpec(spec string) (Leasing, error) {
	kv, err := splitSpec(spec, append([]string{"name", "rate", "power", "board-power", "utilization", "pue"}, capitalKeys...)...)
	if err != nil {
		return Leasing{}, err
	}
	p, found := FindGPU(kv["name"])
	if !found {
		for _, k := range []string{"rate", "power"} {
			if _, ok := kv[k]; !ok {
				return Leasing{}, fmt.Errorf("%q is not in the catalogue, so %s= is needed", kv["name"], k)
			}
		}
		p = NewLeasing(kv["name"], 0, 0)
		p.Source = "command line"
	} else {
		if len(kv) > 1 { // as published, it keeps the catalogue's name (one series)
			p.Name = kv["name"]
			p.Source += ", overridden on the command line"
		}
		if _, ok := kv["power"]; ok {
			p.BoardPowerW = 0 // a new all-in figure makes the catalogue's split meaningless
		}
	}
	errs := specErrors{kv: kv}
	set := errs.set
	set("rate", parseMoney, &p.RateUSDPerGPUHour)
	set("power", ParsePower, &p.PowerW)
	set("board-power", ParsePower, &p.BoardPowerW)
	set("utilization", parseFraction, &p.Utilization)
	set("pue", parseNumber, &p.PUE)
	errs.setCapital(&p.Capital)
	if err := errors.Join(errs.list...); err != nil {
		return Leasing{}, err
	}
	return p, p.Validate()
}

// splitSpec splits "k=v,k=v" and rejects unknown, repeated and empty keys.
// name is required.
func splitSpec(spec string, keys ...string) (map[string]string, error) {
	kv := map[string]string{}
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch {
		case !ok:
			return nil, fmt.Errorf("%q is not key=value", part)
		case !slices.Contains(keys, k):
			return nil, fmt.Errorf("unknown key %q (want %s)", k, strings.Join(keys, ", "))
		case v == "":
			return nil, fmt.Errorf("%s has no value", k)
		}
		if _, dup := kv[k]; dup {
			return nil, fmt.Errorf("%s is given twice", k)
		}
		kv[k] = v
	}
	if kv["name"] == "" {
		return nil, errors.New("name= is required")
	}
	return kv, nil
}

var hashUnits = map[string]float64{"h": 1, "kh": 1e3, "mh": 1e6, "gh": 1e9, "th": 1e12, "ph": 1e15, "eh": 1e18}

// ParseHashrate reads "270TH", "270 TH/s", "1.2PH" into H/s. A unit is
// required: a bare number is too easy to get wrong by 10^12.
func ParseHashrate(s string) (float64, error) {
	num, unit := splitUnit(strings.TrimSuffix(strings.TrimSuffix(s, "/s"), "/S"))
	mult, ok := hashUnits[strings.ToLower(unit)]
	if unit == "" {
		return 0, errors.New("no unit (want H, kH, MH, GH, TH, PH or EH)")
	}
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (want H, kH, MH, GH, TH, PH or EH)", unit)
	}
	v, err := parseNumber(num)
	if err != nil {
		return 0, err
	}
	return v * mult, nil
}

// ParsePower reads "3645W", "3.645kW", "10MW" into W. A unit is required.
func ParsePower(s string) (float64, error) {
	num, unit := splitUnit(s)
	var mult float64
	switch strings.ToLower(unit) {
	case "w":
		mult = 1
	case "kw":
		mult = 1e3
	case "mw":
		mult = 1e6
	case "":
		return 0, errors.New("no unit (want W, kW or MW)")
	default:
		return 0, fmt.Errorf("unknown unit %q (want W, kW or MW)", unit)
	}
	v, err := parseNumber(num)
	if err != nil {
		return 0, err
	}
	return v * mult, nil
}

// splitUnit splits "270TH" into "270" and "TH" at the first letter that
// cannot belong to a number (e/E followed by a digit or sign is an exponent).
func splitUnit(s string) (string, string) {
	s = strings.TrimSpace(s)
	for i, r := range s {
		isExp := (r == 'e' || r == 'E') && i > 0 && i+1 < len(s) && strings.ContainsRune("0123456789+-", rune(s[i+1]))
		if (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') && !isExp {
			return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i:])
		}
	}
	return s, ""
}

func parseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !finite(v) {
		return 0, errors.New("not a number")
	}
	return v, nil
}

// ParseFraction reads "0.95" or "95%": the one rule for shares, fees and
// uptimes on every command line.
func ParseFraction(s string) (float64, error) { return parseFraction(s) }

// parseFraction reads "0.95" or "95%".
func parseFraction(s string) (float64, error) {
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		v, err := parseNumber(p)
		return v / 100, err
	}
	return parseNumber(s)
}

// parseMoney reads "2.00" or "$2.00".
func parseMoney(s string) (float64, error) {
	return parseNumber(strings.TrimPrefix(strings.TrimSpace(s), "$"))
}

// specErrors applies "key=value" settings of one spec and collects every bad
// one, so a spec with three mistakes reports all three.
type specErrors struct {
	kv   map[string]string
	list []error
}

// set parses kv[key] into dst when the key is present.
func (e *specErrors) set(key string, parse func(string) (float64, error), dst *float64) {
	v, ok := e.kv[key]
	if !ok {
		return
	}
	f, err := parse(v)
	if err != nil {
		e.add(fmt.Errorf("%s %q: %w", key, v, err))
		return
	}
	*dst = f
}

func (e *specErrors) add(err error) { e.list = append(e.list, err) }
