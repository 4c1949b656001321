package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v3/common"
	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/host"
	"github.com/shirou/gopsutil/v3/load"
	"github.com/shirou/gopsutil/v3/mem"

	"github.com/perwatt/perwatt/internal/metric"
)

// HostOptions configures the host collector. Zero values take the defaults.
type HostOptions struct {
	PerCPU bool // emit one host_cpu point per logical CPU
	// TempInterval spaces out temperature reads, which cost several sysfs
	// reads per sensor; default 10s. host_temp points appear only when read.
	TempInterval time.Duration
	// SlowInterval spaces out what costs a file per mount, process or CPU:
	// disk space, process states, CPU frequency, pressure and vmstat
	// counters; default 10s.
	SlowInterval time.Duration
	// Mounts, Devices and Interfaces pick what host_disk, host_diskio and
	// host_net report. Nil Exclude lists take DefaultMountsExclude and
	// DefaultDevicesExclude; virtual interfaces (loopback, bridges, veth)
	// are left out unless an Include pattern names them.
	Mounts, Devices, Interfaces NameFilter
	// FSTypesExclude lists filesystem types host_disk leaves out; nil takes
	// DefaultFSTypesExclude.
	FSTypesExclude []string
	// Skip turns parts off by name (HostParts): a host that needs none of
	// its disks' or interfaces' numbers saves their reads.
	Skip []string
	// ProcRoot and SysRoot point at another /proc and /sys (a container
	// with the host's mounted at /host/proc, or test fixtures); RootFS is
	// where the host's root filesystem is mounted for disk space.
	ProcRoot, SysRoot, RootFS string
}

// Host reads CPU utilisation, load, memory, uptime and temperatures. It runs
// every second in the agent, so each call reads /proc/stat, /proc/loadavg
// and /proc/meminfo once and nothing else; the CPU model, flags and boot
// time are read on the first call and kept.
type Host struct {
	opts HostOptions
	log  *slog.Logger
	env  common.EnvMap
	now  func() time.Time

	paths procPaths

	mu        sync.Mutex
	static    *hostStatic
	buf       []byte          // reused for every /proc read
	cur, prev []cpu.TimesStat // per-CPU times now and at the last call; swapped
	prevTotal cpu.TimesStat
	primed    bool
	lastTemp  time.Time
	lastSlow  time.Time
	calls     int
	skip      map[string]bool

	stat      statCounters // /proc/stat's scheduler lines, from the CPU read
	disk, net ioState
	psiAbsent bool // kernel without pressure stall information
	noCPUFreq bool // no cpufreq driver: clocks from /proc/cpuinfo
}

type hostStatic struct {
	model   string
	logical int64
	flags   map[string]bool
}

// hashingFlags are the CPU features the SHA-256d kernels dispatch on.
func hashingFlags() []string { return []string{"sha_ni", "avx2", "avx512f"} }

// HostParts are the parts of the host collector that Skip can turn off.
func HostParts() []string {
	return []string{"diskio", "net", "temp", "disk", "processes", "pressure", "vmstat", "cpufreq"}
}

// NewHost returns the host collector.
func NewHost(opts HostOptions, log *slog.Logger) *Host {
	if opts.TempInterval <= 0 {
		opts.TempInterval = 10 * time.Second
	}
	if opts.SlowInterval <= 0 {
		opts.SlowInterval = 10 * time.Second
	}
	if opts.Mounts.Exclude == nil {
		opts.Mounts.Exclude = DefaultMountsExclude()
	}
	if opts.Devices.Exclude == nil {
		opts.Devices.Exclude = DefaultDevicesExclude()
	}
	opts.RootFS = strings.TrimSuffix(opts.RootFS, "/")
	h := &Host{
		opts: opts, log: log.With("collector", "host"), now: time.Now, paths: newProcPaths(opts.ProcRoot),
		disk: newIOState(), net: newIOState(), skip: map[string]bool{},
	}
	for _, p := range opts.Skip {
		h.skip[p] = true
	}
	if opts.ProcRoot != "" || opts.SysRoot != "" {
		h.env = common.EnvMap{}
		if opts.ProcRoot != "" {
			h.env[common.HostProcEnvKey] = opts.ProcRoot
		}
		if opts.SysRoot != "" {
			h.env[common.HostSysEnvKey] = opts.SysRoot
		}
	}
	return h
}

func (h *Host) Name() string { return "host" }

// ReportsRates is true: CPU utilisation and I/O rates need two samples.
func (h *Host) ReportsRates() bool { return true }

// Collect reads one sample. CPU utilisation is the change since the previous
// call, so the first call primes and reports no cpu_*_percent fields.
func (h *Host) Collect(ctx context.Context) ([]metric.Point, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if h.env != nil {
		// gopsutil takes per-call roots from the context, so tests and
		// containers never touch process-wide environment variables.
		ctx = context.WithValue(ctx, common.EnvKey, h.env)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.now()
	if h.static == nil {
		h.static = h.readStatic(ctx)
	}
	st := h.static
	var errs []error
	f := map[string]any{}
	tags := map[string]string{}
	if st.model != "" {
		tags["cpu_model"] = st.model
	}
	if st.logical > 0 {
		f["cpu_logical_cores"] = st.logical
	}
	if st.flags != nil {
		for _, fl := range hashingFlags() {
			f["cpu_"+fl] = st.flags[fl]
		}
	}
	if up, ok := h.uptime(); ok {
		f["uptime_s"] = up
	}

	var cpuPoints []metric.Point
	if times, err := h.cpuTimes(ctx); err != nil || len(times) == 0 {
		errs = append(errs, fmt.Errorf("host: reading CPU times: %w", errOrEmpty(err)))
	} else {
		cpuPoints = h.cpuUsage(times, f, t)
	}
	if st := h.stat; st.have {
		f["procs_running"], f["procs_blocked"] = st.running, st.blocked
		f["forks_total"], f["context_switches_total"] = st.forks, st.ctxt
	}
	if l1, l5, l15, err := h.loadAvg(ctx); err != nil {
		errs = append(errs, fmt.Errorf("host: reading load average: %w", err))
	} else {
		f["load1"], f["load5"], f["load15"] = l1, l5, l15
		if n, ok := parseLoadavgThreads(h.buf); ok {
			f["threads"] = n
		}
	}
	if total, avail, err := h.memory(ctx); err != nil {
		errs = append(errs, fmt.Errorf("host: reading memory: %w", err))
	} else {
		f["mem_total_bytes"] = total
		f["mem_available_bytes"] = avail
		if total > 0 && avail <= total {
			// Used as the kernel means it: what cannot be reclaimed.
			f["mem_used_bytes"] = total - avail
			f["mem_used_percent"] = 100 * float64(total-avail) / float64(total)
		}
		if len(h.buf) > 0 {
			addMeminfoExtra(h.buf, f) // still /proc/meminfo
		}
	}

	var points []metric.Point
	if len(f) > 0 {
		points = append(points, metric.New("host", tags, f, t))
	}
	points = append(points, cpuPoints...)
	if !h.skip["diskio"] {
		if pts, err := h.diskIO(t); err != nil {
			errs = append(errs, err)
		} else {
			points = append(points, pts...)
		}
	}
	if !h.skip["net"] {
		if pts, err := h.netIO(t); err != nil {
			errs = append(errs, err)
		} else {
			points = append(points, pts...)
		}
	}
	// The spaced-out reads also run on the first two calls, so a one-shot
	// (`agent --once`, `collect`), whose second call is its round, has them.
	h.calls = min(h.calls+1, 3)
	early := h.calls <= 2
	if !h.skip["temp"] && (early || t.Sub(h.lastTemp) >= h.opts.TempInterval) {
		h.lastTemp = t
		points = append(points, h.temperatures(ctx, t)...)
	}
	if early || t.Sub(h.lastSlow) >= h.opts.SlowInterval {
		h.lastSlow = t
		points, errs = h.slow(t, points, errs)
	}
	return points, errors.Join(errs...)
}

// slow reads what the slow interval spaces out.
func (h *Host) slow(t time.Time, points []metric.Point, errs []error) ([]metric.Point, []error) {
	if !h.skip["disk"] {
		pts, err := h.diskUsage(t)
		if err != nil {
			errs = append(errs, err)
		}
		points = append(points, pts...)
	}
	if !h.skip["processes"] {
		if p, err := h.processes(t); err != nil {
			errs = append(errs, err)
		} else {
			points = append(points, p)
		}
	}
	if !h.skip["pressure"] {
		if pts, err := h.pressure(t); err != nil {
			errs = append(errs, err)
		} else {
			points = append(points, pts...)
		}
	}
	if !h.skip["vmstat"] {
		if p, err := h.vmstat(t); err != nil {
			errs = append(errs, err)
		} else if p.Measurement != "" {
			points = append(points, p)
		}
	}
	if h.opts.PerCPU && !h.skip["cpufreq"] {
		points = append(points, h.cpuFreq(t)...)
	}
	return points, errs
}

func errOrEmpty(err error) error {
	if err != nil {
		return err
	}
	return errors.New("no cpu lines in /proc/stat")
}

// cpuTimes reads the per-CPU times from /proc/stat directly, or through
// gopsutil where that fails. The slice is h.cur, valid until the next call.
func (h *Host) cpuTimes(ctx context.Context) ([]cpu.TimesStat, error) {
	var err error
	if h.buf, err = readProcFile(h.paths.stat, h.buf); err == nil {
		if h.cur, err = parseProcStat(h.buf, h.cur[:0], h.prev); err == nil {
			h.stat = parseStatCounters(h.buf)
			return h.cur, nil
		}
	}
	times, gerr := cpu.TimesWithContext(ctx, true)
	if gerr != nil || len(times) == 0 {
		return nil, errors.Join(err, gerr)
	}
	h.cur = append(h.cur[:0], times...)
	return h.cur, nil
}

func (h *Host) loadAvg(ctx context.Context) (l1, l5, l15 float64, err error) {
	if h.buf, err = readProcFile(h.paths.loadavg, h.buf); err == nil {
		if l1, l5, l15, err = parseLoadavg(h.buf); err == nil {
			return l1, l5, l15, nil
		}
	}
	avg, err := load.AvgWithContext(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	return avg.Load1, avg.Load5, avg.Load15, nil
}

func (h *Host) memory(ctx context.Context) (total, avail uint64, err error) {
	if h.buf, err = readProcFile(h.paths.meminfo, h.buf); err == nil {
		if total, avail, err = parseMeminfo(h.buf); err == nil {
			return total, avail, nil
		}
	}
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return 0, 0, err
	}
	return vm.Total, vm.Available, nil
}

// cpuUsage fills the total utilisation into f and returns per-CPU points,
// both as the change since the previous call. Counters that went backwards
// (CPU hot-plug, counter reset) restart the priming for that CPU. times is
// h.cur; afterwards it is h.prev.
func (h *Host) cpuUsage(times []cpu.TimesStat, f map[string]any, t time.Time) []metric.Point {
	var total cpu.TimesStat
	for _, c := range times {
		total = addTimes(total, c)
	}
	// Cumulative seconds per state, as Telegraf's cpu time_* fields.
	f["cpu_time_user_s"], f["cpu_time_nice_s"], f["cpu_time_system_s"] = total.User, total.Nice, total.System
	f["cpu_time_idle_s"], f["cpu_time_iowait_s"], f["cpu_time_irq_s"] = total.Idle, total.Iowait, total.Irq
	f["cpu_time_softirq_s"], f["cpu_time_steal_s"] = total.Softirq, total.Steal
	prev, prevTotal, primed := h.prev, h.prevTotal, h.primed
	h.prev, h.cur = times, prev[:0]
	h.prevTotal, h.primed = total, true
	if !primed {
		return nil
	}
	if len(prev) == len(times) {
		if u, ok := usage(prevTotal, total); ok {
			f["cpu_usage_percent"] = u.busy
			f["cpu_user_percent"] = u.user
			f["cpu_system_percent"] = u.system
			f["cpu_iowait_percent"] = u.iowait
			f["cpu_steal_percent"] = u.steal
		}
	}
	if !h.opts.PerCPU {
		return nil
	}
	points := make([]metric.Point, 0, len(times))
	for i, c := range times {
		p, ok := findCPU(prev, i, c.CPU)
		if !ok {
			continue
		}
		u, ok := usage(p, c)
		if !ok {
			continue
		}
		points = append(points, metric.New("host_cpu", map[string]string{"cpu": c.CPU}, map[string]any{
			"usage_percent": u.busy, "user_percent": u.user, "system_percent": u.system,
			"iowait_percent": u.iowait, "steal_percent": u.steal,
		}, t))
	}
	return points
}

// findCPU looks name up in prev, first at the index it had last time.
func findCPU(prev []cpu.TimesStat, i int, name string) (cpu.TimesStat, bool) {
	if i < len(prev) && prev[i].CPU == name {
		return prev[i], true
	}
	for _, p := range prev {
		if p.CPU == name {
			return p, true
		}
	}
	return cpu.TimesStat{}, false
}

type cpuPercent struct{ busy, user, system, iowait, steal float64 }

// usage is the share of time between two samples. Guest time is already
// counted in user time on Linux, so it is not added again.
func usage(a, b cpu.TimesStat) (cpuPercent, bool) {
	all := func(c cpu.TimesStat) float64 {
		return c.User + c.Nice + c.System + c.Idle + c.Iowait + c.Irq + c.Softirq + c.Steal
	}
	dt := all(b) - all(a)
	if dt <= 0 || b.Idle < a.Idle || b.User < a.User || b.System < a.System {
		return cpuPercent{}, false
	}
	// Rounded to 0.001 %: tick counts make anything finer float noise.
	pct := func(x float64) float64 { return math.Round(min(max(100*x/dt, 0), 100)*1000) / 1000 }
	idle := (b.Idle - a.Idle) + (b.Iowait - a.Iowait)
	return cpuPercent{
		busy:   pct(dt - idle),
		user:   pct((b.User + b.Nice) - (a.User + a.Nice)),
		system: pct((b.System + b.Irq + b.Softirq) - (a.System + a.Irq + a.Softirq)),
		iowait: pct(b.Iowait - a.Iowait),
		steal:  pct(b.Steal - a.Steal),
	}, true
}

func addTimes(a, b cpu.TimesStat) cpu.TimesStat {
	a.User += b.User
	a.Nice += b.Nice
	a.System += b.System
	a.Idle += b.Idle
	a.Iowait += b.Iowait
	a.Irq += b.Irq
	a.Softirq += b.Softirq
	a.Steal += b.Steal
	return a
}

// readStatic reads what does not change while the machine runs. Failures
// leave fields empty and are logged once: the dynamic readings still work.
func (h *Host) readStatic(ctx context.Context) *hostStatic {
	st := &hostStatic{}
	if infos, err := cpu.InfoWithContext(ctx); err != nil || len(infos) == 0 {
		h.log.Debug("cpu model and flags unavailable", "err", err)
	} else {
		st.model = strings.TrimSpace(infos[0].ModelName)
		st.logical = int64(len(infos))
		st.flags = map[string]bool{}
		for _, fl := range hashingFlags() {
			st.flags[fl] = slices.Contains(infos[0].Flags, fl)
		}
	}
	return st
}

// uptime reads /proc/uptime directly: one tiny read, where gopsutil's
// Uptime probes for virtualisation through a dozen files on every call.
// Hosts without it (non-Linux) report no uptime_s.
func (h *Host) uptime() (int64, bool) {
	var err error
	if h.buf, err = readProcFile(h.paths.uptime, h.buf); err != nil {
		return 0, false
	}
	v, err := parseUptime(h.buf)
	return v, err == nil
}

// temperatures reads the hwmon (or thermal zone) sensors. A host without
// sensors (most VMs) yields no points and no error.
func (h *Host) temperatures(ctx context.Context, t time.Time) []metric.Point {
	temps, err := host.SensorsTemperaturesWithContext(ctx)
	if err != nil {
		h.log.Debug("some temperature sensors could not be read", "err", err)
	}
	seen := map[string]int{}
	var points []metric.Point
	for _, s := range temps {
		if s.Temperature == 0 && s.High == 0 && s.Critical == 0 {
			continue // unpopulated sensor
		}
		key := s.SensorKey
		if n := seen[key]; n > 0 {
			key = fmt.Sprintf("%s_%d", key, n) // two sensors with one label
		}
		seen[s.SensorKey]++
		f := map[string]any{"temp_c": s.Temperature}
		if s.High > 0 {
			f["temp_high_c"] = s.High
		}
		if s.Critical > 0 {
			f["temp_crit_c"] = s.Critical
		}
		points = append(points, metric.New("host_temp", map[string]string{"sensor": key}, f, t))
	}
	return points
}
