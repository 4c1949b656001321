package economics

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/perwatt/perwatt/internal/metric"
)

// Table prints the report for people: market first (with its source and age),
// then one row per profile, then the per-MW ratios. JSON keeps full precision;
// the table rounds to what a decision needs.
func (r Report) Table(w io.Writer) error {
	if err := r.Summary(w); err != nil {
		return err
	}
	return r.details(w)
}

// Summary prints the market and one row per profile, without the lease terms
// and the ratio matrix: the short answer that follows a benchmark.
func (r Report) Summary(w io.Writer) error {
	m := r.Market
	fmt.Fprintf(w, "Market: %s, as of %s (%s old)\n", m.Source, m.AsOf.UTC().Format(time.RFC3339), humanAge(time.Duration(m.AgeSeconds*float64(time.Second))))
	height := ""
	if m.Height > 0 {
		height = fmt.Sprintf("height %d, ", m.Height)
	}
	fmt.Fprintf(w, "  difficulty %s, %ssubsidy %g BTC + fees %.4f BTC/block, BTC $%s\n",
		siNumber(m.Difficulty), height, m.SubsidyBTC, m.FeesBTCPerBlock, money(m.BTCPriceUSD, 0))
	fmt.Fprintf(w, "  hashprice $%.2f/PH/day ($%.4f/TH/day), hash value %.4g BTC/PH/day\n",
		m.HashpriceUSDPerPHDay, m.HashpriceUSDPerTHDay, m.HashvalueBTCPerPHDay)
	fmt.Fprintf(w, "Power price: $%.4f/kWh ($%.2f/MWh)\n\n", r.PowerPriceUSDPerKWh, r.PowerPriceUSDPerKWh*1000)

	// Right-aligned numbers, left-aligned names: pad names to one width.
	nw := r.nameWidth()
	left := func(s string) string { return s + strings.Repeat(" ", nw-utf8.RuneCountInString(s)) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, left("profile")+"\tkind\tfacility kW\trevenue $/day\t$/kW/day\tbreakeven $/kWh\trevenue $/W/yr\tnet $/W/yr\tJ/TH\t")
	for _, p := range r.Profiles {
		be, jth := "n/a (tenant pays)", ""
		if p.BreakevenPowerPriceUSDPerKWh != nil {
			be = fmt.Sprintf("%.4f", *p.BreakevenPowerPriceUSDPerKWh)
		}
		if p.JPerTH != nil {
			jth = fmt.Sprintf("%.1f", *p.JPerTH)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%s\t%.3f\t%.3f\t%s\t\n", left(p.Name), p.Kind, kw(p.FacilityPowerW),
			money(p.RevenueUSDPerDay, 2), p.RevenueUSDPerKWDay, be, p.RevenueUSDPerWYear, p.NetUSDPerWYear, jth)
	}
	return tw.Flush()
}

// details prints the lease terms and the per-MW ratio matrix.
func (r Report) details(w io.Writer) error {
	nw := r.nameWidth()
	left := func(s string) string { return s + strings.Repeat(" ", nw-utf8.RuneCountInString(s)) }
	leases := false
	for _, p := range r.Profiles {
		if p.LeaseUSDPerMWITYear == nil {
			continue
		}
		if !leases {
			fmt.Fprintln(w, "\nLease terms (per MW of critical IT):")
			leases = true
		}
		power := "power included"
		if p.PowerPassthrough != nil && *p.PowerPassthrough {
			power = "triple-net (tenant pays power)"
		}
		term := "open-ended"
		if *p.LeaseTermYears > 0 {
			term = fmt.Sprintf("%g years, term average $%.3fM/MW-yr", *p.LeaseTermYears, *p.LeaseAvgUSDPerMWITYear/1e6)
		}
		if p.MarginShare != nil {
			power += fmt.Sprintf("; stated margin %.1f%%", *p.MarginShare*100)
		}
		fmt.Fprintf(w, "  %s: $%.2f/kW-month = $%.3fM/MW-yr in year 1, %+.1f%%/yr, %s; %s\n", p.Name,
			*p.LeaseUSDPerMWITYear/12000, *p.LeaseUSDPerMWITYear/1e6, *p.LeaseEscalatorPerYear*100, term, power)
	}
	if len(r.Profiles) > 1 {
		fmt.Fprintln(w, "\nPer MW of facility power: 10 MW of the row earns as much revenue (net) as N MW of the column")
		fmt.Fprintln(w, "(n/a: one of the two loses money net; blank: a GPU cloud contract is not set beside a colocation lease):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		head := []string{left("10 MW of")}
		for _, p := range r.Profiles {
			head = append(head, p.Name)
		}
		fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
		for _, p := range r.Profiles {
			cells := []string{left(p.Name)}
			for _, o := range r.Profiles {
				cells = append(cells, ratioCell(p, o.Name))
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func (r Report) nameWidth() int {
	nw := len("10 MW of")
	for _, p := range r.Profiles {
		nw = max(nw, utf8.RuneCountInString(p.Name))
	}
	return nw
}

func ratioCell(p Result, versus string) string {
	if p.Name == versus {
		return "10"
	}
	for _, rt := range p.Ratios {
		if rt.Versus == versus {
			net := "n/a"
			if rt.Net != nil {
				net = fmt.Sprintf("%.3g", 10**rt.Net)
			}
			return fmt.Sprintf("%.3g (%s)", 10*rt.Revenue, net)
		}
	}
	return ""
}

// Points are one "economics" point per profile and one "market" point, timed
// at the evaluation; see README.md (InfluxDB schema) for the fields.
func (r Report) Points() []metric.Point {
	m := r.Market
	tags := m.Origins.Tags()
	tags["source"] = SourceToken(m.Source)
	pts := []metric.Point{metric.New("market", tags, map[string]any{
		"source_note": m.Source, "difficulty": m.Difficulty, "btc_price_usd": m.BTCPriceUSD, "subsidy_btc": m.SubsidyBTC,
		"fees_btc_per_block": m.FeesBTCPerBlock, "hashprice_usd_per_ph_day": m.HashpriceUSDPerPHDay,
		"age_s": m.AgeSeconds, "height": m.Height,
	}, r.EvaluatedAt)}
	for _, p := range r.Profiles {
		f := map[string]any{
			"revenue_usd_per_day": p.RevenueUSDPerDay, "facility_power_w": p.FacilityPowerW,
			"revenue_usd_per_kw_day": p.RevenueUSDPerKWDay, "revenue_usd_per_mwh": p.RevenueUSDPerMWh,
			"revenue_usd_per_w_year": p.RevenueUSDPerWYear, "net_usd_per_day": p.NetUSDPerDay,
			"net_usd_per_w_year": p.NetUSDPerWYear, "power_price_usd_per_kwh": r.PowerPriceUSDPerKWh,
		}
		if p.BreakevenPowerPriceUSDPerKWh != nil {
			f["breakeven_power_price_usd_per_kwh"] = *p.BreakevenPowerPriceUSDPerKWh
		}
		if p.BTCPerDay != nil {
			f["btc_per_day"] = *p.BTCPerDay
		}
		if p.JPerTH != nil {
			f["j_per_th"] = *p.JPerTH
		}
		if p.HashrateHS > 0 {
			f["hashrate_hs"] = p.HashrateHS
		}
		pts = append(pts, metric.New("economics", map[string]string{"profile": p.Name, "kind": string(p.Kind)}, f, r.EvaluatedAt))
	}
	return pts
}

// PricePoint is one power price on a revenue/net curve, per MW of facility power.
type PricePoint struct {
	PowerPriceUSDPerKWh float64 `json:"power_price_usd_per_kwh"`
	RevenueUSDPerMWDay  float64 `json:"revenue_usd_per_mw_day"`
	NetUSDPerMWDay      float64 `json:"net_usd_per_mw_day"`
}

// PowerPriceCurve evaluates r's revenue and net per MW-day of facility power
// at each price: revenue does not depend on the price; net falls by the energy
// the operator pays for (none for a triple-net lease, nor where a stated
// margin already holds the power).
func PowerPriceCurve(r Result, prices []float64) []PricePoint {
	perMW := 1e6 / r.FacilityPowerW
	rev := r.RevenueUSDPerDay * perMW
	paidKWh, net0 := 0.0, rev
	if r.BreakevenPowerPriceUSDPerKWh != nil {
		paidKWh = r.EnergyKWhPerDay * perMW
	}
	if r.MarginShare != nil {
		// A stated margin already holds the power: net does not move with the price.
		paidKWh, net0 = 0, r.NetUSDPerDay*perMW
	}
	out := make([]PricePoint, len(prices))
	for i, p := range prices {
		out[i] = PricePoint{PowerPriceUSDPerKWh: p, RevenueUSDPerMWDay: rev, NetUSDPerMWDay: net0 - paidKWh*p}
	}
	return out
}

func kw(w float64) string {
	if w >= 1e6 {
		return fmt.Sprintf("%s", money(w/1000, 0))
	}
	return fmt.Sprintf("%.3f", w/1000)
}

// money formats with thousands separators: 1031139.9 → "1,031,139.90".
func money(v float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func siNumber(v float64) string {
	switch {
	case v >= 1e12:
		return fmt.Sprintf("%.2f T", v/1e12)
	case v >= 1e9:
		return fmt.Sprintf("%.2f G", v/1e9)
	}
	return fmt.Sprintf("%.4g", v)
}

// FormatAge is how old market data is, in the one form every output uses:
// seconds and minutes when fresh, then hours, then days.
func FormatAge(d time.Duration) string { return humanAge(d) }

func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "from the future: " + (-d).Round(time.Second).String()
	case d < 2*time.Hour:
		return d.Round(time.Second).String()
	case d < 72*time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	}
	return fmt.Sprintf("%.0f days", d.Hours()/24)
}

// CrossingPowerPrice is the power price ($/kWh) at which a's and b's net per
// MW of facility power are equal: both fall linearly with the price (by the
// energy each pays for), so they cross once unless parallel. ok is false for
// parallel lines or a crossing below zero.
func CrossingPowerPrice(a, b Result) (usdPerKWh float64, ok bool) {
	ca, cb := PowerPriceCurve(a, []float64{0, 1}), PowerPriceCurve(b, []float64{0, 1})
	ra, rb := ca[0].NetUSDPerMWDay, cb[0].NetUSDPerMWDay
	sa, sb := ra-ca[1].NetUSDPerMWDay, rb-cb[1].NetUSDPerMWDay // USD/MW-day per $/kWh
	if sa == sb {
		return 0, false
	}
	x := (ra - rb) / (sa - sb)
	return x, x >= 0 && finite(x)
}

// BestMiner is the index in r.Profiles of the mining profile with the highest
// net per W at the report's power price, or -1.
func (r Report) BestMiner() int {
	best := -1
	for i, p := range r.Profiles {
		if p.Kind == KindMining && (best < 0 || p.NetUSDPerWYear > r.Profiles[best].NetUSDPerWYear) {
			best = i
		}
	}
	return best
}

// SourceToken is a market source as a short tag value ("offline_snapshot",
// "mempool.space", "cache_of_mempool.space"): the sentence up to its first
// punctuation, so one source is one series however its details read. The
// whole sentence goes in the source_note field.
func SourceToken(source string) string {
	if i := strings.IndexAny(source, ":;,("); i >= 0 {
		source = source[:i]
	}
	t := strings.Join(strings.Fields(strings.ToLower(source)), "_")
	if len(t) > 40 {
		t = t[:40]
	}
	if t == "" {
		return "unknown"
	}
	return t
}
