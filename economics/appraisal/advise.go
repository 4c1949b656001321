package appraisal

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/powerprice"
	"github.com/perwatt/perwatt/internal/metric"
)

// PriceSource is the live power price: in the agent a powerprice.Chain,
// which always answers with something (the fixed price last) and says
// which sources it passed over.
type PriceSource interface {
	Resolve(ctx context.Context, now time.Time) (powerprice.Resolution, error)
}

// livePrice is the price an appraisal round uses, in USD/kWh. The
// appraisal's net figures take a price from 0 to 10 USD/kWh; a negative
// real-time price is appraised at 0 (a device's breakeven does not depend
// on the price, and the advice uses the real one).
func livePrice(ctx context.Context, p PriceSource, now time.Time) (float64, error) {
	r, err := p.Resolve(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("live power price: %w", err)
	}
	return min(max(r.USDPerMWh/1000, 0), 10), nil
}

// Measurements of the advice job (README.md, "The advice schema").
const (
	MeasurementPowerPrice = "power_price"
	MeasurementAdvice     = "advice"
	MeasurementAdviceSite = "advice_site"
)

// Advice is the agent's run-or-curtail round. On every poll it resolves
// the power price and writes it (power_price); it advises every device of
// the last appraisal round on that price and writes the advice (advice,
// one point per device; advice_site, the site's totals) when the price
// changed, any device's advice changed, or Every has passed since the last
// write. It has the agent's collector shape without importing the agent.
type Advice struct {
	Appraisals interface {
		Latest() ([]Appraisal, time.Time)
	}
	Price  PriceSource
	Policy economics.AdvicePolicy
	// GPUsLeased treats every GPU as under an AI lease: the site's "front",
	// never advised to curtail. Off, GPUs are advised on their mining
	// breakeven like rigs.
	GPUsLeased bool
	// Every is the longest time between two advice writes (the economics
	// interval).
	Every time.Duration
	// MaxGap is the longest a recorded price is carried to the next poll
	// when the value of the advice is replayed; a longer hole (the agent
	// stalled) is left out of the replay.
	MaxGap time.Duration
	// PriceAlways writes the price even when no device is appraised (a
	// live source is configured and worth watching on its own); off, a
	// host with nothing to advise writes nothing.
	PriceAlways bool
	Now         func() time.Time // nil: time.Now

	mu        sync.Mutex
	advisor   economics.Advisor
	history   []sample
	lastPrice float64
	lastWrite time.Time
}

type sample struct {
	at        time.Time
	usdPerMWh float64
}

// valueWindow is how far back the value of following the advice looks.
const valueWindow = 24 * time.Hour

func (j *Advice) Name() string { return "advice" }

// Collect is one poll. Without a price it returns an error and no points;
// without appraised devices it writes the price alone (PriceAlways) or
// nothing.
func (j *Advice) Collect(ctx context.Context) ([]metric.Point, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now()
	if j.Now != nil {
		now = j.Now()
	}
	if j.Price == nil {
		return nil, errors.New("no power price source configured")
	}
	r, err := j.Price.Resolve(ctx, now)
	if err != nil {
		return nil, err
	}
	p := r.USDPerMWh
	pts := []metric.Point{pricePoint(r, now)}
	j.record(now, p)

	var as []Appraisal
	if j.Appraisals != nil {
		as, _ = j.Appraisals.Latest()
	}
	ins, meta := j.inputs(as)
	if len(ins) == 0 && !j.PriceAlways {
		return nil, nil
	}
	j.advisor.Policy = j.Policy
	advice := j.advisor.Step(now, p, ins)
	changed := false
	for _, a := range advice {
		changed = changed || a.Changed
	}
	due := j.lastWrite.IsZero() || p != j.lastPrice || changed || j.Every > 0 && now.Sub(j.lastWrite) >= j.Every
	if !due || len(advice) == 0 {
		return pts, nil
	}
	j.lastWrite, j.lastPrice = now, p
	tags := map[string]string{"price_source": r.Source}
	site := siteTotals{}
	for i, a := range advice {
		pts = append(pts, advicePoint(a, meta[i], tags, now))
		site.add(a)
	}
	prices := j.replaySeries(now)
	var errs []error
	for _, in := range ins {
		if in.Leased || len(prices) == 0 {
			continue
		}
		rep, err := economics.ReplayAdviceValue(j.Policy, in, prices)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		site.valueUSD += rep.ValueUSD
		site.creditUSD += rep.DRCreditUSD
	}
	for _, iv := range prices {
		site.windowH += iv.Hours
	}
	pts = append(pts, site.point(j.Policy, p, tags, now))
	return pts, errors.Join(errs...)
}

// inputs turns appraisals into the advisor's inputs: the mining use's
// breakeven and facility power; for a leased GPU the lease's. A device
// without a power reading has no breakeven and gets no advice.
func (j *Advice) inputs(as []Appraisal) ([]economics.AdviceInput, []Appraisal) {
	var ins []economics.AdviceInput
	var meta []Appraisal
	for _, a := range as {
		leased := j.GPUsLeased && a.Kind == KindGPU
		u := a.Mining
		if leased && a.Leasing != nil && a.Leasing.BreakevenPowerPriceUSDPerKWh != nil {
			u = a.Leasing
		}
		if u == nil || u.BreakevenPowerPriceUSDPerKWh == nil || u.FacilityPowerW == nil {
			continue
		}
		ins = append(ins, economics.AdviceInput{ID: string(a.Kind) + "/" + a.ID,
			BreakevenUSDPerMWh: *u.BreakevenPowerPriceUSDPerKWh * 1000, FacilityPowerW: *u.FacilityPowerW, Leased: leased})
		meta = append(meta, a)
	}
	return ins, meta
}

// record keeps the price seen at each poll for the last day, so the value
// of the advice is replayed step by step as the advisor saw it live.
func (j *Advice) record(now time.Time, p float64) {
	j.history = append(j.history, sample{now, p})
	cut := sort.Search(len(j.history), func(i int) bool { return !j.history[i].at.Before(now.Add(-valueWindow)) })
	if cut > 0 {
		// Keep the price that was in effect when the window opens.
		j.history = append(j.history[:0], j.history[cut-1:]...)
	}
}

func (j *Advice) maxGap() time.Duration {
	if j.MaxGap > 0 {
		return j.MaxGap
	}
	return time.Hour
}

// replaySeries is the recorded prices of the last day as intervals up to
// now: each price lasts until the next poll, but never across a hole
// longer than MaxGap (then it lasts MaxGap and the rest is left out).
func (j *Advice) replaySeries(now time.Time) []economics.PriceInterval {
	from := now.Add(-valueWindow)
	var out []economics.PriceInterval
	for i, s := range j.history {
		end := now
		if i+1 < len(j.history) {
			end = j.history[i+1].at
		}
		start := s.at
		if start.Before(from) {
			start = from
		}
		if end.Sub(s.at) > j.maxGap() {
			end = s.at.Add(j.maxGap())
		}
		if h := end.Sub(start).Hours(); h > 0 {
			out = append(out, economics.PriceInterval{Start: start, Hours: h, USDPerMWh: s.usdPerMWh})
		}
	}
	return out
}

func pricePoint(r powerprice.Resolution, now time.Time) metric.Point {
	f := map[string]any{
		"usd_per_mwh": r.USDPerMWh,
		"usd_per_kwh": r.USDPerMWh / 1000,
		"age_s":       max(now.Sub(r.At).Seconds(), 0),
		"fallback":    r.Fallback(),
	}
	if !r.Until.IsZero() {
		f["until_s"] = r.Until.Sub(now).Seconds()
	}
	if len(r.Skipped) > 0 {
		msgs := make([]string, len(r.Skipped))
		for i, e := range r.Skipped {
			msgs[i] = strings.ReplaceAll(e.Error(), "\n", "; ")
		}
		f["skipped"] = strings.Join(msgs, " | ")
	}
	return metric.New(MeasurementPowerPrice, map[string]string{"source": r.Source}, f, now)
}

func advicePoint(a economics.Advice, d Appraisal, common map[string]string, now time.Time) metric.Point {
	tags := map[string]string{"device_kind": string(d.Kind), "device": d.ID}
	for k, v := range common {
		tags[k] = v
	}
	if d.Model != "" {
		tags["model"] = d.Model
	}
	curtail := int64(0)
	if a.Curtail() {
		curtail = 1
	}
	return metric.New(MeasurementAdvice, tags, map[string]any{
		"advice": a.Advice, "curtail": curtail, "reason": a.Reason, "leased": a.Leased, "changed": a.Changed,
		"price_usd_per_mwh": a.PriceUSDPerMWh, "breakeven_usd_per_mwh": a.BreakevenUSDPerMWh,
		"margin_usd_per_mwh": a.MarginUSDPerMWh, "facility_power_w": a.FacilityPowerW,
		"dr_credit_usd_per_h": a.DRCreditUSDPerHour, "state_age_s": now.Sub(a.Since).Seconds(),
	}, now)
}

// siteTotals adds up one round's advice for the site view.
type siteTotals struct {
	runW, shedW, leasedW float64
	run, curtail         int
	valueUSD, creditUSD  float64
	windowH              float64
}

func (s *siteTotals) add(a economics.Advice) {
	switch {
	case a.Leased:
		s.leasedW += a.FacilityPowerW
	case a.Curtail():
		s.shedW += a.FacilityPowerW
		s.curtail++
	default:
		s.runW += a.FacilityPowerW
		s.run++
	}
}

func (s siteTotals) point(pol economics.AdvicePolicy, p float64, tags map[string]string, now time.Time) metric.Point {
	return metric.New(MeasurementAdviceSite, tags, map[string]any{
		"price_usd_per_mwh": p, "mining_run_w": s.runW, "mining_run_mw": s.runW / 1e6,
		"shed_w": s.shedW, "shed_mw": s.shedW / 1e6, "leased_w": s.leasedW,
		"devices_run": int64(s.run), "devices_curtail": int64(s.curtail),
		"dr_credit_usd_per_h": s.shedW * pol.DRCreditUSDPerMWh / 1e6,
		"value_24h_usd":       s.valueUSD, "dr_credit_24h_usd": s.creditUSD, "value_window_h": s.windowH,
	}, now)
}
