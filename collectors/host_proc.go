package collectors

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/shirou/gopsutil/v3/cpu"
)

// The host collector runs every second, so its hot path reads /proc/stat,
// /proc/meminfo, /proc/loadavg and /proc/uptime with plain syscalls into one
// reused buffer (host_proc_linux.go) and parses only the fields it reports.
// gopsutil stays the fallback where that is not possible (other systems, a
// /proc without MemAvailable) and for what is read once (model, flags,
// sensors): os.Open registers each /proc file with the runtime poller and
// gopsutil splits every file into strings, which together cost more than
// the collection itself at 1 Hz.

var errProcFormat = errors.New("unexpected format")

// procPaths are the files the hot path reads, joined once.
type procPaths struct {
	root, stat, meminfo, loadavg, uptime, diskstats, netdev, mountinfo string
}

func newProcPaths(root string) procPaths {
	if root == "" {
		root = "/proc"
	}
	mountinfo := root + "/self/mountinfo"
	if root != "/proc" {
		// Another machine's /proc (a container watching its host): its
		// init's view of the mounts, not this process's.
		mountinfo = root + "/1/mountinfo"
	}
	return procPaths{
		root: root, stat: root + "/stat", meminfo: root + "/meminfo", loadavg: root + "/loadavg", uptime: root + "/uptime",
		diskstats: root + "/diskstats", netdev: root + "/net/dev", mountinfo: mountinfo,
	}
}

// parseProcStat appends the per-CPU lines ("cpuN ...") of /proc/stat to dst
// as gopsutil's TimesStat (seconds), reusing CPU names from prev when they
// match so a steady host allocates no strings.
func parseProcStat(b []byte, dst, prev []cpu.TimesStat) ([]cpu.TimesStat, error) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if !bytes.HasPrefix(line, []byte("cpu")) {
			if len(dst) > 0 {
				break // the cpu lines come first and together
			}
			continue
		}
		name, rest := cutField(line)
		if len(name) == 3 {
			continue // the all-CPU line; the total is summed from the others
		}
		var v [8]uint64 // user nice system idle iowait irq softirq steal
		n := 0
		for n < len(v) {
			var f []byte
			f, rest = cutField(rest)
			if len(f) == 0 {
				break
			}
			x, err := parseUint(f)
			if err != nil {
				return dst, fmt.Errorf("/proc/stat %s: %w", name, err)
			}
			v[n] = x
			n++
		}
		if n < 4 {
			return dst, fmt.Errorf("/proc/stat %s: %w", name, errProcFormat)
		}
		t := cpu.TimesStat{
			User: float64(v[0]) / cpu.ClocksPerSec, Nice: float64(v[1]) / cpu.ClocksPerSec,
			System: float64(v[2]) / cpu.ClocksPerSec, Idle: float64(v[3]) / cpu.ClocksPerSec,
			Iowait: float64(v[4]) / cpu.ClocksPerSec, Irq: float64(v[5]) / cpu.ClocksPerSec,
			Softirq: float64(v[6]) / cpu.ClocksPerSec, Steal: float64(v[7]) / cpu.ClocksPerSec,
		}
		if i := len(dst); i < len(prev) && prev[i].CPU == string(name) {
			t.CPU = prev[i].CPU
		} else {
			t.CPU = string(name)
		}
		dst = append(dst, t)
	}
	if len(dst) == 0 {
		return dst, errors.New("no cpu lines in /proc/stat")
	}
	return dst, nil
}

// parseMeminfo returns MemTotal and MemAvailable in bytes; a kernel
// without MemAvailable (before 3.14) is left to gopsutil's estimate.
func parseMeminfo(b []byte) (total, avail uint64, err error) {
	var haveTotal, haveAvail bool
	for len(b) > 0 && !(haveTotal && haveAvail) {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		var dst *uint64
		switch {
		case bytes.HasPrefix(line, []byte("MemTotal:")):
			dst, haveTotal = &total, true
		case bytes.HasPrefix(line, []byte("MemAvailable:")):
			dst, haveAvail = &avail, true
		default:
			continue
		}
		_, rest := cutField(line)
		num, unit := cutField(rest)
		v, err := parseUint(num)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/meminfo: %w", err)
		}
		if u, _ := cutField(unit); string(u) == "kB" {
			v *= 1024
		}
		*dst = v
	}
	if !haveTotal || !haveAvail {
		return 0, 0, fmt.Errorf("/proc/meminfo: no MemTotal or MemAvailable: %w", errProcFormat)
	}
	return total, avail, nil
}

// parseLoadavg reads the first three fields of /proc/loadavg.
func parseLoadavg(b []byte) (l1, l5, l15 float64, err error) {
	var v [3]float64
	rest := b
	for i := range v {
		var f []byte
		f, rest = cutField(rest)
		if v[i], err = parseFloat(f); err != nil {
			return 0, 0, 0, fmt.Errorf("/proc/loadavg: %w", err)
		}
	}
	return v[0], v[1], v[2], nil
}

// parseUptime reads the first field of /proc/uptime, in whole seconds.
func parseUptime(b []byte) (int64, error) {
	f, _ := cutField(b)
	v, err := parseFloat(f)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("/proc/uptime: %w", errProcFormat)
	}
	return int64(v), nil
}

// cutField splits off the first space-separated field.
func cutField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' {
		j++
	}
	return b[i:j], b[j:]
}

func parseUint(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, errProcFormat
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' || v > (1<<64-1)/10-1 {
			return 0, fmt.Errorf("%q: %w", b, errProcFormat)
		}
		v = v*10 + uint64(c-'0')
	}
	return v, nil
}

func parseFloat(b []byte) (float64, error) {
	if len(b) == 0 {
		return 0, errProcFormat
	}
	// strconv does not keep a string made from b for the call.
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q: %w", b, errProcFormat)
	}
	return v, nil
}
