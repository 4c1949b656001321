package economics

import (
	"fmt"
	"strings"
)

// The built-in catalogue: published figures for current hardware and public AI
// deals. Each call builds fresh values, so callers may modify what they get.

// Miners returns current Bitmain ASICs at their nameplate figures (Bitmain
// product pages and launch announcements; wall power at 25 °C ambient).
// Air-cooled units carry PUE 1.0 because their fans are inside the quoted wall
// power; hydro units get 1.05 for the pumps and dry coolers outside the box.
func Miners() []Mining {
	m := func(name string, th, w, pue, usdPerTH, life float64, src string) Mining {
		p := NewMining(name, th*1e12, w)
		p.PUE, p.Source = pue, src
		p.Capital = minerCapital(usdPerTH, life, pue > 1)
		return p
	}
	return []Mining{
		// 100 TH/s at 3050 W: 30.5 J/TH, the 2021 workhorse still in many fleets.
		m("S19j Pro", 100, 3050, 1.0, 4, 2, "Bitmain Antminer S19j Pro 100T spec"),
		// 200 TH/s at 17.5 J/TH = 3500 W.
		m("S21", 200, 3500, 1.0, 14, 4, "Bitmain Antminer S21 200T spec"),
		// 270 TH/s at 13.5 J/TH = 3645 W.
		m("S21 XP", 270, 3645, 1.0, 20, 4, "Bitmain Antminer S21 XP spec"),
		// 473 TH/s at 12 J/TH = 5676 W.
		m("S21 XP Hydro", 473, 5676, 1.05, 19, 4, "Bitmain Antminer S21 XP Hydro spec"),
		// 580 TH/s at 9.5 J/TH = 5510 W (announced 2024, shipping 2025).
		m("S23 Hydro", 580, 5510, 1.05, 25, 4, "Bitmain Antminer S23 Hydro announcement"),
	}
}

// minerCapital is what a miner costs beyond power. Every figure is an
// estimate (late-2025 list and secondary-market prices, industry rules of
// thumb), not a published term: pass your own quotes with capex-per-th= etc.
func minerCapital(usdPerTH, life float64, hydro bool) Capital {
	fitOut, src := 300_000.0, "estimates, late 2025: $%g/TH (list/secondary prices), %g-year life, 5%% salvage, $0.3M/MW air-cooled site build, $3/kW-month non-power opex"
	if hydro {
		fitOut, src = 500_000, "estimates, late 2025: $%g/TH (list/secondary prices), %g-year life, 5%% salvage, $0.5M/MW hydro site build (dry coolers, pumps), $3/kW-month non-power opex"
	}
	return Capital{CapexUSDPerTH: usdPerTH, FitOutUSDPerMWIT: fitOut, LifeYears: life, SalvageShare: 0.05,
		OpexUSDPerKWMonth: 3, Source: fmt.Sprintf(src, usdPerTH, life)}
}

// GPUs returns leased NVIDIA data-centre GPUs. Power is all-in per GPU: the
// whole 8-GPU server's maximum draw divided by 8, because the CPUs, NVSwitches,
// NICs and fans run for the GPUs too. Rates are typical 2025 market prices for
// reserved capacity from GPU clouds; override them with your own.
func GPUs() []Leasing {
	g := func(name string, rate, w, board, capex float64, src string) Leasing {
		p := NewLeasing(name, rate, w)
		p.BoardPowerW, p.Source = board, src
		p.Capital = Capital{CapexUSDPerUnit: capex, FitOutUSDPerMWIT: DataHallUSDPerMWIT, LifeYears: 5, SalvageShare: 0.10,
			OpexShareOfRevenue: 0.10, Source: fmt.Sprintf("estimates, late 2025: $%s per GPU all-in (server, network, storage), "+
				"5-year life, 10%% salvage, 10%% of revenue for staff, support and software; data hall %s", money(capex, 0), dataHallSource)}
		return p
	}
	return []Leasing{
		// DGX H100: 10.2 kW max / 8 GPUs = 1275 W each; H100 SXM board 700 W,
		// so 575 W per GPU is the server around it.
		g("H100", 2.00, 1275, 700, 35_000, "DGX H100 10.2 kW / 8; ~$2.00/GPU-h 2025 market"),
		// DGX H200: same 10.2 kW chassis budget / 8 = 1275 W; board 700 W.
		g("H200", 2.50, 1275, 700, 40_000, "DGX H200 10.2 kW / 8; ~$2.50/GPU-h 2025 market"),
		// DGX B200: 14.3 kW max / 8 = 1787.5 W; B200 board 1000 W.
		g("B200", 4.00, 1787.5, 1000, 50_000, "DGX B200 14.3 kW / 8; ~$4.00/GPU-h 2025 market"),
	}
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
