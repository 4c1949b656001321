package economics

import (
	"fmt"
	"math"
)

// The discounting rules below work on a plain series of yearly cash flows:
// flows[0] is spent or received now (capex), flows[y] at the end of year y.
// That end-of-year convention is the one spreadsheets' NPV and IRR use with
// an initial outlay, so a board can check every figure by hand.

// NPV is Σ flows[y] / (1+rate)^y.
func NPV(rate float64, flows []float64) float64 {
	v := 0.0
	for y, f := range flows {
		v += f / math.Pow(1+rate, float64(y))
	}
	return v
}

// NoIRR says why a series has no internal rate of return.
type NoIRR struct{ Reason string }

func (e NoIRR) Error() string { return "no IRR: " + e.Reason }

// IRR is the rate at which NPV is zero, found by bisection between −99 % and
// +1000 % a year. A series whose flows never change sign has none (money is
// only spent or only received), nor one whose NPV keeps its sign over the
// whole range; a series that changes sign more than once may have several,
// and the lowest above −99 % is returned with a note.
func IRR(flows []float64) (rate float64, note string, err error) {
	pos, neg, changes, last := false, false, 0, 0.0
	for _, f := range flows {
		if !finite(f) {
			return 0, "", NoIRR{fmt.Sprintf("cash flow %v is not a number", f)}
		}
		pos, neg = pos || f > 0, neg || f < 0
		if f != 0 {
			if last != 0 && (f > 0) != (last > 0) {
				changes++
			}
			last = f
		}
	}
	switch {
	case !neg:
		return 0, "", NoIRR{"no money is ever spent"}
	case !pos:
		return 0, "", NoIRR{"the investment never returns any cash"}
	}
	lo, hi := -0.99, 10.0
	// Scan for the first sign change of NPV, then bisect inside it.
	const steps = 400
	prevR, prevV := lo, NPV(lo, flows)
	found := false
	for i := 1; i <= steps; i++ {
		r := lo + (hi-lo)*float64(i)/steps
		v := NPV(r, flows)
		if prevV == 0 {
			return prevR, multiNote(changes), nil
		}
		if (v > 0) != (prevV > 0) || v == 0 {
			lo, hi, found = prevR, r, true
			break
		}
		prevR, prevV = r, v
	}
	if !found {
		if prevV < 0 {
			return 0, "", NoIRR{"the cash returned never repays the money spent, at any rate above −99 %"}
		}
		return 0, "", NoIRR{"the project is worth more than it costs at every rate up to 1000 %"}
	}
	vlo := NPV(lo, flows)
	for range 200 {
		mid := (lo + hi) / 2
		vm := NPV(mid, flows)
		if vm == 0 || hi-lo < 1e-12 {
			return mid, multiNote(changes), nil
		}
		if (vm > 0) == (vlo > 0) {
			lo, vlo = mid, vm
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2, multiNote(changes), nil
}

func multiNote(changes int) string {
	if changes > 1 {
		return fmt.Sprintf("the cash flows change sign %d times, so more than one IRR may exist; this is the lowest", changes)
	}
	return ""
}

// Payback is how many periods after the outlay the running sum of the
// per-period operating flows first repays it, interpolated inside the period
// that crosses. ok is false when it never does within the flows given.
func Payback(outlay float64, flows []float64) (periods float64, ok bool) {
	cum := -outlay
	if cum >= 0 {
		return 0, true
	}
	for i, f := range flows {
		prev := cum
		cum += f
		if cum >= 0 {
			return float64(i) + -prev/f, true
		}
	}
	return 0, false
}

// LoanPayment is the level yearly payment that repays principal over years at
// rate (an annuity): P × r / (1 − (1+r)^−n), or P / n when the rate is 0.
func LoanPayment(principal, rate float64, years int) float64 {
	if years <= 0 {
		return principal
	}
	if rate == 0 {
		return principal / float64(years)
	}
	return principal * rate / (1 - math.Pow(1+rate, -float64(years)))
}
