package economics

import (
	"errors"
	"fmt"
	"time"
)

// AdvicePolicy says when the live advisor tells a mining device to stop.
// The rule is CurtailPays, the one `econ curtail` uses; hysteresis and the
// minimum run and stop times keep the advice from flapping with every
// price tick of a real-time market.
type AdvicePolicy struct {
	// DRCreditUSDPerMWh is what shedding one MW for one hour earns from a
	// demand-response programme.
	DRCreditUSDPerMWh float64
	// HysteresisUSDPerMWh widens the rule on both sides: a running device
	// stops only when the price is this far past the switch point, a
	// stopped one restarts only when it is this far back below it.
	HysteresisUSDPerMWh float64
	// MinRun and MinStop hold a device in its state for at least this long
	// after the advice changed.
	MinRun, MinStop time.Duration
}

// Validate reports every problem with p at once.
func (p AdvicePolicy) Validate() error {
	var errs []error
	if !(p.DRCreditUSDPerMWh >= 0) || !finite(p.DRCreditUSDPerMWh) {
		errs = append(errs, fmt.Errorf("demand-response credit %v USD/MWh: must not be negative", p.DRCreditUSDPerMWh))
	}
	if !(p.HysteresisUSDPerMWh >= 0) || !finite(p.HysteresisUSDPerMWh) {
		errs = append(errs, fmt.Errorf("hysteresis %v USD/MWh: must not be negative", p.HysteresisUSDPerMWh))
	}
	if p.MinRun < 0 || p.MinStop < 0 {
		errs = append(errs, fmt.Errorf("minimum run %s and stop %s: must not be negative", p.MinRun, p.MinStop))
	}
	return errors.Join(errs...)
}

// AdviceInput is one device as the advisor sees it.
type AdviceInput struct {
	ID string
	// BreakevenUSDPerMWh is the power price at which the device's revenue
	// just pays for its facility power.
	BreakevenUSDPerMWh float64
	// FacilityPowerW is what the device draws, PUE included: the load shed
	// when it stops.
	FacilityPowerW float64
	// Leased devices (GPUs under an AI lease) are the site's "front": they
	// are always advised to run, whatever the price.
	Leased bool
}

// Advice values and the reasons given with them.
const (
	AdviceRun     = "run"
	AdviceCurtail = "curtail"

	ReasonPrice      = "price"      // the rule, applied as is
	ReasonHysteresis = "hysteresis" // the rule alone would switch; the price is inside the band
	ReasonMinRun     = "min_run"    // would stop, but has not run MinRun yet
	ReasonMinStop    = "min_stop"   // would restart, but has not been stopped MinStop yet
	ReasonLeased     = "leased"     // under an AI lease: never curtailed
)

// Advice is the advisor's word on one device at one price.
type Advice struct {
	ID                 string
	Advice             string // AdviceRun or AdviceCurtail
	Reason             string
	PriceUSDPerMWh     float64
	BreakevenUSDPerMWh float64
	// MarginUSDPerMWh is breakeven minus price: what each MWh the device
	// draws earns above its power cost (negative: it loses money running).
	MarginUSDPerMWh float64
	FacilityPowerW  float64
	// DRCreditUSDPerHour is what curtailing the device earns per hour.
	DRCreditUSDPerHour float64
	// Since is when the advice last changed; Changed is true when it changed
	// at this step.
	Since   time.Time
	Changed bool
	Leased  bool
}

// Curtail reports whether the advice is to stop.
func (a Advice) Curtail() bool { return a.Advice == AdviceCurtail }

type deviceState struct {
	curtail bool
	since   time.Time
}

// Advisor holds each device's run-or-curtail state between steps; the zero
// value is ready. It is not safe for concurrent use.
type Advisor struct {
	Policy AdvicePolicy
	state  map[string]deviceState
}

// Step advises every device at price p at time now. A device seen for the
// first time gets the plain rule; after that hysteresis and the minimum
// times apply. Devices not in ds are forgotten.
func (a *Advisor) Step(now time.Time, p float64, ds []AdviceInput) []Advice {
	next := make(map[string]deviceState, len(ds))
	out := make([]Advice, 0, len(ds))
	for _, d := range ds {
		st, seen := a.state[d.ID]
		adv, reason := a.decide(now, p, d, st, seen)
		changed := !seen || adv != st.curtail
		if changed {
			st = deviceState{curtail: adv, since: now}
		}
		next[d.ID] = st
		out = append(out, Advice{ID: d.ID, Advice: adviceWord(adv), Reason: reason,
			PriceUSDPerMWh: p, BreakevenUSDPerMWh: d.BreakevenUSDPerMWh, MarginUSDPerMWh: d.BreakevenUSDPerMWh - p,
			FacilityPowerW: d.FacilityPowerW, DRCreditUSDPerHour: d.FacilityPowerW * a.Policy.DRCreditUSDPerMWh / 1e6,
			Since: st.since, Changed: changed && seen, Leased: d.Leased})
	}
	a.state = next
	return out
}

// decide returns whether to curtail and why.
func (a *Advisor) decide(now time.Time, p float64, d AdviceInput, st deviceState, seen bool) (bool, string) {
	if d.Leased {
		return false, ReasonLeased
	}
	pol := a.Policy
	m := d.BreakevenUSDPerMWh - p
	plain := CurtailPays(m, pol.DRCreditUSDPerMWh)
	if !seen {
		return plain, ReasonPrice
	}
	if !st.curtail {
		// Running: stop only when the price is past the band.
		if !CurtailPays(m, pol.DRCreditUSDPerMWh-pol.HysteresisUSDPerMWh) {
			if plain {
				return false, ReasonHysteresis
			}
			return false, ReasonPrice
		}
		if now.Sub(st.since) < pol.MinRun {
			return false, ReasonMinRun
		}
		return true, ReasonPrice
	}
	// Stopped: restart only when the price is back below the band.
	if CurtailPays(m, pol.DRCreditUSDPerMWh+pol.HysteresisUSDPerMWh) {
		if !plain {
			return true, ReasonHysteresis
		}
		return true, ReasonPrice
	}
	if now.Sub(st.since) < pol.MinStop {
		return true, ReasonMinStop
	}
	return false, ReasonPrice
}

func adviceWord(curtail bool) string {
	if curtail {
		return AdviceCurtail
	}
	return AdviceRun
}

// AdviceReplay is what following the advice over a price series was worth
// for one device, against running it throughout.
type AdviceReplay struct {
	Hours       float64
	CurtailedH  float64
	EnergyMWh   float64 // drawn while running, following the advice
	DRCreditUSD float64
	// ValueUSD is profit following the advice minus profit running
	// always: on each curtailed interval the power not bought and the
	// credit earned, less the revenue forgone.
	ValueUSD float64
	// Off lists the start of every interval the advice curtailed.
	Off []time.Time
}

// ReplayAdvice steps a fresh advisor through the series, one step at the
// start of each interval, as the agent would have seen it live. With no
// hysteresis and no minimum times it switches the same intervals off as
// Curtail does for a fleet of the same breakeven and power.
func ReplayAdvice(pol AdvicePolicy, d AdviceInput, prices []PriceInterval) (AdviceReplay, error) {
	return replay(pol, d, prices, true)
}

// ReplayAdviceValue is ReplayAdvice without the list of curtailed
// intervals (Off is nil), for the agent, which replays a day of polls for
// every device at each write and needs only the money.
func ReplayAdviceValue(pol AdvicePolicy, d AdviceInput, prices []PriceInterval) (AdviceReplay, error) {
	return replay(pol, d, prices, false)
}

func replay(pol AdvicePolicy, d AdviceInput, prices []PriceInterval, keepOff bool) (AdviceReplay, error) {
	if err := pol.Validate(); err != nil {
		return AdviceReplay{}, err
	}
	if !(d.FacilityPowerW > 0) || !finite(d.BreakevenUSDPerMWh) {
		return AdviceReplay{}, fmt.Errorf("device %s: %v W at breakeven %v USD/MWh cannot be replayed", d.ID, d.FacilityPowerW, d.BreakevenUSDPerMWh)
	}
	// The same decision as Step, without its per-call bookkeeping: the
	// agent replays a day of polls for every device at each write.
	adv := Advisor{Policy: pol}
	var st deviceState
	mw := d.FacilityPowerW / 1e6
	var r AdviceReplay
	if keepOff {
		r.Off = []time.Time{}
	}
	for i, iv := range prices {
		if !(iv.Hours > 0) || !finite(iv.USDPerMWh) {
			return AdviceReplay{}, fmt.Errorf("price interval at %s: %v h at %v USD/MWh is not usable", iv.Start.Format(time.RFC3339), iv.Hours, iv.USDPerMWh)
		}
		off, _ := adv.decide(iv.Start, iv.USDPerMWh, d, st, i > 0)
		if i == 0 || off != st.curtail {
			st = deviceState{curtail: off, since: iv.Start}
		}
		r.Hours += iv.Hours
		if !off {
			r.EnergyMWh += mw * iv.Hours
			continue
		}
		e := mw * iv.Hours
		r.CurtailedH += iv.Hours
		r.DRCreditUSD += e * pol.DRCreditUSDPerMWh
		r.ValueUSD += e * (pol.DRCreditUSDPerMWh + iv.USDPerMWh - d.BreakevenUSDPerMWh)
		if keepOff {
			r.Off = append(r.Off, iv.Start)
		}
	}
	return r, nil
}
