package collectors

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// What rides along on files the host collector reads every round anyway:
// scheduler counters from /proc/stat, the thread count from /proc/loadavg,
// and swap and page-cache sizes from /proc/meminfo.

// statCounters are /proc/stat's non-CPU lines.
type statCounters struct {
	ctxt, forks, running, blocked uint64
	have                          bool
}

// parseStatCounters reads ctxt, processes, procs_running and procs_blocked.
func parseStatCounters(b []byte) statCounters {
	var s statCounters
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		key, rest := cutField(line)
		var dst *uint64
		switch string(key) {
		case "ctxt":
			dst = &s.ctxt
		case "processes":
			dst = &s.forks
		case "procs_running":
			dst = &s.running
		case "procs_blocked":
			dst = &s.blocked
		default:
			continue
		}
		f, _ := cutField(rest)
		if v, err := parseUint(f); err == nil {
			*dst, s.have = v, true
		}
	}
	return s
}

// parseLoadavgThreads reads the "running/total" field of /proc/loadavg:
// total is every thread on the host.
func parseLoadavgThreads(b []byte) (uint64, bool) {
	rest := b
	for range 3 {
		_, rest = cutField(rest)
	}
	f, _ := cutField(rest)
	_, total, ok := bytes.Cut(f, []byte("/"))
	if !ok {
		return 0, false
	}
	v, err := parseUint(total)
	return v, err == nil
}

// meminfoExtra are the /proc/meminfo lines reported beside MemTotal and
// MemAvailable, in bytes; a key the kernel lacks is left out.
var meminfoExtra = [...]struct{ key, field string }{
	{"MemFree:", "mem_free_bytes"},
	{"Buffers:", "mem_buffers_bytes"},
	{"Cached:", "mem_cached_bytes"},
	{"Shmem:", "mem_shared_bytes"},
	{"Dirty:", "mem_dirty_bytes"},
	{"SwapTotal:", "swap_total_bytes"},
	{"SwapFree:", "swap_free_bytes"},
}

// addMeminfoExtra fills meminfoExtra's fields into f, then swap use.
func addMeminfoExtra(b []byte, f map[string]any) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		for _, m := range meminfoExtra {
			if !bytes.HasPrefix(line, []byte(m.key)) {
				continue
			}
			_, rest := cutField(line)
			num, _ := cutField(rest)
			if v, err := parseUint(num); err == nil {
				f[m.field] = v * 1024
			}
			break
		}
	}
	total, ok1 := f["swap_total_bytes"].(uint64)
	free, ok2 := f["swap_free_bytes"].(uint64)
	if ok1 && ok2 && free <= total {
		f["swap_used_bytes"] = total - free
		if total > 0 {
			f["swap_used_percent"] = 100 * float64(total-free) / float64(total)
		}
	}
}

// psi is one line of a /proc/pressure file.
type psi struct {
	avg10, avg60, avg300 float64
	totalUS              uint64
}

// parsePSI reads the "some" and "full" lines of a pressure file; the cpu
// file has "full" only on kernels from 5.13.
func parsePSI(b []byte) (some, full psi, haveFull bool, err error) {
	var haveSome bool
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		kind, rest := cutField(line)
		var p psi
		n := 0
		for {
			var kv []byte
			if kv, rest = cutField(rest); len(kv) == 0 {
				break
			}
			k, v, ok := bytes.Cut(kv, []byte("="))
			if !ok {
				return some, full, false, fmt.Errorf("%q: %w", kv, errProcFormat)
			}
			switch string(k) {
			case "avg10":
				p.avg10, err = parseFloat(v)
			case "avg60":
				p.avg60, err = parseFloat(v)
			case "avg300":
				p.avg300, err = parseFloat(v)
			case "total":
				p.totalUS, err = parseUint(v)
			default:
				continue
			}
			if err != nil {
				return some, full, false, err
			}
			n++
		}
		if n != 4 {
			return some, full, false, fmt.Errorf("%s line: %w", kind, errProcFormat)
		}
		switch string(kind) {
		case "some":
			some, haveSome = p, true
		case "full":
			full, haveFull = p, true
		}
	}
	if !haveSome {
		return some, full, false, fmt.Errorf("no \"some\" line: %w", errProcFormat)
	}
	return some, full, haveFull, nil
}

// pressure reads /proc/pressure/{cpu,memory,io}. A kernel without PSI
// (before 4.20, or booted with psi=0) has no such files, or refuses to
// read them: that is said once at debug and not tried again.
func (h *Host) pressure(t time.Time) ([]metric.Point, error) {
	if h.psiAbsent {
		return nil, nil
	}
	var points []metric.Point
	var errs []error
	for _, res := range [...]string{"cpu", "memory", "io"} {
		var err error
		path := h.paths.root + "/pressure/" + res
		if h.buf, err = readProcFile(path, h.buf); err != nil {
			if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EOPNOTSUPP) {
				h.psiAbsent = true
				h.log.Debug("pressure stall information not available on this kernel (needs Linux 4.20+ with psi enabled)", "err", err)
				return nil, nil
			}
			errs = append(errs, fmt.Errorf("host: reading pressure: %w", err))
			continue
		}
		some, full, haveFull, err := parsePSI(h.buf)
		if err != nil {
			errs = append(errs, fmt.Errorf("host: %s: %w", path, err))
			continue
		}
		f := map[string]any{
			"some_avg10_percent": some.avg10, "some_avg60_percent": some.avg60, "some_avg300_percent": some.avg300,
			"some_stall_us_total": some.totalUS,
		}
		if haveFull {
			f["full_avg10_percent"], f["full_avg60_percent"], f["full_avg300_percent"] = full.avg10, full.avg60, full.avg300
			f["full_stall_us_total"] = full.totalUS
		}
		points = append(points, metric.New("host_pressure", map[string]string{"resource": res}, f, t))
	}
	return points, errors.Join(errs...)
}

// vmstatFields are the /proc/vmstat counters reported, with their names.
var vmstatFields = [...]struct {
	key, field string
	pages      bool
}{
	{"pswpin", "swap_in_bytes_total", true},
	{"pswpout", "swap_out_bytes_total", true},
	{"pgmajfault", "page_faults_major_total", false},
	{"pgfault", "page_faults_total", false},
	{"oom_kill", "oom_kills_total", false},
}

// vmstat reads swap traffic, page faults and OOM kills.
func (h *Host) vmstat(t time.Time) (metric.Point, error) {
	var err error
	if h.buf, err = readProcFile(h.paths.root+"/vmstat", h.buf); err != nil {
		return metric.Point{}, fmt.Errorf("host: reading /proc/vmstat: %w", err)
	}
	f := map[string]any{}
	page := uint64(syscall.Getpagesize())
	for b := h.buf; len(b) > 0; {
		var line []byte
		line, b = nextLine(b)
		key, rest := cutField(line)
		for _, m := range vmstatFields {
			if string(key) != m.key {
				continue
			}
			num, _ := cutField(rest)
			if v, err := parseUint(num); err == nil {
				if m.pages {
					v *= page
				}
				f[m.field] = v
			}
			break
		}
	}
	if len(f) == 0 {
		return metric.Point{}, nil
	}
	return metric.New("host_vmstat", nil, f, t), nil
}

// cpuFreq reads each CPU's current clock from cpufreq, or from
// /proc/cpuinfo's "cpu MHz" where there is no cpufreq driver (most VMs).
func (h *Host) cpuFreq(t time.Time) []metric.Point {
	var points []metric.Point
	if !h.noCPUFreq {
		for _, c := range h.prev {
			var err error
			h.buf, err = readProcFile(h.sysRoot()+"/devices/system/cpu/"+c.CPU+"/cpufreq/scaling_cur_freq", h.buf)
			if err != nil {
				if len(points) == 0 {
					h.noCPUFreq = true // no driver: fall back for good
				}
				break
			}
			f, _ := cutField(h.buf)
			khz, err := parseUint(f)
			if err != nil {
				continue
			}
			points = append(points, metric.New("host_cpufreq", map[string]string{"cpu": c.CPU},
				map[string]any{"freq_mhz": float64(khz) / 1000}, t))
		}
		if !h.noCPUFreq {
			return points
		}
	}
	var err error
	if h.buf, err = readProcFile(h.paths.root+"/cpuinfo", h.buf); err != nil {
		return nil
	}
	cpu := -1
	for b := h.buf; len(b) > 0; {
		var line []byte
		line, b = nextLine(b)
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch string(bytes.TrimSpace(k)) {
		case "processor":
			cpu, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		case "cpu MHz":
			mhz, err := parseFloat(bytes.TrimSpace(v))
			if err != nil || cpu < 0 {
				continue
			}
			points = append(points, metric.New("host_cpufreq", map[string]string{"cpu": "cpu" + strconv.Itoa(cpu)},
				map[string]any{"freq_mhz": mhz}, t))
		}
	}
	return points
}
