package economics

import "time"

// DataHallUSDPerMWIT is the cost of an AI data hall per MW of critical IT
// load: the midpoint of the $8–10M/MW "total project cost" TeraWulf gave for
// its Fluidstack halls (release, 2025-08-14). Other operators publish no
// figure, so the same midpoint stands in for them and is labelled an estimate.
const DataHallUSDPerMWIT = 9e6

const dataHallSource = "$9M/MW of IT (midpoint of TeraWulf's published $8–10M/MW, 2025-08-14)"

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Deals returns the public AI deals of bitcoin miners as signed, each valued
// from its signing date. Where a release gives a total over a term, the
// year-1 rate is solved from it (FirstYearRateForContract). PUE 1.3 is an
// assumption throughout (hyperscale halls quote IT load, not facility power).
// Figures marked "estimate" are not in the releases; README.md (Economics)
// spells out each derivation.
func Deals() []Colocation {
	lease := func(name string, totalUSD, years, itMW, esc float64, src string) Colocation {
		return Colocation{Name: name, RateUSDPerKWMonth: FirstYearRateForContract(totalUSD, years, itMW, esc),
			EscalatorPerYear: esc, TermYears: years, ITLoadW: itMW * 1e6, PUE: 1.3,
			PowerPassthrough: true, LoadFactor: 1, Source: src}
	}

	// Hut 8–Fluidstack (River Bend, Louisiana; release 2025-12-17): $7.0B
	// over a 15-year triple-net base term for 245 MW of IT, Google backstop;
	// $6.9B of cumulative NOI over the term, so the NOI margin is 6.9/7.0 =
	// 98.6 %. The release gives no escalator: 3 %/yr is assumed, so
	// r1 = 7e9 / (12,000 × 245 × Σ_{k<15} 1.03^k = 18.5989) = $128.02/kW-month.
	// First hall in Q2 2027 (commencement 2027-06-30 taken), the rest through
	// 2027 (6-month ramp, estimate). Project financing up to 85 % of cost
	// (J.P. Morgan, Goldman Sachs); rate and tenor are estimates.
	hut8 := lease("Hut 8–Fluidstack", 7.0e9, 15, 245, 0.03,
		"Hut 8 release 2025-12-17: $7.0B, 15 yr NNN, 245 MW IT, NOI $6.9B; escalator 3%/yr assumed")
	hut8.Capital = Capital{FitOutUSDPerMWIT: DataHallUSDPerMWIT, LifeYears: 20, Margin: 6.9 / 7.0,
		DebtShare: 0.85, DebtRate: 0.07, DebtTermYears: 15,
		Signed: date(2025, 12, 17), Commencement: date(2027, 6, 30), RampMonths: 6,
		Source: "published: NOI $6.9B of $7.0B, up to 85% loan-to-cost, first hall Q2 2027; estimates: fit-out " + dataHallSource +
			", 7% debt over 15 yr, 6-month ramp, 20-year building life"}

	// TeraWulf–Fluidstack (Lake Mariner, New York; release 2025-08-14): two
	// 10-year leases, ~$3.7B for 200+ MW of IT, "modified gross leases with
	// annual escalators" (rate not published: 3 %/yr assumed), site NOI
	// margin ~85 %, project cost $8–10M/MW. 40 MW in H1 2026 and the full
	// 200 MW by year-end 2026: commencement 2026-06-30 at 20 %, ramping over 6
	// months. r1 = 3.7e9 / (12,000 × 200 × 11.4639) = $134.48/kW-month.
	wulf := lease("TeraWulf–Fluidstack", 3.7e9, 10, 200, 0.03,
		"TeraWulf release 2025-08-14: ~$3.7B, 10 yr, 200+ MW IT, modified gross, annual escalators (3%/yr assumed), NOI ~85%")
	wulf.Capital = Capital{FitOutUSDPerMWIT: DataHallUSDPerMWIT, LifeYears: 20, Margin: 0.85,
		Signed: date(2025, 8, 14), Commencement: date(2026, 6, 30), RampMonths: 6, RampStartShare: 0.2,
		Source: "published: NOI margin ~85%, project cost $8–10M/MW (midpoint $9M), 40 MW H1 2026, 200 MW by end-2026; no financing modelled"}

	// Core Scientific–CoreWeave (six sites; releases 2024-06-03 to
	// 2024-10-22): ~$8.7B over 12-year terms for ~500 MW of IT, modelled flat
	// (no escalator published). CoreWeave funds much of the site
	// modifications itself, so Core Scientific's own capex is small: $1.5M/MW
	// of IT and an 80 % margin are estimates; commencement 2025-06-30 with
	// an 18-month ramp (sites came online through 2H 2026) is an estimate.
	core := lease("Core Scientific–CoreWeave", 8.7e9, 12, 500, 0,
		"Core Scientific release 2024-10-22: ~$8.7B, 12 yr, ~500 MW IT; tenant co-funds the build-out")
	core.Capital = Capital{FitOutUSDPerMWIT: 1.5e6, LifeYears: 20, Margin: 0.80,
		Signed: date(2024, 10, 22), Commencement: date(2025, 6, 30), RampMonths: 18,
		Source: "published: $8.7B, 12-year terms, ~500 MW IT, CoreWeave funds the build-out; estimates: operator capex $1.5M/MW, 80% margin, commencement and ramp"}

	// IREN–Microsoft (Childress, Texas; release 2025-11-03): a $9.7B,
	// 5-year GPU cloud contract for 200 MW of IT. IREN buys the GPUs (~$5.8B
	// of GB300 systems from Dell = $29M per MW of IT) and runs them, paying
	// the power; ~85 % EBITDA margin at full ramp, as reported. Deployment in
	// phases through 2026 (commencement 2026-03-31, 9-month ramp, estimates).
	// Microsoft prepays 20 % of the contract, credited in years 3–5 (as
	// reported): cash at signing, lower bills later.
	iren := lease("IREN–Microsoft (GPU cloud)", 9.7e9, 5, 200, 0,
		"IREN release 2025-11-03: $9.7B, 5 yr, 200 MW IT; operator buys ~$5.8B of GPUs (Dell); ~85% EBITDA")
	iren.GPUCloud, iren.PowerPassthrough = true, false
	iren.Capital = Capital{EquipmentUSDPerMWIT: 5.8e9 / 200, FitOutUSDPerMWIT: DataHallUSDPerMWIT, LifeYears: 5, SalvageShare: 0.25, Margin: 0.85,
		PrepaymentShare: 0.20, PrepaymentCreditFromYear: 3,
		Signed: date(2025, 11, 3), Commencement: date(2026, 3, 31), RampMonths: 9,
		Source: "published: $5.8B GPUs for 200 MW, ~85% EBITDA, 5 years, 20% prepaid and credited in years 3–5; estimates: data hall " + dataHallSource +
			", 25% left at year 5 (the hall outlives the GPUs), commencement and ramp"}
	return []Colocation{hut8, wulf, core, iren}
}
