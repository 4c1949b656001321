package economics

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PriceInterval is one row of a power-price series: the price from Start for
// Hours hours.
type PriceInterval struct {
	Start     time.Time `json:"start"`
	Hours     float64   `json:"hours"`
	USDPerMWh float64   `json:"usd_per_mwh"`
}

// priceLayouts are the timestamp forms accepted in price CSVs; without an
// offset the time is UTC.
var priceLayouts = []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05"}

// ReadPriceCSV parses "timestamp,usd_per_mwh" rows (a header row and #
// comment lines are allowed). Each row lasts until the next row's timestamp;
// the last lasts as long as the one before it (one hour if it is alone).
// Errors name the file and the line, and every bad row is reported.
func ReadPriceCSV(r io.Reader, name string) ([]PriceInterval, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(512)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: %w", name, err) // a directory, a vanished file: once, not per row
	}
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(trimPartialRune(head)) {
		return nil, fmt.Errorf("%s: not a CSV text file (binary data at the start); want rows of timestamp,usd_per_mwh", name)
	}
	cr := csv.NewReader(br)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []PriceInterval
	var errs []error
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: %w", name, err) // I/O fails the same way on every row
			}
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			if len(errs) > 20 {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s row %d: %s", name, line, fmt.Sprintf(format, args...)))
		}
		if len(rec) != 2 {
			bad("want 2 fields (timestamp, usd_per_mwh), got %d: %q", len(rec), clip(strings.Join(rec, ",")))
			continue
		}
		if len(out) == 0 && len(errs) == 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "timestamp") {
			continue // header
		}
		t, terr := parsePriceTime(rec[0])
		p, perr := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		switch {
		case terr != nil:
			bad("timestamp %q is not RFC 3339 (2026-07-06T00:00:00-05:00) or 2006-01-02 15:04", clip(rec[0]))
			continue
		case perr != nil || !finite(p):
			bad("price %q is not a number of USD/MWh", clip(rec[1]))
			continue
		case math.Abs(p) > 1e6:
			bad("price %v USD/MWh is beyond any market cap", p)
			continue
		}
		if n := len(out); n > 0 && !t.After(out[n-1].Start) {
			bad("timestamp %s is not after the previous row's %s", t.Format(time.RFC3339), out[n-1].Start.Format(time.RFC3339))
			continue
		}
		out = append(out, PriceInterval{Start: t, USDPerMWh: p})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no price rows", name)
	}
	for i := range out {
		switch {
		case i+1 < len(out):
			out[i].Hours = out[i+1].Start.Sub(out[i].Start).Hours()
		case i > 0:
			out[i].Hours = out[i-1].Hours
		default:
			out[i].Hours = 1
		}
	}
	return out, nil
}

func parsePriceTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range priceLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("bad timestamp")
}

//go:embed prices_synthetic_ercot_like.csv
var syntheticPrices []byte

// SyntheticPricesName labels the embedded sample wherever it is used.
const SyntheticPricesName = "SYNTHETIC ERCOT-like sample week (not market data)"

// SyntheticPrices returns the embedded sample: one synthetic summer week with
// an ERCOT-like day/night shape and a two-hour scarcity spike.
func SyntheticPrices() []PriceInterval {
	p, err := ReadPriceCSV(bytes.NewReader(syntheticPrices), "embedded sample")
	if err != nil {
		panic("economics: embedded price sample is corrupt: " + err.Error()) // a build defect; tested
	}
	return p
}

// CurtailPolicy says when interruptible mining switches off.
type CurtailPolicy struct {
	// Economic switches off in intervals where the price is at or above the
	// fleet's revenue per MWh less the demand-response credit.
	Economic bool `json:"economic"`
	// PeakStartHour..PeakEndHour (local to each timestamp, end exclusive,
	// wrapping past midnight) is always off; equal values mean no window.
	PeakStartHour int `json:"peak_start_hour"`
	PeakEndHour   int `json:"peak_end_hour"`
	// DRCreditUSDPerMWh is paid per MW-h of load curtailed.
	DRCreditUSDPerMWh float64 `json:"dr_credit_usd_per_mwh"`
}

func (p CurtailPolicy) inWindow(t time.Time) bool {
	s, e, h := p.PeakStartHour, p.PeakEndHour, t.Hour()
	switch {
	case s == e:
		return false
	case s < e:
		return h >= s && h < e
	}
	return h >= s || h < e
}

// CurtailPays is the one rule for switching interruptible mining off on
// price, shared by Curtail (after the fact, over a series) and the live
// Advisor: off when the margin (breakeven minus the power price, USD/MWh)
// earns less than the demand-response credit that shedding the load pays.
func CurtailPays(marginUSDPerMWh, drCreditUSDPerMWh float64) bool {
	return marginUSDPerMWh < drCreditUSDPerMWh
}

// CurtailTotals are money and energy over the series.
type CurtailTotals struct {
	RunHours     float64 `json:"run_hours"`
	EnergyMWh    float64 `json:"energy_mwh"`
	RevenueUSD   float64 `json:"revenue_usd"`
	PowerCostUSD float64 `json:"power_cost_usd"`
	DRCreditUSD  float64 `json:"dr_credit_usd"`
	ProfitUSD    float64 `json:"profit_usd"`
}

// Curtailment compares a curtailed fleet with the same fleet always on.
type Curtailment struct {
	Profile            string        `json:"profile"`
	FacilityMW         float64       `json:"facility_mw"`
	Hours              float64       `json:"hours"`
	BreakevenUSDPerMWh float64       `json:"breakeven_usd_per_mwh"`
	Policy             CurtailPolicy `json:"policy"`
	Uptime             float64       `json:"uptime"` // run hours / hours
	Curtailed          CurtailTotals `json:"curtailed"`
	AlwaysOn           CurtailTotals `json:"always_on"`
	// ValueUSD is curtailed profit minus always-on profit.
	ValueUSD float64 `json:"value_of_curtailment_usd"`
	// Off lists the start of every interval switched off.
	Off []time.Time `json:"off"`
}

// Curtail runs a mining fleet of facilityW against the price series. In a
// running interval of h hours the fleet draws facilityW × load × h (load is
// the profile's uptime) and earns its revenue per MWh on it; a curtailed
// interval earns the DR credit on the load it sheds.
func Curtail(p Mining, m Market, facilityW float64, prices []PriceInterval, pol CurtailPolicy) (Curtailment, error) {
	var errs []error
	errs = append(errs, p.Validate(), m.usable(), positive("fleet power", facilityW))
	if pol.PeakStartHour < 0 || pol.PeakStartHour > 23 || pol.PeakEndHour < 0 || pol.PeakEndHour > 24 {
		errs = append(errs, fmt.Errorf("peak window %d-%d: hours must be 0-24", pol.PeakStartHour, pol.PeakEndHour))
	}
	if !(pol.DRCreditUSDPerMWh >= 0) {
		errs = append(errs, fmt.Errorf("demand-response credit must not be negative, got %v", pol.DRCreditUSDPerMWh))
	}
	if len(prices) == 0 {
		errs = append(errs, errors.New("no prices"))
	}
	for i, iv := range prices {
		if !(iv.Hours > 0) || !finite(iv.Hours) || !finite(iv.USDPerMWh) {
			errs = append(errs, fmt.Errorf("price interval %d (%s): %v h at %v USD/MWh is not usable", i+1, iv.Start.Format(time.RFC3339), iv.Hours, iv.USDPerMWh))
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Curtailment{}, err
	}
	r := p.evaluate(m, 0)
	mw := facilityW / 1e6
	load := p.Uptime
	c := Curtailment{Profile: p.Name, FacilityMW: mw, BreakevenUSDPerMWh: r.RevenueUSDPerMWh, Policy: pol, Off: []time.Time{}}
	add := func(t *CurtailTotals, iv PriceInterval) {
		e := mw * load * iv.Hours
		t.RunHours += iv.Hours
		t.EnergyMWh += e
		t.RevenueUSD += e * r.RevenueUSDPerMWh
		t.PowerCostUSD += e * iv.USDPerMWh
	}
	for _, iv := range prices {
		c.Hours += iv.Hours
		add(&c.AlwaysOn, iv)
		off := pol.inWindow(iv.Start) || pol.Economic && CurtailPays(r.RevenueUSDPerMWh-iv.USDPerMWh, pol.DRCreditUSDPerMWh)
		if off {
			c.Curtailed.DRCreditUSD += mw * load * iv.Hours * pol.DRCreditUSDPerMWh
			c.Off = append(c.Off, iv.Start)
			continue
		}
		add(&c.Curtailed, iv)
	}
	for _, t := range []*CurtailTotals{&c.Curtailed, &c.AlwaysOn} {
		t.ProfitUSD = t.RevenueUSD - t.PowerCostUSD + t.DRCreditUSD
	}
	c.Uptime = c.Curtailed.RunHours / c.Hours
	c.ValueUSD = c.Curtailed.ProfitUSD - c.AlwaysOn.ProfitUSD
	return c, nil
}

// trimPartialRune drops a UTF-8 sequence cut by the end of a peeked prefix.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, _ := utf8.DecodeLastRune(b); r != utf8.RuneError {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// clip keeps a quoted row in an error message to one readable line.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
