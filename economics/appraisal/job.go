package appraisal

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/internal/metric"
)

// Source is anything that holds devices' latest readings: a collector
// (rigs, GPUs, the BMC) or a scheduled benchmark (the CPU, a GPU run).
type Source interface {
	Readings() []Reading
}

// Quote is the market as the appraisal uses it: the numbers, a short token
// naming where they came from (the `market_source` tag) and a sentence for
// people.
type Quote struct {
	Market economics.Market
	Source string
	Note   string
}

// MarketSource resolves the current market: live, from a shared source, or
// the last cached figures. An error means no market at all.
type MarketSource interface {
	Quote(ctx context.Context) (Quote, error)
}

// Job is the agent's appraisal round: it takes every source's latest
// readings, merges them per device, resolves the market once and writes one
// appraisal point per device. It has the agent's collector shape (Name,
// Collect) without importing the agent.
type Job struct {
	Sources []Source
	Market  MarketSource
	Terms   Terms
	// Catalogue also writes the built-in catalogue's economics (the
	// `economics` measurement) at the same market, for comparison.
	Catalogue bool
	// Power, when set, is the live power price: each round appraises at it
	// instead of Terms.PowerPriceUSDPerKWh (see PriceSource).
	Power PriceSource
	Now   func() time.Time // nil: time.Now

	mu     sync.Mutex
	last   []Appraisal
	lastAt time.Time
}

// Latest returns the last round's appraisals and when it ran, for the
// advice job; nil before the first round.
func (j *Job) Latest() ([]Appraisal, time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last, j.lastAt
}

func (j *Job) Name() string { return "appraisal" }

// Collect appraises every device seen. With no device and no catalogue it
// returns nothing and asks for no market; with no market it returns an
// error and no points: zeros would read as "earns nothing".
func (j *Job) Collect(ctx context.Context) ([]metric.Point, error) {
	as, q, err := j.Appraise(ctx)
	if err != nil {
		return nil, err
	}
	now := j.now()
	j.mu.Lock()
	j.last, j.lastAt = as, now
	j.mu.Unlock()
	age := max(now.Sub(q.Market.AsOf), 0)
	pts := make([]metric.Point, 0, len(as))
	for _, a := range as {
		pts = append(pts, a.Point(q.Source, age, now))
	}
	if j.Catalogue {
		rep, err := economics.Evaluate(q.Market, j.Terms.PowerPriceUSDPerKWh, economics.Catalogue(), now)
		if err != nil {
			return pts, fmt.Errorf("catalogue economics: %w", err)
		}
		pts = append(pts, rep.Points()...)
	}
	return pts, nil
}

// Appraise is Collect before the points: the appraisals and the market used.
func (j *Job) Appraise(ctx context.Context) ([]Appraisal, Quote, error) {
	var rs []Reading
	for _, s := range j.Sources {
		rs = append(rs, s.Readings()...)
	}
	rs = Merge(rs)
	var devices []Reading
	for _, r := range rs {
		if r.Kind != KindHost { // wall power is spread over the GPUs; a host earns nothing itself
			devices = append(devices, r)
		}
	}
	if len(devices) == 0 && !j.Catalogue {
		return nil, Quote{}, nil
	}
	if j.Market == nil {
		return nil, Quote{}, errors.New("no market source configured")
	}
	q, err := j.Market.Quote(ctx)
	if err != nil {
		return nil, Quote{}, fmt.Errorf("no appraisal this round: %w", err)
	}
	var out []Appraisal
	var errs []error
	terms := j.Terms
	if j.Power != nil {
		terms.PowerPriceUSDPerKWh, err = livePrice(ctx, j.Power, j.now())
		if err != nil {
			errs = append(errs, err) // appraised at the configured price instead
			terms.PowerPriceUSDPerKWh = j.Terms.PowerPriceUSDPerKWh
		}
	}
	for _, r := range devices {
		a, err := Appraise(q.Market, terms, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, a)
	}
	return out, q, errors.Join(errs...)
}

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}
