package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

// RedfishOptions says which BMC to read and how to log in.
type RedfishOptions struct {
	URL                string // https://bmc[:port]
	Username, Password string // the password from the environment or a file; never logged
	Auth               string // "session" (default) or "basic"
	TLSCA              string // PEM file with the BMC's CA; the system pool otherwise
	InsecureSkipVerify bool
	Timeout            time.Duration
}

// Redfish reads the server's power at the wall and each power supply's
// input over the DMTF Redfish API: the current model (a chassis's
// EnvironmentMetrics.PowerWatts and PowerSubsystem's PowerSupplyMetrics)
// where the BMC has it, the deprecated Power resource (PowerControl,
// PowerSupplies) that older BMCs still serve otherwise. The resource links
// are discovered once and re-discovered when one disappears.
type Redfish struct {
	opts RedfishOptions
	log  *slog.Logger
	now  func() time.Time
	host string // the BMC's address: the reading's ID and the bmc tag

	mu      sync.Mutex
	client  *rfClient
	chassis []*rfChassis // nil until discovered
	last    appraisal.Reading
	haveOK  bool
}

// rfChassis is one chassis's discovered links.
type rfChassis struct {
	id, model   string
	envMetrics  string  // EnvironmentMetrics (PowerWatts)
	legacyPower string  // Power (PowerControl, PowerSupplies)
	psuMetrics  []rfPSU // PowerSubsystem power supplies with Metrics
}

type rfPSU struct{ name, metrics string }

// NewRedfish returns the collector; nothing is contacted until Collect.
func NewRedfish(opts RedfishOptions, log *slog.Logger) (*Redfish, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	cl, err := newRFClient(opts)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(opts.URL)
	return &Redfish{opts: opts, log: log.With("collector", "redfish"), now: time.Now, host: u.Host, client: cl}, nil
}

func (r *Redfish) Name() string { return "redfish" }

// Readings returns the latest wall-power reading of this server (none when
// the last read failed).
func (r *Redfish) Readings() []appraisal.Reading {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.haveOK {
		return nil
	}
	return []appraisal.Reading{r.last}
}

// Close logs out of the BMC's session.
func (r *Redfish) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.Timeout)
	defer cancel()
	r.client.logout(ctx)
	return nil
}

// Collect reads every chassis that reports power: host_power per chassis
// and host_psu per power supply. The reading is the first chassis with a
// power figure (the server; others are enclosures or sub-chassis).
func (r *Redfish) Collect(ctx context.Context) ([]metric.Point, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.haveOK = false
	if r.chassis == nil {
		if err := r.discover(ctx); err != nil {
			return nil, fmt.Errorf("redfish: %s: %w", r.host, err)
		}
	}
	t := r.now()
	var points []metric.Point
	var errs []error
	found := false
	for _, ch := range r.chassis {
		pts, watts, ok, err := r.readChassis(ctx, ch, t)
		points = append(points, pts...)
		if err != nil {
			errs = append(errs, fmt.Errorf("redfish: %s chassis %s: %w", r.host, ch.id, err))
			continue
		}
		if ok && !found {
			found = true
			r.last = appraisal.Reading{Kind: appraisal.KindHost, ID: r.host, Model: ch.model, At: t,
				PowerW: watts, PowerSource: appraisal.PowerWall}
		}
	}
	if len(errs) > 0 {
		r.chassis = nil // a link may have moved (firmware update): discover again
		return points, errors.Join(errs...)
	}
	if !found {
		return points, fmt.Errorf("redfish: %w: the BMC at %s reports no chassis power (no EnvironmentMetrics.PowerWatts or Power.PowerControl); set [collectors.redfish] enabled = false",
			ErrUnavailable, r.host)
	}
	r.haveOK = true
	return points, nil
}

type odataLink struct {
	ID string `json:"@odata.id"`
}

// discover walks the service root to the chassis and their power links.
func (r *Redfish) discover(ctx context.Context) error {
	var coll struct {
		Members []odataLink `json:"Members"`
	}
	if err := r.client.get(ctx, "/redfish/v1/Chassis", &coll); err != nil {
		return err
	}
	var out []*rfChassis
	for _, m := range coll.Members {
		var c struct {
			ID             string    `json:"Id"`
			Name           string    `json:"Name"`
			Manufacturer   string    `json:"Manufacturer"`
			Model          string    `json:"Model"`
			EnvMetrics     odataLink `json:"EnvironmentMetrics"`
			Power          odataLink `json:"Power"`
			PowerSubsystem odataLink `json:"PowerSubsystem"`
		}
		if err := r.client.get(ctx, m.ID, &c); err != nil {
			return err
		}
		ch := &rfChassis{id: c.ID, envMetrics: c.EnvMetrics.ID, legacyPower: c.Power.ID, model: strings.TrimSpace(c.Model)}
		if ch.id == "" {
			ch.id = m.ID
		}
		if ch.model == "" {
			ch.model = strings.TrimSpace(c.Name)
		}
		if c.PowerSubsystem.ID != "" {
			psus, err := r.discoverPSUs(ctx, c.PowerSubsystem.ID)
			if err != nil {
				return err
			}
			ch.psuMetrics = psus
		}
		out = append(out, ch)
	}
	r.chassis = out
	return nil
}

func (r *Redfish) discoverPSUs(ctx context.Context, subsystem string) ([]rfPSU, error) {
	var sub struct {
		PowerSupplies odataLink `json:"PowerSupplies"`
	}
	if err := r.client.get(ctx, subsystem, &sub); err != nil || sub.PowerSupplies.ID == "" {
		return nil, err
	}
	var coll struct {
		Members []odataLink `json:"Members"`
	}
	if err := r.client.get(ctx, sub.PowerSupplies.ID, &coll); err != nil {
		return nil, err
	}
	var out []rfPSU
	for _, m := range coll.Members {
		var p struct {
			ID      string    `json:"Id"`
			Name    string    `json:"Name"`
			Metrics odataLink `json:"Metrics"`
		}
		if err := r.client.get(ctx, m.ID, &p); err != nil {
			return nil, err
		}
		if p.Metrics.ID != "" {
			out = append(out, rfPSU{name: firstNonEmpty(p.ID, p.Name, m.ID), metrics: p.Metrics.ID})
		}
	}
	return out, nil
}

// rfNumber is a Redfish number that BMCs also send as null or, now and
// then, as a string ("N/A", "123"): anything but a finite number is no
// reading, never zero watts.
type rfNumber struct {
	v  float64
	ok bool
}

func (n *rfNumber) UnmarshalJSON(b []byte) error {
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	if f, isNum := x.(float64); isNum {
		n.v, n.ok = f, true
	}
	return nil
}

type rfReading struct {
	Reading rfNumber `json:"Reading"`
}

// readChassis reads one chassis; ok says it had a chassis power figure.
func (r *Redfish) readChassis(ctx context.Context, ch *rfChassis, t time.Time) (points []metric.Point, watts float64, ok bool, err error) {
	tags := func(extra ...string) map[string]string {
		m := map[string]string{"source": "redfish", "bmc": r.host, "chassis": ch.id}
		if ch.model != "" {
			m["model"] = ch.model
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	f := map[string]any{}
	if ch.envMetrics != "" {
		var env struct {
			PowerWatts rfReading `json:"PowerWatts"`
		}
		if err := r.client.get(ctx, ch.envMetrics, &env); err != nil {
			return nil, 0, false, err
		}
		if env.PowerWatts.Reading.ok {
			f["power_w"] = env.PowerWatts.Reading.v
		}
	}
	// The Power resource: the chassis figure when EnvironmentMetrics has
	// none, and the power supplies when PowerSubsystem has no metrics.
	if ch.legacyPower != "" && (f["power_w"] == nil || len(ch.psuMetrics) == 0) {
		var pw struct {
			PowerControl []struct {
				PowerConsumedWatts rfNumber `json:"PowerConsumedWatts"`
				PowerCapacityWatts rfNumber `json:"PowerCapacityWatts"`
				PowerMetrics       struct {
					Min rfNumber `json:"MinConsumedWatts"`
					Max rfNumber `json:"MaxConsumedWatts"`
					Avg rfNumber `json:"AverageConsumedWatts"`
				} `json:"PowerMetrics"`
			} `json:"PowerControl"`
			PowerSupplies []struct {
				MemberID             string   `json:"MemberId"`
				Name                 string   `json:"Name"`
				PowerInputWatts      rfNumber `json:"PowerInputWatts"`
				PowerOutputWatts     rfNumber `json:"PowerOutputWatts"`
				LastPowerOutputWatts rfNumber `json:"LastPowerOutputWatts"`
				LineInputVoltage     rfNumber `json:"LineInputVoltage"`
				PowerCapacityWatts   rfNumber `json:"PowerCapacityWatts"`
			} `json:"PowerSupplies"`
		}
		if err := r.client.get(ctx, ch.legacyPower, &pw); err != nil {
			return nil, 0, false, err
		}
		if len(pw.PowerControl) > 0 && f["power_w"] == nil {
			pc := pw.PowerControl[0]
			put(f, "power_w", pc.PowerConsumedWatts)
			put(f, "power_min_w", pc.PowerMetrics.Min)
			put(f, "power_max_w", pc.PowerMetrics.Max)
			put(f, "power_avg_w", pc.PowerMetrics.Avg)
			put(f, "power_capacity_w", pc.PowerCapacityWatts)
		}
		if len(ch.psuMetrics) == 0 {
			for i, ps := range pw.PowerSupplies {
				pf := map[string]any{}
				put(pf, "input_power_w", ps.PowerInputWatts)
				if ps.PowerOutputWatts.ok {
					put(pf, "output_power_w", ps.PowerOutputWatts)
				} else {
					put(pf, "output_power_w", ps.LastPowerOutputWatts)
				}
				put(pf, "input_voltage_v", ps.LineInputVoltage)
				put(pf, "capacity_w", ps.PowerCapacityWatts)
				if len(pf) > 0 {
					name := firstNonEmpty(ps.MemberID, ps.Name, fmt.Sprint(i))
					points = append(points, metric.New("host_psu", tags("psu", name), pf, t))
				}
			}
		}
	}
	for _, ps := range ch.psuMetrics {
		var m struct {
			InputPowerWatts  rfReading `json:"InputPowerWatts"`
			OutputPowerWatts rfReading `json:"OutputPowerWatts"`
			InputVoltage     rfReading `json:"InputVoltage"`
		}
		if err := r.client.get(ctx, ps.metrics, &m); err != nil {
			return points, 0, false, err
		}
		pf := map[string]any{}
		put(pf, "input_power_w", m.InputPowerWatts.Reading)
		put(pf, "output_power_w", m.OutputPowerWatts.Reading)
		put(pf, "input_voltage_v", m.InputVoltage.Reading)
		if len(pf) > 0 {
			points = append(points, metric.New("host_psu", tags("psu", ps.name), pf, t))
		}
	}
	w, ok := f["power_w"].(float64)
	if len(f) > 0 {
		points = append([]metric.Point{metric.New("host_power", tags(), f, t)}, points...)
	}
	return points, w, ok, nil
}

func put(f map[string]any, key string, n rfNumber) {
	if n.ok {
		f[key] = n.v
	}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
