package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

// ASICRig is one miner. Address is host:port: 4028 for the cgminer API and
// ePIC, 80 for the HTTP APIs (AxeOS, VNish, Antminer stock web).
type ASICRig struct {
	Address    string  // host:port
	Name       string  // optional; the rig tag, else MAC, else address
	Site, Rack string  // optional tags
	NameplateW float64 // used as power_w only when the firmware reports none
	// Firmware forces the protocol: one of ASICFirmwares. Empty detects it.
	Firmware string
}

// ASICCredentials log in to web APIs that need it (Antminer stock web,
// VNish). They are never logged or put in errors.
type ASICCredentials struct {
	User, Password string
}

// ASICOptions bounds the polling. Zero values take the defaults.
type ASICOptions struct {
	Timeout       time.Duration // per command or HTTP request; default 5s
	RigTimeout    time.Duration // per rig, all its commands together; default 3 × Timeout
	Concurrency   int           // rigs polled at once; default 256
	MaxReplyBytes int           // per reply; default 1 MiB
	// IdentityEvery re-reads identity (version, devdetails, model, serial)
	// every this many polls; 0 = every 10 polls.
	IdentityEvery int

	Ranges          []ASICRange   // address ranges to discover rigs in
	Rescan          time.Duration // how often ranges are scanned for new rigs; default 10m
	DiscoverTimeout time.Duration // to connect to an address during a scan; default 1s

	Credentials ASICCredentials
	HTTPClient  *http.Client // optional; tests and custom transports
}

// ASICFirmwares are the values ASICRig.Firmware accepts.
var ASICFirmwares = []string{fwAntminer, fwBraiins, fwWhatsminer, fwLuxOS, fwCgminer,
	fwAxeOS, fwVNish, fwEPIC, apiAntminerWeb, apiWhatsminerV3}

// ASIC polls a fleet of miners. Rigs are polled concurrently (bounded), each
// under its own deadline, so a dead rig costs one timeout and never delays
// the others. Rigs found in ranges are kept once seen: one that stops
// answering is reported with up=0 until the agent restarts.
type ASIC struct {
	opts ASICOptions
	log  *slog.Logger
	now  func() time.Time
	http *http.Client

	collectMu sync.Mutex // one Collect at a time: rig state is per poll
	bufs      sync.Pool  // *[]byte reply buffers for the TCP API
	digests   digestCache
	scan      *scanner

	mu   sync.Mutex  // guards rigs and each state's last
	rigs []*rigState // listed rigs first, then discovered ones in the order found
}

// rigState is what the collector remembers about a rig between polls.
type rigState struct {
	rig   ASICRig
	polls int
	api   string          // protocol detected (or forced); "" until known
	caps  map[string]bool // cgminer command -> supported, learned by probing
	ident ASICReading     // identity from the last identity read
	last  ASICReading     // guarded by ASIC.mu
	seen  bool            // answered at least once

	summary map[string]any // the summary detection read, for the poll that follows
}

// NewASIC returns a collector for rigs and, through opts.Ranges, for the
// rigs it discovers.
func NewASIC(rigs []ASICRig, opts ASICOptions, log *slog.Logger) *ASIC {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.RigTimeout <= 0 {
		opts.RigTimeout = 3 * opts.Timeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 256
	}
	if opts.MaxReplyBytes <= 0 {
		opts.MaxReplyBytes = 1 << 20
	}
	if opts.IdentityEvery <= 0 {
		opts.IdentityEvery = 10
	}
	if opts.Rescan <= 0 {
		opts.Rescan = 10 * time.Minute
	}
	if opts.DiscoverTimeout <= 0 {
		opts.DiscoverTimeout = min(time.Second, opts.Timeout)
	}
	a := &ASIC{opts: opts, log: log.With("collector", "asic"), now: time.Now}
	a.http = opts.HTTPClient
	if a.http == nil {
		a.http = newRigHTTPClient(opts)
	}
	for _, r := range rigs {
		a.rigs = append(a.rigs, &rigState{rig: r, api: apiFor(r.Firmware)})
	}
	if len(opts.Ranges) > 0 {
		a.scan = newScanner(opts.Ranges)
	}
	return a
}

func (a *ASIC) Name() string { return "asic" }

// Collect polls every known rig and, when a scan is due, every address of
// the configured ranges not yet known. A known rig that cannot be read
// yields an `asic` point with up=0 and its error, joined into the returned
// error; the other rigs' points are returned regardless. Addresses of a
// range that do not answer a scan are not rigs and yield nothing.
func (a *ASIC) Collect(ctx context.Context) ([]metric.Point, error) {
	a.collectMu.Lock()
	defer a.collectMu.Unlock()
	a.mu.Lock()
	states := slices.Clone(a.rigs)
	a.mu.Unlock()
	var candidates []*rigState
	if a.scan != nil && a.scan.due(a.now(), a.opts.Rescan) {
		hosts := make(map[string]bool, len(states))
		for _, st := range states {
			hosts[hostOf(st.rig.Address)] = true
		}
		for _, r := range a.scan.addresses() {
			if !hosts[hostOf(r.Address)] { // a rig answering on two ports is one rig
				candidates = append(candidates, &rigState{rig: r, api: apiFor(r.Firmware)})
			}
		}
	}

	all := append(states, candidates...)
	readings := make([]ASICReading, len(all))
	errs := make([]error, len(all))
	sem := make(chan struct{}, a.opts.Concurrency)
	var wg sync.WaitGroup
	for i, st := range all {
		candidate := i >= len(states)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = fmt.Errorf("rig %s: not polled: %w", rigLabel(st.rig), ctx.Err())
			readings[i] = a.down(st, errs[i])
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			readings[i], errs[i] = a.pollRig(ctx, st, candidate)
		})
	}
	wg.Wait()

	var points []metric.Point
	var errList []error
	a.mu.Lock()
	found := map[string]bool{}
	for i, st := range all {
		if i >= len(states) {
			if errs[i] != nil || found[hostOf(st.rig.Address)] {
				continue // not a rig, or one already found on an earlier port
			}
			found[hostOf(st.rig.Address)] = true
			a.rigs = append(a.rigs, st)
		}
		st.last = readings[i]
		points = append(points, readings[i].points()...)
		if errs[i] != nil {
			errList = append(errList, errs[i])
		}
	}
	total := len(a.rigs)
	a.mu.Unlock()
	return points, summarizeErrors(errList, total)
}

// maxRigErrors bounds the returned error: with thousands of rigs down the
// log line would be megabytes, and each rig's own error is already in its
// up=0 point.
const maxRigErrors = 10

func summarizeErrors(errs []error, total int) error {
	if len(errs) <= maxRigErrors {
		return errors.Join(errs...)
	}
	shown := append(errs[:maxRigErrors:maxRigErrors], fmt.Errorf("%d of %d rigs did not answer in all; each one's error is in its asic point (up=0, error)", len(errs), total))
	return errors.Join(shown...)
}

// Readings returns the latest reading of every rig that answered its last
// poll (not the down ones), for the economics.
func (a *ASIC) Readings() []appraisal.Reading {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []appraisal.Reading
	for _, st := range a.rigs {
		if st.last.Up {
			out = append(out, st.last.appraisalReading())
		}
	}
	return out
}

// Rigs returns the number of rigs known: listed ones plus discovered ones.
func (a *ASIC) Rigs() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.rigs)
}

// pollRig reads one rig under its own deadline with the rig's protocol,
// detecting the protocol on first contact.
func (a *ASIC) pollRig(ctx context.Context, st *rigState, candidate bool) (ASICReading, error) {
	if candidate {
		// An address in a range is first only knocked on, under the short
		// discovery timeout: most addresses of a scanned subnet are empty,
		// and an empty one must not cost a full command timeout.
		d := net.Dialer{Timeout: a.opts.DiscoverTimeout}
		conn, err := d.DialContext(ctx, "tcp", st.rig.Address)
		if err != nil {
			return ASICReading{}, err
		}
		conn.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.RigTimeout)
	defer cancel()
	r := a.base(st)
	var err error
	if st.api == "" {
		st.api, err = a.detect(ctx, st)
	}
	if err == nil {
		identity := st.polls%a.opts.IdentityEvery == 0 || !st.seen
		switch st.api {
		case apiCgminer:
			err = a.pollCgminer(ctx, st, &r, identity)
		case apiWhatsminerV3:
			err = a.pollWhatsminerV3(ctx, st, &r, identity)
		default:
			err = a.pollHTTP(ctx, st, &r, identity)
		}
	}
	if err != nil {
		if candidate || !st.seen {
			st.api = apiFor(st.rig.Firmware) // detect again next time
		}
		// A rig that comes back may have been re-flashed: probe its
		// capabilities and read its identity again.
		st.caps, st.polls = nil, 0
		err = fmt.Errorf("rig %s: %w", rigLabel(st.rig), err)
		return a.down(st, err), err
	}
	st.polls++
	st.seen = true
	r.Up = true
	r.Partial = len(r.FailedCommands) > 0
	if r.Partial {
		a.log.Debug("rig answered partly", "rig", rigLabel(st.rig), "failed", r.FailedCommands)
	}
	st.keepIdentity(&r)
	r.finish(st.rig.NameplateW)
	return r, nil
}

func (a *ASIC) base(st *rigState) ASICReading {
	return ASICReading{Address: st.rig.Address, Name: st.rig.Name, Site: st.rig.Site, Rack: st.rig.Rack, At: a.now()}
}

// keepIdentity carries identity read on an earlier poll into this one, and
// remembers what this poll read, so identity is asked only now and then.
func (st *rigState) keepIdentity(r *ASICReading) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&r.Model, st.ident.Model)
	fill(&r.FirmwareVersion, st.ident.FirmwareVersion)
	fill(&r.Serial, st.ident.Serial)
	fill(&r.MAC, st.ident.MAC)
	fill(&r.Hostname, st.ident.Hostname)
	st.ident = ASICReading{API: r.API, Firmware: r.Firmware, Model: r.Model, FirmwareVersion: r.FirmwareVersion,
		Serial: r.Serial, MAC: r.MAC, Hostname: r.Hostname}
}

// down is the reading of a rig that did not answer: its last known
// identity, so dashboards show a dead rig under its usual tags.
func (a *ASIC) down(st *rigState, err error) ASICReading {
	r := a.base(st)
	id := st.ident
	r.API, r.Firmware, r.Model, r.MAC = id.API, id.Firmware, id.Model, id.MAC
	r.Error = err.Error()
	return r
}

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func rigLabel(r ASICRig) string {
	if r.Name != "" {
		return r.Name + " (" + r.Address + ")"
	}
	return r.Address
}

// normalizeMAC turns the many MAC spellings firmware uses into aa:bb:cc:dd:ee:ff.
func normalizeMAC(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(strings.ReplaceAll(s, "-", ":"), ".", "")
	if len(s) == 12 && !strings.Contains(s, ":") {
		var b strings.Builder
		for i := 0; i < 12; i += 2 {
			if i > 0 {
				b.WriteByte(':')
			}
			b.WriteString(s[i : i+2])
		}
		s = b.String()
	}
	if len(s) != 17 || s == "00:00:00:00:00:00" {
		return ""
	}
	return s
}
