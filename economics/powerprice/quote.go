package powerprice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// Quote is one power price, always in USD per MWh.
type Quote struct {
	USDPerMWh float64
	// At is when this price took effect (a series row's start, the time a
	// feed published it); its age is measured from here.
	At time.Time
	// Until is when it stops applying, for a row of a series; zero when
	// the source does not say.
	Until time.Time
	// Source is a short token for the `source` tag: fixed, schedule, file,
	// url, exec.
	Source string
	// Forward is the series from the current row on, when the source
	// serves one.
	Forward []economics.PriceInterval
}

// Source is one way of getting the price.
type Source interface {
	Name() string
	Price(ctx context.Context, now time.Time) (Quote, error)
}

// maxAbsUSDPerMWh bounds a believable price: real-time markets cap at a few
// thousand USD/MWh and floor at a few hundred below zero. A figure past it
// is a unit mistake (USD/kWh written as USD/MWh or the other way round).
const maxAbsUSDPerMWh = 100_000

func checkPrice(v float64, what string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxAbsUSDPerMWh {
		return fmt.Errorf("%s: %v USD/MWh is not a believable power price (want within ±%d)", what, v, maxAbsUSDPerMWh)
	}
	return nil
}

// ParseAmount reads a price with its unit, as an exec source prints it:
// "42.5 usd/mwh" or "0.0425 usd/kwh" (case and spaces do not matter), and
// optionally an RFC 3339 time after it, when the price took effect. A bare
// number is rejected: USD/kWh and USD/MWh differ by a thousand, and a
// guess would be wrong one time in two.
func ParseAmount(s string) (usdPerMWh float64, at time.Time, err error) {
	f := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(f) == 0 {
		return 0, time.Time{}, errors.New("empty: want a price with its unit, e.g. \"42.5 usd/mwh\"")
	}
	if len(f) < 2 {
		return 0, time.Time{}, fmt.Errorf("%q has no unit: want \"42.5 usd/mwh\" or \"0.0425 usd/kwh\"", oneLine(s))
	}
	if len(f) > 3 {
		return 0, time.Time{}, fmt.Errorf("%q: want \"PRICE UNIT [RFC3339 TIME]\"", oneLine(s))
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("%q is not a number", f[0])
	}
	switch f[1] {
	case "usd/mwh", "$/mwh":
	case "usd/kwh", "$/kwh":
		v *= 1000
	default:
		return 0, time.Time{}, fmt.Errorf("unit %q: want usd/mwh or usd/kwh", f[1])
	}
	if err := checkPrice(v, "price"); err != nil {
		return 0, time.Time{}, err
	}
	if len(f) == 3 {
		if at, err = time.Parse(time.RFC3339, strings.ToUpper(f[2])); err != nil {
			return 0, time.Time{}, fmt.Errorf("time %q is not RFC 3339 (2026-07-08T18:00:00-05:00)", f[2])
		}
	}
	return v, at, nil
}

// jsonDoc is the JSON a file or URL may serve: one current price with the
// time it took effect, in either unit, or a series of rows.
type jsonDoc struct {
	USDPerMWh *float64 `json:"usd_per_mwh"`
	USDPerKWh *float64 `json:"usd_per_kwh"`
	Time      string   `json:"time"`
	Prices    []struct {
		Start     string   `json:"start"`
		USDPerMWh *float64 `json:"usd_per_mwh"`
	} `json:"prices"`
}

// ParseDocument reads what a price file or URL serves and returns the
// price in effect at now. JSON (the body starts with "{"):
//
//	{"usd_per_mwh": 42.5, "time": "2026-07-08T18:00:00-05:00"}
//	{"usd_per_kwh": 0.0425, "time": "2026-07-08T18:00:00-05:00"}
//	{"prices": [{"start": "2026-07-08T18:00:00-05:00", "usd_per_mwh": 42.5}, ...]}
//
// anything else is CSV as `econ curtail` reads it (timestamp,usd_per_mwh).
// In a series each row lasts until the next; the row in effect at now is
// the price.
func ParseDocument(data []byte, name string, now time.Time) (Quote, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return parseJSON(t, name, now)
	}
	series, err := economics.ReadPriceCSV(bytes.NewReader(data), name)
	if err != nil {
		return Quote{}, err
	}
	return current(series, name, now)
}

func parseJSON(data []byte, name string, now time.Time) (Quote, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d jsonDoc
	if err := dec.Decode(&d); err != nil {
		return Quote{}, fmt.Errorf("%s: %w", name, err)
	}
	if d.Prices != nil {
		if d.USDPerMWh != nil || d.USDPerKWh != nil {
			return Quote{}, fmt.Errorf("%s: both a price and a series: serve one", name)
		}
		var s []economics.PriceInterval
		for i, r := range d.Prices {
			at, err := time.Parse(time.RFC3339, r.Start)
			switch {
			case err != nil:
				return Quote{}, fmt.Errorf("%s: prices[%d].start %q is not RFC 3339", name, i, r.Start)
			case r.USDPerMWh == nil:
				return Quote{}, fmt.Errorf("%s: prices[%d] has no usd_per_mwh", name, i)
			case i > 0 && !at.After(s[i-1].Start):
				return Quote{}, fmt.Errorf("%s: prices[%d].start %s is not after the previous row's", name, i, r.Start)
			}
			if err := checkPrice(*r.USDPerMWh, fmt.Sprintf("%s: prices[%d]", name, i)); err != nil {
				return Quote{}, err
			}
			s = append(s, economics.PriceInterval{Start: at, USDPerMWh: *r.USDPerMWh})
		}
		if len(s) == 0 {
			return Quote{}, fmt.Errorf("%s: no price rows", name)
		}
		for i := range s {
			switch {
			case i+1 < len(s):
				s[i].Hours = s[i+1].Start.Sub(s[i].Start).Hours()
			case i > 0:
				s[i].Hours = s[i-1].Hours
			default:
				s[i].Hours = 1
			}
		}
		return current(s, name, now)
	}
	var v float64
	switch {
	case d.USDPerMWh != nil && d.USDPerKWh != nil:
		return Quote{}, fmt.Errorf("%s: both usd_per_mwh and usd_per_kwh: give one", name)
	case d.USDPerMWh != nil:
		v = *d.USDPerMWh
	case d.USDPerKWh != nil:
		v = *d.USDPerKWh * 1000
	default:
		return Quote{}, fmt.Errorf("%s: no usd_per_mwh, usd_per_kwh or prices", name)
	}
	if err := checkPrice(v, name); err != nil {
		return Quote{}, err
	}
	at, err := time.Parse(time.RFC3339, d.Time)
	if err != nil {
		return Quote{}, fmt.Errorf("%s: time %q is not RFC 3339; without it the price's age cannot be checked", name, d.Time)
	}
	return Quote{USDPerMWh: v, At: at}, nil
}

// current picks the row of a series in effect at now.
func current(s []economics.PriceInterval, name string, now time.Time) (Quote, error) {
	i := len(s) - 1
	for i >= 0 && s[i].Start.After(now) {
		i--
	}
	if i < 0 {
		return Quote{}, fmt.Errorf("%s: the series starts at %s, after now (%s)", name, s[0].Start.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	r := s[i]
	end := r.Start.Add(time.Duration(r.Hours * float64(time.Hour)))
	if !now.Before(end) {
		return Quote{}, fmt.Errorf("%s: the series ends at %s: no price for now (%s)", name, end.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return Quote{USDPerMWh: r.USDPerMWh, At: r.Start, Until: end, Forward: s[i:]}, nil
}

// oneLine shortens what a source printed for an error message.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
