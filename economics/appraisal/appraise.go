package appraisal

import (
	"errors"
	"fmt"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// Use is one way to spend a device's watts, priced. Revenue is always
// there; everything per watt or net of power needs a power reading and is
// nil without one.
type Use struct {
	Name             string  `json:"name"`
	RevenueUSDPerDay float64 `json:"revenue_usd_per_day"`
	// PowerW is the device power this use draws, server overhead included
	// for a GPU, before PUE; FacilityPowerW includes PUE and is the
	// denominator of every per-watt figure.
	PowerW                       *float64 `json:"power_w"`
	FacilityPowerW               *float64 `json:"facility_power_w"`
	RevenueUSDPerWYear           *float64 `json:"revenue_usd_per_w_year"`
	NetUSDPerDay                 *float64 `json:"net_usd_per_day"`
	NetUSDPerWYear               *float64 `json:"net_usd_per_w_year"`
	BreakevenPowerPriceUSDPerKWh *float64 `json:"breakeven_power_price_usd_per_kwh"`
	// MarginUSDPerMWh is the breakeven minus the power price in use: how far
	// above water each MWh is (negative: the device loses money running).
	MarginUSDPerMWh *float64 `json:"margin_usd_per_mwh"`
	// LeaseRateUSDPerGPUHour and LeaseRateSource are set for a lease.
	LeaseRateUSDPerGPUHour float64 `json:"lease_rate_usd_per_gpu_hour,omitempty"`
	LeaseRateSource        string  `json:"lease_rate_source,omitempty"`

	// Profile is the economics profile this use was priced as, so `econ`
	// can put the device beside the catalogue; nil without power.
	Profile economics.Profile `json:"-"`
}

// Appraisal is one device's watts priced both ways.
type Appraisal struct {
	Kind        Kind        `json:"device_kind"`
	ID          string      `json:"device"`
	Model       string      `json:"model"`
	PowerSource PowerSource `json:"power_source"`
	At          time.Time   `json:"at"`

	HashrateHS  float64  `json:"hashrate_hs,omitempty"`
	PowerW      *float64 `json:"power_w"`
	BoardPowerW *float64 `json:"board_power_w,omitempty"`
	JPerTH      *float64 `json:"j_per_th,omitempty"`
	FLOPPerJ    *float64 `json:"flop_per_j,omitempty"`

	PowerPriceUSDPerKWh  float64 `json:"power_price_usd_per_kwh"`
	HashpriceUSDPerTHDay float64 `json:"hashprice_usd_per_th_day"`

	Mining      *Use   `json:"mining"`
	MiningNote  string `json:"mining_note,omitempty"`
	Leasing     *Use   `json:"leasing"`
	LeasingNote string `json:"leasing_note,omitempty"`

	// Best is the use whose watts earn more net of power ("mining" or
	// "leasing"); empty when fewer than one use has a power reading. By is
	// how much more, in USD per W-year, when both uses are priced.
	Best                 string   `json:"best_use,omitempty"`
	BestByNetUSDPerWYear *float64 `json:"best_by_net_usd_per_w_year,omitempty"`
	BelowBreakeven       bool     `json:"below_breakeven"`
	PowerNote            string   `json:"power_note,omitempty"`
}

// Use names, the `use` in field names and in Best.
const (
	UseMining  = "mining"
	UseLeasing = "leasing"
)

// Appraise prices one device's reading at market m and terms t. A reading
// without power is priced for revenue only, with the reason in PowerNote.
func Appraise(m economics.Market, t Terms, r Reading) (Appraisal, error) {
	if err := errors.Join(m.Validate(), t.Validate()); err != nil {
		return Appraisal{}, err
	}
	t = t.WithDefaults()
	a := Appraisal{Kind: r.Kind, ID: r.ID, Model: r.Model, PowerSource: r.PowerSource, At: r.At,
		HashrateHS: r.HashrateHS, PowerPriceUSDPerKWh: t.PowerPriceUSDPerKWh,
		HashpriceUSDPerTHDay: m.HashpriceUSDPerTHDay()}
	if r.PowerW > 0 && r.PowerSource != PowerNone {
		a.PowerW = ptr(r.PowerW)
	} else {
		a.PowerSource = PowerNone
		a.PowerNote = r.PowerNote
		if a.PowerNote == "" {
			a.PowerNote = "no power reading"
		}
	}
	if r.BoardPowerW > 0 {
		a.BoardPowerW = ptr(r.BoardPowerW)
	}

	var err error
	if a.Mining, a.MiningNote, err = mining(m, t, r, &a); err != nil {
		return Appraisal{}, fmt.Errorf("%s %s: %w", r.Kind, r.ID, err)
	}
	if r.Kind == KindGPU {
		if a.Leasing, a.LeasingNote, err = leasing(m, t, r); err != nil {
			return Appraisal{}, fmt.Errorf("%s %s: %w", r.Kind, r.ID, err)
		}
		if r.FLOPS > 0 && r.AILoadW > 0 {
			a.FLOPPerJ = ptr(r.FLOPS / r.AILoadW)
		}
	}
	a.pickBest()
	return a, nil
}

// mining prices the device as an SHA-256d miner at the rate it sustains now
// (uptime 1: the reading already shows what it does).
func mining(m economics.Market, t Terms, r Reading, a *Appraisal) (*Use, string, error) {
	if !(r.HashrateHS > 0) {
		if r.Kind == KindGPU {
			return nil, "no SHA-256d benchmark on this GPU", nil
		}
		return nil, "no hashrate", nil
	}
	p := economics.NewMining(Label(r)+" mining", r.HashrateHS, 1)
	p.PoolFee, p.Pool, p.Uptime, p.PUE = t.PoolFee, t.Pool, 1, t.PUE
	p.Source = "measured " + string(r.PowerSource)
	u := &Use{Name: UseMining, RevenueUSDPerDay: p.BTCPerDay(m) * m.BTCPriceUSD}
	w := r.PowerW
	if r.Kind == KindGPU {
		// A GPU hashes at the power measured during the hash kernel, plus the
		// server around it.
		if !(r.HashPowerW > 0) {
			return u, "no board power measured during the SHA-256d kernel", nil
		}
		w = r.HashPowerW + overhead(t, r)
	} else if a.PowerW == nil {
		return u, a.PowerNote, nil
	}
	p.PowerW = w
	a.JPerTH = ptr(p.JPerTH())
	return u, "", u.price(m, t, p)
}

// leasing prices a GPU as a leased AI device: the lease rate for its model
// times the billed hours, against the board power under compute load (or
// live) plus the server around it.
func leasing(m economics.Market, t Terms, r Reading) (*Use, string, error) {
	l, ok := t.leaseFor(r.Model)
	if !ok {
		return nil, fmt.Sprintf("no lease rate for %q: set economics.lease_rates", r.Model), nil
	}
	u := &Use{Name: UseLeasing, RevenueUSDPerDay: l.rate * 24 * t.Utilization,
		LeaseRateUSDPerGPUHour: l.rate, LeaseRateSource: l.source}
	board := r.AILoadW
	if board == 0 {
		board = r.PowerW
		if r.BoardPowerW > 0 {
			board = r.BoardPowerW
		}
	}
	if !(board > 0) || r.PowerSource == PowerNone && r.AILoadW == 0 {
		return u, "no board power reading for this GPU", nil
	}
	p := economics.NewLeasing(Label(r)+" lease", l.rate, board+overhead(t, r))
	p.BoardPowerW, p.Utilization, p.PUE = board, t.Utilization, t.PUE
	p.Source = "lease rate: " + l.source + "; board power measured + server overhead"
	return u, "", u.price(m, t, p)
}

// Label names a device for people and for the profiles `econ` prints
// beside the catalogue: "this CPU (model)", "GPU 0000:3b:00.0 (model)",
// "rig 10.0.0.7".
func Label(r Reading) string {
	var s string
	switch r.Kind {
	case KindCPU:
		s = "this CPU"
	case KindGPU:
		s = "GPU " + r.ID
	case KindASIC:
		s = "rig " + r.ID
	default:
		s = string(r.Kind) + " " + r.ID
	}
	if r.Model != "" {
		s += " (" + r.Model + ")"
	}
	return s
}

// overhead is the server's power per GPU beyond its board: measured, when
// the wall reading covers the server; else the terms' or the catalogue's.
func overhead(t Terms, r Reading) float64 {
	if r.PowerSource == PowerWall && r.BoardPowerW > 0 {
		return max(r.PowerW-r.BoardPowerW, 0)
	}
	if t.ServerOverheadW > 0 {
		return t.ServerOverheadW
	}
	if l, ok := t.leaseFor(r.Model); ok {
		return l.overhead
	}
	return 0
}

// price fills the per-watt and net figures from the economics package's own
// evaluation, so a device and a catalogue profile are priced by one rule.
func (u *Use) price(m economics.Market, t Terms, p economics.Profile) error {
	rep, err := economics.Evaluate(m, t.PowerPriceUSDPerKWh, []economics.Profile{p}, m.AsOf)
	if err != nil {
		return err
	}
	res := rep.Profiles[0]
	u.Profile = p
	u.RevenueUSDPerDay = res.RevenueUSDPerDay
	u.PowerW, u.FacilityPowerW = ptr(res.DevicePowerW), ptr(res.FacilityPowerW)
	u.RevenueUSDPerWYear = ptr(res.RevenueUSDPerWYear)
	u.NetUSDPerDay, u.NetUSDPerWYear = ptr(res.NetUSDPerDay), ptr(res.NetUSDPerWYear)
	if be := res.BreakevenPowerPriceUSDPerKWh; be != nil {
		u.BreakevenPowerPriceUSDPerKWh = ptr(*be)
		u.MarginUSDPerMWh = ptr((*be - t.PowerPriceUSDPerKWh) * 1000)
	}
	return nil
}

func (a *Appraisal) pickBest() {
	var cands []*Use
	for _, u := range []*Use{a.Mining, a.Leasing} {
		if u != nil && u.NetUSDPerWYear != nil {
			cands = append(cands, u)
		}
	}
	switch len(cands) {
	case 0:
		return
	case 1:
		a.Best = cands[0].Name
	default:
		hi, lo := cands[0], cands[1]
		if *lo.NetUSDPerWYear > *hi.NetUSDPerWYear {
			hi, lo = lo, hi
		}
		a.Best = hi.Name
		a.BestByNetUSDPerWYear = ptr(*hi.NetUSDPerWYear - *lo.NetUSDPerWYear)
	}
	for _, u := range cands {
		if u.Name == a.Best {
			a.BelowBreakeven = *u.NetUSDPerDay < 0
		}
	}
}

func ptr(v float64) *float64 { return &v }
