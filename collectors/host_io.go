package collectors

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// Disk and network I/O come from /proc/diskstats and /proc/net/dev, read
// every round into the collector's buffer: counters as the kernel keeps them
// (_total) and per-second rates over the round. Both files list every
// device on one line each, so one read serves them all; gopsutil's
// IOCounters reads the same files but also opens sysfs per device for
// labels (BenchmarkDiskIO, BenchmarkNetIO).

// diskstats columns after "major minor name", in kernel order.
const (
	dsReads = iota
	dsReadsMerged
	dsSectorsRead
	dsReadMS
	dsWrites
	dsWritesMerged
	dsSectorsWritten
	dsWriteMS
	dsInProgress
	dsIOMS
	dsWeightedMS
	dsCols
)

// /proc/net/dev columns after "name:".
const (
	ndRxBytes = iota
	ndRxPackets
	ndRxErrs
	ndRxDrop
	_ // fifo
	_ // frame
	_ // compressed
	_ // multicast
	ndTxBytes
	ndTxPackets
	ndTxErrs
	ndTxDrop
	ndCols
)

// ioCols holds either file's columns.
const ioCols = 16

const sectorBytes = 512 // /proc/diskstats counts 512-byte sectors on every device

// ioRow is one device's counters from one read.
type ioRow struct {
	name string
	v    [ioCols]uint64
}

// ioState keeps the previous read of one file for rates and each name's
// filter decision, so a steady host allocates no new names.
type ioState struct {
	prev   map[string][ioCols]uint64
	prevAt time.Time
	keep   map[string]bool
	rows   []ioRow
}

func newIOState() ioState {
	return ioState{prev: map[string][ioCols]uint64{}, keep: map[string]bool{}}
}

// parseDiskstats appends one row per line of /proc/diskstats.
func parseDiskstats(b []byte, dst []ioRow) ([]ioRow, error) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		_, rest := cutField(line) // major
		_, rest = cutField(rest)  // minor
		name, rest := cutField(rest)
		if len(name) == 0 {
			continue
		}
		var r ioRow
		n := 0
		for n < dsCols {
			var f []byte
			if f, rest = cutField(rest); len(f) == 0 {
				break
			}
			v, err := parseUint(f)
			if err != nil {
				return dst, fmt.Errorf("/proc/diskstats %s: %w", name, err)
			}
			r.v[n] = v
			n++
		}
		if n < dsCols {
			return dst, fmt.Errorf("/proc/diskstats %s: %d counters, want at least %d: %w", name, n, dsCols, errProcFormat)
		}
		r.name = internName(dst, name)
		dst = append(dst, r)
	}
	return dst, nil
}

// parseNetDev appends one row per interface of /proc/net/dev (the first
// two lines are headers).
func parseNetDev(b []byte, dst []ioRow) ([]ioRow, error) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			continue // header
		}
		name := bytes.TrimSpace(line[:i])
		rest := line[i+1:]
		var r ioRow
		n := 0
		for n < ndCols {
			var f []byte
			if f, rest = cutField(rest); len(f) == 0 {
				break
			}
			v, err := parseUint(f)
			if err != nil {
				return dst, fmt.Errorf("/proc/net/dev %s: %w", name, err)
			}
			r.v[n] = v
			n++
		}
		if n < ndCols {
			return dst, fmt.Errorf("/proc/net/dev %s: %d counters, want %d: %w", name, n, ndCols, errProcFormat)
		}
		r.name = internName(dst, name)
		dst = append(dst, r)
	}
	return dst, nil
}

// internName reuses the name string of the row that had this position
// last time (dst's spare capacity), so steady reads allocate nothing.
func internName(dst []ioRow, name []byte) string {
	if i := len(dst); i < cap(dst) {
		if old := dst[:i+1][i].name; old == string(name) {
			return old
		}
	}
	return string(name)
}

func nextLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// rate is the per-second change of a counter, or false when the counter
// went backwards (device replaced, counter reset) or no time passed.
func rate(prev, cur uint64, dt float64) (float64, bool) {
	if cur < prev || dt <= 0 {
		return 0, false
	}
	return float64(cur-prev) / dt, true
}

// diskIO turns a diskstats read into host_diskio points.
func (h *Host) diskIO(t time.Time) ([]metric.Point, error) {
	var err error
	if h.buf, err = readProcFile(h.paths.diskstats, h.buf); err != nil {
		return nil, fmt.Errorf("host: reading disk I/O: %w", err)
	}
	st := &h.disk
	if st.rows, err = parseDiskstats(h.buf, st.rows[:0]); err != nil {
		return nil, fmt.Errorf("host: reading disk I/O: %w", err)
	}
	dt := t.Sub(st.prevAt).Seconds()
	var points []metric.Point
	for _, r := range st.rows {
		keep, ok := st.keep[r.name]
		if !ok {
			keep = h.opts.Devices.Keep(r.name)
			st.keep[r.name] = keep
		}
		if !keep {
			continue
		}
		v := r.v
		f := map[string]any{
			"reads_total":          v[dsReads],
			"writes_total":         v[dsWrites],
			"read_bytes_total":     v[dsSectorsRead] * sectorBytes,
			"write_bytes_total":    v[dsSectorsWritten] * sectorBytes,
			"read_time_ms_total":   v[dsReadMS],
			"write_time_ms_total":  v[dsWriteMS],
			"io_time_ms_total":     v[dsIOMS],
			"io_weighted_ms_total": v[dsWeightedMS],
			"ios_in_progress":      v[dsInProgress],
		}
		if p, had := st.prev[r.name]; had && !st.prevAt.IsZero() {
			if x, ok := rate(p[dsSectorsRead], v[dsSectorsRead], dt); ok {
				f["read_bytes_per_second"] = x * sectorBytes
			}
			if x, ok := rate(p[dsSectorsWritten], v[dsSectorsWritten], dt); ok {
				f["write_bytes_per_second"] = x * sectorBytes
			}
			if x, ok := rate(p[dsReads], v[dsReads], dt); ok {
				f["reads_per_second"] = x
			}
			if x, ok := rate(p[dsWrites], v[dsWrites], dt); ok {
				f["writes_per_second"] = x
			}
			if x, ok := rate(p[dsIOMS], v[dsIOMS], dt); ok {
				// Share of wall time the device had I/O in flight.
				f["util_percent"] = min(x/10, 100) // ms per s -> %
			}
		}
		st.prev[r.name] = v
		points = append(points, metric.New("host_diskio", map[string]string{"device": r.name}, f, t))
	}
	st.prevAt = t
	return points, nil
}

// netIO turns a /proc/net/dev read into host_net points. Virtual
// interfaces (loopback, bridges, veth, tunnels: those under
// /sys/devices/virtual/net) are left out unless an include pattern names them.
func (h *Host) netIO(t time.Time) ([]metric.Point, error) {
	var err error
	if h.buf, err = readProcFile(h.paths.netdev, h.buf); err != nil {
		return nil, fmt.Errorf("host: reading network counters: %w", err)
	}
	st := &h.net
	if st.rows, err = parseNetDev(h.buf, st.rows[:0]); err != nil {
		return nil, fmt.Errorf("host: reading network counters: %w", err)
	}
	dt := t.Sub(st.prevAt).Seconds()
	var points []metric.Point
	for _, r := range st.rows {
		keep, ok := st.keep[r.name]
		if !ok {
			keep = h.keepInterface(r.name)
			st.keep[r.name] = keep
		}
		if !keep {
			continue
		}
		v := r.v
		f := map[string]any{
			"recv_bytes_total":   v[ndRxBytes],
			"sent_bytes_total":   v[ndTxBytes],
			"recv_packets_total": v[ndRxPackets],
			"sent_packets_total": v[ndTxPackets],
			"recv_errors_total":  v[ndRxErrs],
			"sent_errors_total":  v[ndTxErrs],
			"recv_drops_total":   v[ndRxDrop],
			"sent_drops_total":   v[ndTxDrop],
		}
		if p, had := st.prev[r.name]; had && !st.prevAt.IsZero() {
			if x, ok := rate(p[ndRxBytes], v[ndRxBytes], dt); ok {
				f["recv_bytes_per_second"] = x
			}
			if x, ok := rate(p[ndTxBytes], v[ndTxBytes], dt); ok {
				f["sent_bytes_per_second"] = x
			}
		}
		st.prev[r.name] = v
		points = append(points, metric.New("host_net", map[string]string{"interface": r.name}, f, t))
	}
	st.prevAt = t
	return points, nil
}

// keepInterface applies the filter; virtual interfaces need an include
// pattern of their own.
func (h *Host) keepInterface(name string) bool {
	f := h.opts.Interfaces
	if !f.Keep(name) {
		return false
	}
	if matchAny(f.Include, name) {
		return true
	}
	return !h.virtualInterface(name)
}

func (h *Host) virtualInterface(name string) bool {
	if name == "lo" {
		return true
	}
	target, err := os.Readlink(h.sysRoot() + "/class/net/" + name)
	if err != nil {
		return false // no sysfs (tests, containers): decide by name only
	}
	return strings.Contains(target, "/virtual/")
}

func (h *Host) sysRoot() string {
	if h.opts.SysRoot != "" {
		return h.opts.SysRoot
	}
	return "/sys"
}
