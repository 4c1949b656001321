package economics

import (
	"encoding/json"
	"math"
	"testing"

	"pgregory.net/rapid"
)

func genMarket(t *rapid.T) Market {
	h := rapid.Int64Range(0, 2_000_000).Draw(t, "height")
	return Market{
		Difficulty:      rapid.Float64Range(1e9, 1e16).Draw(t, "difficulty"),
		BTCPriceUSD:     rapid.Float64Range(100, 1e6).Draw(t, "price"),
		Height:          h,
		SubsidyBTC:      SubsidyBTC(h),
		FeesBTCPerBlock: rapid.Float64Range(0, 5).Draw(t, "fees"),
		Source:          "rapid",
	}
}

func genMiner(t *rapid.T) Mining {
	return Mining{Name: "m",
		HashrateHS: rapid.Float64Range(1e6, 1e18).Draw(t, "hashrate"),
		PowerW:     rapid.Float64Range(1, 1e7).Draw(t, "power"),
		PoolFee:    rapid.Float64Range(0, 0.1).Draw(t, "fee"),
		Uptime:     rapid.Float64Range(0.01, 1).Draw(t, "uptime"),
		PUE:        rapid.Float64Range(1, 2).Draw(t, "pue"),
		Pool:       rapid.SampledFrom([]PoolModel{FPPS, PPS}).Draw(t, "pool"),
	}
}

func relEq(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func TestRevenueLinearInHashrate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, p := genMarket(t), genMiner(t)
		k := rapid.Float64Range(0.001, 1000).Draw(t, "k")
		q := p
		q.HashrateHS *= k
		if !relEq(q.BTCPerDay(m), k*p.BTCPerDay(m)) {
			t.Fatalf("BTC/day(%g×H) = %g, want %g", k, q.BTCPerDay(m), k*p.BTCPerDay(m))
		}
	})
}

func TestHalvingHalvesSubsidyPart(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, p := genMarket(t), genMiner(t)
		// 50 BTC = 2^8 × 19,531,250 sat halves exactly for eight halvings; later
		// ones truncate to whole satoshis, as consensus does.
		m.Height = rapid.Int64Range(0, 7*HalvingInterval+HalvingInterval-1).Draw(t, "h")
		m.SubsidyBTC = SubsidyBTC(m.Height)
		after := m
		after.Height += HalvingInterval
		after.SubsidyBTC = SubsidyBTC(after.Height)
		subsidyOnly := func(x Market) Market { x.FeesBTCPerBlock = 0; return x }
		feesOnly := func(x Market) Market { x.SubsidyBTC = 0; return x }
		if !relEq(p.BTCPerDay(subsidyOnly(after)), p.BTCPerDay(subsidyOnly(m))/2) {
			t.Fatalf("subsidy part %g after halving, want %g", p.BTCPerDay(subsidyOnly(after)), p.BTCPerDay(subsidyOnly(m))/2)
		}
		if p.BTCPerDay(feesOnly(after)) != p.BTCPerDay(feesOnly(m)) {
			t.Fatal("the fee part changed at a halving")
		}
		if !relEq(p.BTCPerDay(after), p.BTCPerDay(subsidyOnly(after))+p.BTCPerDay(feesOnly(after))) {
			t.Fatal("BTC/day is not subsidy part + fee part")
		}
	})
}

func TestPoolFeeAndUptimeMultiply(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, p := genMarket(t), genMiner(t)
		bare := p
		bare.PoolFee, bare.Uptime = 0, 1
		if want := bare.BTCPerDay(m) * (1 - p.PoolFee) * p.Uptime; !relEq(p.BTCPerDay(m), want) {
			t.Fatalf("BTC/day %g, want %g", p.BTCPerDay(m), want)
		}
	})
}

func TestBreakevenPriceZeroesNet(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, p := genMarket(t), genMiner(t)
		r := p.evaluate(m, 0)
		at := p.evaluate(m, *r.BreakevenPowerPriceUSDPerKWh)
		if math.Abs(at.NetUSDPerDay) > 1e-9*r.RevenueUSDPerDay {
			t.Fatalf("net at breakeven %g of revenue %g", at.NetUSDPerDay, r.RevenueUSDPerDay)
		}
		// Per-watt figures do not depend on how many identical devices there are.
		q := p
		q.HashrateHS, q.PowerW = 10*p.HashrateHS, 10*p.PowerW
		if !relEq(q.evaluate(m, 0.05).NetUSDPerWYear, p.evaluate(m, 0.05).NetUSDPerWYear) {
			t.Fatal("net per watt changed with fleet size")
		}
	})
}

// Whatever valid profiles and market, the report encodes as JSON (no NaN or
// Inf) and every per-watt figure is consistent with revenue/day.
func TestReportAlwaysEncodes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMarket(t)
		if rapid.Bool().Draw(t, "zero reward") {
			m.SubsidyBTC, m.FeesBTCPerBlock = 0, 0
		}
		miner := genMiner(t)
		gpu := Leasing{Name: "g", RateUSDPerGPUHour: rapid.Float64Range(0.01, 50).Draw(t, "rate"),
			PowerW: rapid.Float64Range(100, 5000).Draw(t, "w"), Utilization: rapid.Float64Range(0.01, 1).Draw(t, "u"),
			PUE: rapid.Float64Range(1, 3).Draw(t, "pue")}
		colo := Colocation{Name: "c", RateUSDPerKWMonth: rapid.Float64Range(1, 2000).Draw(t, "kwmo"),
			EscalatorPerYear: rapid.Float64Range(0, 0.1).Draw(t, "esc"), TermYears: rapid.Float64Range(0, 30).Draw(t, "term"),
			ITLoadW: rapid.Float64Range(1e3, 1e9).Draw(t, "it"), PUE: rapid.Float64Range(1, 2).Draw(t, "cpue"),
			PowerPassthrough: rapid.Bool().Draw(t, "nnn"), LoadFactor: rapid.Float64Range(0.1, 1).Draw(t, "lf")}
		r, err := Evaluate(m, rapid.Float64Range(0, 1).Draw(t, "price"), []Profile{miner, gpu, colo}, m.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("does not encode: %v", err)
		}
		for _, p := range r.Profiles {
			if !relEq(p.RevenueUSDPerWYear, p.RevenueUSDPerDay*365/p.FacilityPowerW) && p.RevenueUSDPerDay != 0 {
				t.Fatalf("%s: $/W/yr inconsistent", p.Name)
			}
		}
	})
}
