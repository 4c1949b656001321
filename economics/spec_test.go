package economics

import (
	"strings"
	"testing"
)

func TestParseMiningSpec(t *testing.T) {
	p, err := ParseMiningSpec("name=S21XP,hashrate=270TH,power=3645W")
	if err != nil {
		t.Fatal(err)
	}
	// Catalogue name matched ("S21XP" ~ "S21 XP"); defaults filled in.
	want := Mining{Name: "S21XP", HashrateHS: 270e12, PowerW: 3645, PoolFee: 0.025, Uptime: 0.95, PUE: 1, Pool: FPPS,
		Capital: Miners()[2].Capital}
	p.Source = ""
	if p != want {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
	p, err = ParseMiningSpec("name=rig7, hashrate=1.2PH/s, power=16.2kW, pool-fee=1%, uptime=99%, pue=1.1, pool=PPS")
	if err != nil {
		t.Fatal(err)
	}
	want = Mining{Name: "rig7", HashrateHS: 1.2e15, PowerW: 16200, PoolFee: 0.01, Uptime: 0.99, PUE: 1.1, Pool: PPS, Source: "command line"}
	if p != want {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
	// Catalogue lookup alone.
	p, err = ParseMiningSpec("name=S23 Hydro")
	if err != nil || p.HashrateHS != 580e12 || p.PowerW != 5510 {
		t.Errorf("catalogue lookup: %+v, %v", p, err)
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		spec, want string
		gpu        bool
	}{
		{spec: "name=x,hashrate=270TX,power=3645W", want: `hashrate "270TX": unknown unit "TX"`},
		{spec: "name=x,hashrate=270,power=3645W", want: `hashrate "270": no unit`},
		{spec: "name=x,hashrate=270TH,power=-3645W", want: "power must be positive"},
		{spec: "name=x,hashrate=270TH,power=3645Wh", want: `power "3645Wh": unknown unit "Wh"`},
		{spec: "name=x,hashrte=270TH,power=3645W", want: `unknown key "hashrte"`},
		{spec: "name=x,hashrate=270TH", want: "power= is needed"},
		{spec: "hashrate=270TH,power=1W", want: "name= is required"},
		{spec: "name=x,hashrate=270TH,power=1W,pool=solo", want: `unknown pool model "solo"`},
		{spec: "name=x,hashrate=270TH,power=1W,uptime", want: `"uptime" is not key=value`},
		{spec: "name=x,hashrate=270TH,power=1W,power=2W", want: "power is given twice"},
		{spec: "name=H100,utilization=1.2", want: "utilization must be above 0 and at most 1, got 1.2", gpu: true},
		{spec: "name=A100,rate=1.1", want: "power= is needed", gpu: true},
		{spec: "name=x,rate=abc,power=1kW", want: `rate "abc": not a number`, gpu: true},
	} {
		var err error
		if tc.gpu {
			_, err = ParseLeasingSpec(tc.spec)
		} else {
			_, err = ParseMiningSpec(tc.spec)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.spec, err, tc.want)
		}
	}
}

func TestParseUnits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"1H", 1}, {"2kH", 2e3}, {"3MH/s", 3e6}, {"4 GH", 4e9}, {"270TH", 270e12}, {"1.5PH", 1.5e15}, {"0.9EH", 0.9e18}, {"1e3TH", 1e15},
	} {
		if got, err := ParseHashrate(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseHashrate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want float64
	}{{"3645W", 3645}, {"3.645kW", 3645}, {"10 MW", 1e7}} {
		if got, err := ParsePower(tc.in); err != nil || got != tc.want {
			t.Errorf("ParsePower(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseMiningSpec(f *testing.F) {
	for _, s := range []string{"name=S21XP,hashrate=270TH,power=3645W", "name=x,hashrate=1e3EH,power=1MW,pool-fee=2%", "name=,=,", "name=S19jPro,uptime=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := ParseMiningSpec(spec)
		if err == nil {
			if verr := p.Validate(); verr != nil {
				t.Fatalf("accepted invalid profile %+v: %v", p, verr)
			}
		}
	})
}

func TestParseColocationSpec(t *testing.T) {
	p, err := ParseColocationSpec("name=Shell,rate=1.8M/MW-year,escalator=3%,term=15,it=100MW,pue=1.25,power=included,load-factor=0.8")
	if err != nil {
		t.Fatal(err)
	}
	// 1,800,000 $/MW-yr / 12,000 = $150/kW-month.
	want := Colocation{Name: "Shell", RateUSDPerKWMonth: 150, EscalatorPerYear: 0.03, TermYears: 15, ITLoadW: 100e6,
		PUE: 1.25, LoadFactor: 0.8, Source: "command line"}
	if p != want {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
	p, err = ParseColocationSpec("name=hut8")
	if err != nil || !near(p.AverageUSDPerMWYear(), 7e9/15/245) {
		t.Errorf("catalogue deal: %+v, %v", p, err)
	}
	for spec, want := range map[string]string{
		"name=x,rate=128/kW-week":              `unknown unit "kW-week"`,
		"name=x,rate=1.9":                      "no unit",
		"name=x":                               "rate= is needed",
		"name=x,rate=128/kW-month,power=maybe": `power "maybe"`,
		"name=x,rate=128/kW-month,it=-1MW":     "it-load must be positive",
		"name=x,rate=128/kW-month,term=99":     "term must be from 0 to 50",
	} {
		if _, err := ParseColocationSpec(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", spec, err, want)
		}
	}
}

func FuzzReadPriceCSV(f *testing.F) {
	for _, s := range []string{
		"timestamp,usd_per_mwh\n2026-07-06T00:00:00-05:00,22.5\n2026-07-06T01:00:00-05:00,-3\n",
		"# c\n2026-07-06 00:00,1\n2026-07-06 00:15,2\n",
		"2026-07-06T00:00:00Z,1,2\n\"unterminated\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ReadPriceCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			return
		}
		for i, iv := range p {
			if !(iv.Hours > 0) || !finite(iv.USDPerMWh) || i > 0 && !iv.Start.After(p[i-1].Start) {
				t.Fatalf("accepted bad interval %d: %+v", i, iv)
			}
		}
	})
}

func TestCapitalSpecKeys(t *testing.T) {
	c, err := ParseColocationSpec("name=Shell,rate=100/kW-month,term=5,fit-out=9M,life=20,margin=85%,debt=60%,debt-rate=8%,debt-term=10," +
		"commencement=2027-06-30,ramp=6,ramp-start=20%,prepayment=20%,prepayment-from=3,gpu-cloud=yes")
	if err != nil {
		t.Fatal(err)
	}
	k := c.Capital
	if k.FitOutUSDPerMWIT != 9e6 || k.LifeYears != 20 || k.Margin != 0.85 || k.DebtShare != 0.6 || k.DebtTermYears != 10 ||
		k.Commencement.Format("2006-01-02") != "2027-06-30" || k.RampMonths != 6 || k.RampStartShare != 0.2 ||
		k.PrepaymentShare != 0.2 || k.PrepaymentCreditFromYear != 3 || !c.GPUCloud || c.kind() != KindGPUCloud {
		t.Errorf("capital %+v gpu-cloud %v", k, c.GPUCloud)
	}
	_, err = ParseMiningSpec("name=S21 XP,capex-per-th=x,ramp=1.5,commencement=June")
	for _, want := range []string{"capex-per-th", "ramp", "commencement"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v lacks %q", err, want)
		}
	}
}

// A catalogue entry named loosely and taken as published keeps the
// catalogue's name, so its points join the catalogue's series.
func TestCatalogueEntryKeepsItsName(t *testing.T) {
	c, err := ParseColocationSpec("name=hut8")
	if d, _ := FindDeal("hut8"); err != nil || c.Name != d.Name {
		t.Errorf("--colo name=hut8: name %q, want %q (%v)", c.Name, d.Name, err)
	}
	m, err := ParseMiningSpec("name=s21xp")
	if want, _ := FindMiner("s21xp"); err != nil || m.Name != want.Name {
		t.Errorf("--miner name=s21xp: name %q, want %q (%v)", m.Name, want.Name, err)
	}
	g, err := ParseLeasingSpec("name=h100")
	if want, _ := FindGPU("h100"); err != nil || g.Name != want.Name {
		t.Errorf("--gpu name=h100: name %q, want %q (%v)", g.Name, want.Name, err)
	}
	// Overridden, it is the operator's own profile and takes the given name.
	if c, _ := ParseColocationSpec("name=hut8,pue=1.2"); c.Name != "hut8" {
		t.Errorf("overridden deal named %q", c.Name)
	}
}
