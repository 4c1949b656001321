package economics

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Plausibility checks: inputs that are legal but probably a mistake. They
// warn, never fail: an operator may mean them.

// SpecWarnings flags likely mistakes in a --miner, --gpu or --colo spec
// (kind "miner", "gpu" or "colo") that parse: a GPU power below the
// catalogue GPU's board power (board power, not the all-in server share,
// was probably given). A rate without a unit does not parse at all.
func SpecWarnings(kind, spec string) []string {
	kv := map[string]string{}
	for part := range strings.SplitSeq(spec, ",") {
		if k, v, ok := strings.Cut(part, "="); ok {
			kv[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	var out []string
	switch kind {
	case "gpu":
		g, found := FindGPU(kv["name"])
		if v, ok := kv["power"]; ok && found {
			if w, err := ParsePower(v); err == nil && g.BoardPowerW > 0 && w < g.BoardPowerW {
				out = append(out, fmt.Sprintf("power %s is below the %s board power of %g W: perwatt wants the all-in share of the server (%g W in the catalogue)", v, g.Name, g.BoardPowerW, g.PowerW))
			}
		}
	}
	return out
}

// MarketWarnings flags a market far from a reference snapshot (the one
// embedded in the binary): difficulty or price off by more than 10× is more
// often a typo than a forecast.
func MarketWarnings(m, ref Market, powerPriceUSDPerKWh float64) []string {
	var out []string
	far := func(what string, v, r float64) {
		if v > 0 && r > 0 && math.Abs(math.Log10(v/r)) > 1 {
			out = append(out, fmt.Sprintf("%s %.4g is %.3g× the %s snapshot's %.4g", what, v, v/r, ref.AsOf.Format(time.DateOnly), r))
		}
	}
	far("difficulty", m.Difficulty, ref.Difficulty)
	far("BTC price", m.BTCPriceUSD, ref.BTCPriceUSD)
	if ref.FeesBTCPerBlock > 0 && m.FeesBTCPerBlock > 100*ref.FeesBTCPerBlock && m.FeesBTCPerBlock > 1 {
		out = append(out, fmt.Sprintf("fees %.4g BTC/block are over 100× the snapshot's %.4g", m.FeesBTCPerBlock, ref.FeesBTCPerBlock))
	}
	if powerPriceUSDPerKWh > 1 {
		out = append(out, fmt.Sprintf("power price $%.4g/kWh is over $1/kWh: a price in $/MWh or cents? ($%.4g/kWh if $/MWh)", powerPriceUSDPerKWh, powerPriceUSDPerKWh/1000))
	}
	return out
}

// PriceGapWarnings flags price intervals longer than an hour: the price is
// held across them, so a file with gaps (or two rows a year apart) is read
// as hours that were never priced.
func PriceGapWarnings(prices []PriceInterval) []string {
	var out []string
	total, gaps := 0.0, 0
	for i, iv := range prices {
		if iv.Hours > 1.0001 {
			gaps++
			if gaps <= 3 {
				out = append(out, fmt.Sprintf("price row %d (%s) is held for %.4g hours until the next row", i+1, iv.Start.Format(time.RFC3339), iv.Hours))
			}
			total += iv.Hours
		}
	}
	if gaps > 3 {
		out = append(out, fmt.Sprintf("%d rows in all span more than an hour (%.0f hours)", gaps, total))
	}
	return out
}
