package economics

import "strings"

// The built-in catalogue: published figures for current hardware and public AI
// deals. Each call builds fresh values, so callers may modify what they get.

// Miners returns current Bitmain ASICs at their nameplate figures (Bitmain
// product pages and launch announcements; wall power at 25 °C ambient).
// Air-cooled units carry PUE 1.0 because their fans are inside the quoted wall
// power; hydro units get 1.05 for the pumps and dry coolers outside the box.
func Miners() []Mining {
	m := func(name string, th, w, pue float64, src string) Mining {
		p := NewMining(name, th*1e12, w)
		p.PUE, p.Source = pue, src
		return p
	}
	return []Mining{
		// 100 TH/s at 3050 W: 30.5 J/TH, the 2021 workhorse still in many fleets.
		m("S19j Pro", 100, 3050, 1.0, "Bitmain Antminer S19j Pro 100T spec"),
		// 200 TH/s at 17.5 J/TH = 3500 W.
		m("S21", 200, 3500, 1.0, "Bitmain Antminer S21 200T spec"),
		// 270 TH/s at 13.5 J/TH = 3645 W.
		m("S21 XP", 270, 3645, 1.0, "Bitmain Antminer S21 XP spec"),
		// 473 TH/s at 12 J/TH = 5676 W.
		m("S21 XP Hydro", 473, 5676, 1.05, "Bitmain Antminer S21 XP Hydro spec"),
		// 580 TH/s at 9.5 J/TH = 5510 W (announced 2024, shipping 2025).
		m("S23 Hydro", 580, 5510, 1.05, "Bitmain Antminer S23 Hydro announcement"),
	}
}

// GPUs returns leased NVIDIA data-centre GPUs. Power is all-in per GPU: the
// whole 8-GPU server's maximum draw divided by 8, because the CPUs, NVSwitches,
// NICs and fans run for the GPUs too. Rates are typical 2025 market prices for
// reserved capacity from GPU clouds; override them with your own.
func GPUs() []Leasing {
	g := func(name string, rate, w, board float64, src string) Leasing {
		p := NewLeasing(name, rate, w)
		p.BoardPowerW, p.Source = board, src
		return p
	}
	return []Leasing{
		// DGX H100: 10.2 kW max / 8 GPUs = 1275 W each; H100 SXM board 700 W,
		// so 575 W per GPU is the server around it.
		g("H100", 2.00, 1275, 700, "DGX H100 10.2 kW / 8; ~$2.00/GPU-h 2025 market"),
		// DGX H200: same 10.2 kW chassis budget / 8 = 1275 W; board 700 W.
		g("H200", 2.50, 1275, 700, "DGX H200 10.2 kW / 8; ~$2.50/GPU-h 2025 market"),
		// DGX B200: 14.3 kW max / 8 = 1787.5 W; B200 board 1000 W.
		g("B200", 4.00, 1787.5, 1000, "DGX B200 14.3 kW / 8; ~$4.00/GPU-h 2025 market"),
	}
}

// Deals returns the public AI deals of bitcoin miners, as leases on the IT
// load they cover. Where a release gives a total over a term, the year-1 rate
// is solved from it (FirstYearRateForContract); the derivations are spelled out
// below and in README.md (Economics). PUE 1.3 and triple-net power are
// assumptions (hyperscale powered-shell leases are normally triple-net), not
// terms of the releases.
func Deals() []Colocation {
	lease := func(name string, totalUSD, years, itMW, esc float64, src string) Colocation {
		return Colocation{Name: name, RateUSDPerKWMonth: FirstYearRateForContract(totalUSD, years, itMW, esc),
			EscalatorPerYear: esc, TermYears: years, ITLoadW: itMW * 1e6, PUE: 1.3,
			PowerPassthrough: true, LoadFactor: 1, Source: src}
	}
	// Hut 8–Fluidstack (River Bend): $7.0B over 15 years for 245 MW of IT with
	// a 3 %/yr escalator. Σ_{k=0..14} 1.03^k = (1.03^15 − 1)/0.03 = 18.5989, so
	// r1 = 7e9 / (12,000 × 245 × 18.5989) = $128.02/kW-month = $1.536M/MW-yr in
	// year 1; the term average is 7e9 / 15 / 245 = $1.905M/MW-yr.
	hut8 := lease("Hut 8–Fluidstack", 7.0e9, 15, 245, 0.03, "Hut 8 release: $7.0B, 15 yr, 245 MW IT, 3%/yr escalator")
	// TeraWulf–Fluidstack (Lake Mariner): ~$3.7B over 10 years for ~200 MW
	// of IT: 3.7e9 / 10 / 200 = $1.85M/MW-yr = $154.17/kW-month, escalator
	// not disclosed so modelled flat.
	wulf := lease("TeraWulf–Fluidstack", 3.7e9, 10, 200, 0, "TeraWulf release: ~$3.7B, 10 yr, ~200 MW IT")
	// Core Scientific–CoreWeave: ~$8.7B over 12-year terms for ~500 MW of IT:
	// 8.7e9 / 12 / 500 = $1.45M/MW-yr = $120.83/kW-month, modelled flat.
	core := lease("Core Scientific–CoreWeave", 8.7e9, 12, 500, 0, "Core Scientific release: ~$8.7B, 12 yr, ~500 MW IT")
	// IREN–Microsoft: $9.7B over 5 years for 200 MW of IT, but IREN runs the
	// GPU cloud itself (and buys ~$5.8B of GPUs for it, not modelled here) and
	// pays for the power: 9.7e9 / 5 / 200 = $9.7M/MW-yr = $808.33/kW-month.
	iren := lease("IREN–Microsoft (GPU cloud)", 9.7e9, 5, 200, 0, "IREN release: $9.7B, 5 yr, 200 MW IT; GPU capex not modelled")
	iren.GPUCloud, iren.PowerPassthrough = true, false
	return []Colocation{hut8, wulf, core, iren}
}

// Catalogue returns every built-in profile: miners, leased GPUs, deals.
func Catalogue() []Profile {
	var out []Profile
	for _, p := range Miners() {
		out = append(out, p)
	}
	for _, p := range GPUs() {
		out = append(out, p)
	}
	for _, p := range Deals() {
		out = append(out, p)
	}
	return out
}

// CatalogueKey folds a name for lookup: "S21 XP", "s21xp" and "S21-XP" match.
func CatalogueKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FindMiner returns the catalogue miner whose name matches, if any.
func FindMiner(name string) (Mining, bool) {
	for _, p := range Miners() {
		if CatalogueKey(p.Name) == CatalogueKey(name) {
			return p, true
		}
	}
	return Mining{}, false
}

// FindGPU returns the catalogue GPU whose name matches, if any.
func FindGPU(name string) (Leasing, bool) {
	for _, p := range GPUs() {
		if CatalogueKey(p.Name) == CatalogueKey(name) {
			return p, true
		}
	}
	return Leasing{}, false
}
