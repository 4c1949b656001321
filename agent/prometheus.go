package agent

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/perwatt/perwatt/internal/metric"
)

// promStore keeps the latest value of every series the agent spooled, for
// /metrics. Recording copies a point's numbers in under a short lock; a
// scrape copies them out under the same lock and builds the exposition
// after releasing it, so a slow scraper never holds up collection.
type promStore struct {
	staleAfter time.Duration

	mu     sync.Mutex
	series map[string]*promSeries // measurement + sorted tags
}

type promSeries struct {
	measurement string
	tags        map[string]string
	fields      map[string]float64
	seen        time.Time
}

func newPromStore(staleAfter time.Duration) *promStore {
	return &promStore{staleAfter: staleAfter, series: map[string]*promSeries{}}
}

// observe records points after the spool acknowledged them (their tags
// already include the global ones).
func (s *promStore) observe(points []metric.Point, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var key strings.Builder
	for _, p := range points {
		if strings.HasPrefix(p.Measurement, "perwatt_agent") {
			continue // the agent's health is exported live, not from its points
		}
		key.Reset()
		key.WriteString(p.Measurement)
		for _, k := range slices.Sorted(maps.Keys(p.Tags)) {
			key.WriteByte(0)
			key.WriteString(k)
			key.WriteByte('=')
			key.WriteString(p.Tags[k])
		}
		se, ok := s.series[key.String()]
		if !ok {
			se = &promSeries{measurement: p.Measurement, tags: maps.Clone(p.Tags), fields: map[string]float64{}}
			s.series[key.String()] = se
		}
		se.seen = now
		for k, v := range p.Fields {
			switch x := v.(type) {
			case float64:
				se.fields[k] = x
			case int64:
				se.fields[k] = float64(x)
			case uint64:
				se.fields[k] = float64(x)
			case bool:
				se.fields[k] = 0
				if x {
					se.fields[k] = 1
				}
			}
		}
	}
}

// snapshot copies the live series out and forgets the stale ones (a rig
// that left the fleet).
func (s *promStore) snapshot(now time.Time) []promSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]promSeries, 0, len(s.series))
	for k, se := range s.series {
		if s.staleAfter > 0 && now.Sub(se.seen) > s.staleAfter {
			delete(s.series, k)
			continue
		}
		out = append(out, promSeries{measurement: se.measurement, tags: se.tags, fields: maps.Clone(se.fields)})
	}
	return out
}

// Describe sends nothing: the series are whatever the collectors found,
// so the collector is unchecked.
func (s *promStore) Describe(chan<- *prometheus.Desc) {}

// Collect turns the latest readings into metric families. Series of one
// family may carry different tags (a host point and a rig point); each
// family gets the union of their label names, as Prometheus requires.
func (s *promStore) Collect(ch chan<- prometheus.Metric) {
	type sample struct {
		labels map[string]string
		value  float64
		scale  float64
	}
	type family struct {
		help    string
		counter bool
		labels  map[string]bool
		samples []sample
		index   map[string]int // series signature -> sample
	}
	fams := map[string]*family{}
	for _, se := range s.snapshot(time.Now()) {
		labels := make(map[string]string, len(se.tags))
		var sig strings.Builder
		for _, k := range slices.Sorted(maps.Keys(se.tags)) {
			labels[sanitizeLabel(k)] = se.tags[k]
			sig.WriteString(k + "\x00" + se.tags[k] + "\x00")
		}
		for _, field := range slices.Sorted(maps.Keys(se.fields)) {
			v := se.fields[field]
			name, scale, counter := promName(se.measurement, field)
			f, ok := fams[name]
			if !ok {
				f = &family{help: "perwatt " + se.measurement + " " + field, counter: counter, labels: map[string]bool{}, index: map[string]int{}}
				fams[name] = f
			}
			for k := range labels {
				f.labels[k] = true
			}
			// Two fields of one point can name one series (energy_j and
			// the raw energy_uj): the one in the base unit is kept.
			if i, dup := f.index[sig.String()]; dup {
				if scale == 1 {
					f.samples[i] = sample{labels, v, scale}
				}
				continue
			}
			f.index[sig.String()] = len(f.samples)
			f.samples = append(f.samples, sample{labels, v * scale, scale})
		}
	}
	for name, f := range fams {
		keys := slices.Sorted(maps.Keys(f.labels))
		desc := prometheus.NewDesc(name, f.help, keys, nil)
		vt := prometheus.GaugeValue
		if f.counter {
			vt = prometheus.CounterValue
		}
		for _, sm := range f.samples {
			vals := make([]string, len(keys))
			for i, k := range keys {
				vals[i] = sm.labels[k]
			}
			m, err := prometheus.NewConstMetric(desc, vt, sm.value, vals...)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(desc, err)
				continue
			}
			ch <- m
		}
	}
}

// EnablePrometheus starts keeping the latest readings and returns the
// /metrics handler: them, the agent's own health, and the Go runtime and
// process metrics. Call it before Run. Series not refreshed for
// staleAfter (0: never) are dropped.
func (a *Agent) EnablePrometheus(staleAfter time.Duration) http.Handler {
	st := newPromStore(staleAfter)
	a.prom.Store(st)
	reg := prometheus.NewRegistry()
	reg.MustRegister(st, &healthCollector{a: a},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return mux
}
