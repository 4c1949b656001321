package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// DefaultPowercapRoot is where Linux exposes RAPL (Intel, and AMD Zen on
// kernels >= 5.8, under the same intel-rapl names).
const DefaultPowercapRoot = "/sys/class/powercap"

// raplPermissionHelp is logged once when energy_uj is unreadable: since
// Linux 5.10 (CVE-2020-8694, "Platypus") the counters are root-only.
const raplPermissionHelp = "RAPL energy counters are readable by root only since Linux 5.10; " +
	"run perwatt as root, give the service CAP_DAC_READ_SEARCH (systemd: AmbientCapabilities=CAP_DAC_READ_SEARCH), " +
	"or grant read with a udev rule: " +
	`SUBSYSTEM=="powercap", ACTION=="add", RUN+="/bin/chmod a+r /sys%p/energy_uj" ` +
	"(a one-off `chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj` lasts until reboot)"

// RAPL reads CPU energy counters from Linux powercap: one point per zone
// (package, core, uncore, dram, psys) with the raw counter, a monotonic
// energy total corrected for wraparound, and the average power since the
// previous read.
type RAPL struct {
	root     string
	log      *slog.Logger
	readFile func(name string) ([]byte, error) // tests inject permission errors even as root
	now      func() time.Time

	mu         sync.Mutex
	zones      []*raplZone
	discovered bool
	warnedPerm bool
}

type raplZone struct {
	id       string // intel-rapl:0:1
	dir      string
	kind     string // package, die, core, uncore, dram, psys
	pkg      string // socket index, "" for psys
	maxRange uint64 // counter wraps to 0 after this many µJ

	have    bool
	last    uint64
	lastAt  time.Time
	totalUJ float64 // wrap-corrected energy since the first read
}

// NewRAPL returns a collector for the powercap tree at root ("" means
// DefaultPowercapRoot).
func NewRAPL(root string, log *slog.Logger) *RAPL {
	if root == "" {
		root = DefaultPowercapRoot
	}
	return &RAPL{root: root, log: log.With("collector", "rapl"), readFile: os.ReadFile, now: time.Now}
}

func (r *RAPL) Name() string { return "rapl" }

// ReportsRates is true: power is the change in energy between two reads.
func (r *RAPL) ReportsRates() bool { return true }

// Collect reads every zone. The first call primes the counters, so power_w
// appears from the second call on.
func (r *RAPL) Collect(ctx context.Context) ([]metric.Point, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.discover(); err != nil {
		return nil, err
	}
	t := r.now()
	var points []metric.Point
	var errs []error
	for _, z := range r.zones {
		raw, watts, hasPower, err := r.readZone(z, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f := map[string]any{"energy_uj": raw, "energy_j": z.totalUJ / 1e6}
		if hasPower {
			f["power_w"] = watts
		}
		tags := map[string]string{"zone": z.kind, "domain": z.id}
		if z.pkg != "" {
			tags["package"] = z.pkg
		}
		points = append(points, metric.New("rapl", tags, f, t))
	}
	return points, errors.Join(errs...)
}

// EnergyJ returns the CPU package energy in joules, summed over sockets and
// corrected for counter wraparound: monotonic across calls, so the
// difference between two calls is the energy used in between. Call it at
// least once per wrap period (minutes at full load) to keep it correct.
func (r *RAPL) EnergyJ(ctx context.Context) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.discover(); err != nil {
		return 0, err
	}
	t := r.now()
	sum, n := 0.0, 0
	for _, z := range r.zones {
		if z.kind != "package" {
			continue
		}
		if _, _, _, err := r.readZone(z, t); err != nil {
			return 0, err
		}
		sum += z.totalUJ / 1e6
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("rapl: %w: no package zone under %s", ErrUnavailable, r.root)
	}
	return sum, nil
}

// readZone reads energy_uj and advances the zone's totals. Power is the
// average since the previous read of this zone.
func (r *RAPL) readZone(z *raplZone, t time.Time) (raw uint64, watts float64, hasPower bool, err error) {
	path := filepath.Join(z.dir, "energy_uj")
	raw, err = r.readUint(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			if !r.warnedPerm {
				r.warnedPerm = true
				r.log.Warn("cannot read RAPL energy counters", "path", path, "fix", raplPermissionHelp)
			}
			return 0, 0, false, fmt.Errorf("rapl: %s is not readable by this user (see the log for the fix): %w", path, err)
		}
		return 0, 0, false, fmt.Errorf("rapl: %w", err)
	}
	if z.have {
		var d uint64
		switch {
		case raw >= z.last:
			d = raw - z.last
		case z.maxRange > 0 && z.last <= z.maxRange:
			d = z.maxRange - z.last + raw // wrapped once
		default:
			d = 0 // counter reset with no known range: start over rather than guess
		}
		z.totalUJ += float64(d)
		if dt := t.Sub(z.lastAt).Seconds(); dt > 0 {
			watts, hasPower = float64(d)/1e6/dt, true
		}
	}
	z.have, z.last, z.lastAt = true, raw, t
	return raw, watts, hasPower, nil
}

// discover finds the zones once; the set does not change while the
// machine runs.
func (r *RAPL) discover() error {
	if r.discovered {
		if len(r.zones) == 0 {
			return r.unavailable()
		}
		return nil
	}
	entries, err := os.ReadDir(r.root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rapl: listing %s: %w", r.root, err)
	}
	var zones []*raplZone
	var errs []error
	for _, e := range entries {
		id := e.Name()
		if !strings.HasPrefix(id, "intel-rapl:") {
			continue // the control-type directory and intel-rapl-mmio duplicates
		}
		dir := filepath.Join(r.root, id)
		nameB, err := r.readFile(filepath.Join(dir, "name"))
		if err != nil {
			errs = append(errs, fmt.Errorf("rapl: zone %s: %w", id, err))
			continue
		}
		z := &raplZone{id: id, dir: dir}
		z.kind, z.pkg = zoneKind(id, strings.TrimSpace(string(nameB)))
		if mr, err := r.readUint(filepath.Join(dir, "max_energy_range_uj")); err == nil {
			z.maxRange = mr
		}
		zones = append(zones, z)
	}
	if len(errs) > 0 && len(zones) == 0 {
		return errors.Join(errs...) // retry discovery next time
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].id < zones[j].id })
	r.zones, r.discovered = zones, true
	if len(zones) == 0 {
		return r.unavailable()
	}
	return nil
}

func (r *RAPL) unavailable() error {
	return fmt.Errorf(`rapl: %w: no intel-rapl zones under %s (virtual machine, non-x86 CPU, or the intel_rapl_msr driver is not loaded); `+
		"load it with `modprobe intel_rapl_msr`, or set [collectors.rapl] enabled = false", ErrUnavailable, r.root)
}

// zoneKind maps a zone's name file to the zone tag and socket: "package-1"
// is socket 1; subzones (core, uncore, dram) inherit the socket from their
// id, intel-rapl:<socket>:<n>.
func zoneKind(id, name string) (kind, pkg string) {
	parts := strings.Split(strings.TrimPrefix(id, "intel-rapl:"), ":")
	switch {
	case strings.HasPrefix(name, "package-") && strings.Contains(name, "-die-"):
		return "die", strings.Split(strings.TrimPrefix(name, "package-"), "-")[0]
	case strings.HasPrefix(name, "package-"):
		return "package", strings.TrimPrefix(name, "package-")
	case name == "psys":
		return "psys", ""
	case name == "":
		return "unknown", parts[0]
	}
	return name, parts[0]
}

func (r *RAPL) readUint(path string) (uint64, error) {
	b, err := r.readFile(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a counter: %w", path, strings.TrimSpace(string(b)), err)
	}
	return v, nil
}
