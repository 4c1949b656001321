package collectors

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// mount is one line of /proc/self/mountinfo that passed the filters.
type mount struct{ point, device, fstype string }

// parseMountinfo returns the mounts to report: pseudo filesystems and
// excluded mount points left out, one entry per mount point (the last
// mount over a path is the visible one).
func parseMountinfo(b []byte, mounts, fstypes NameFilter) ([]mount, error) {
	var out []mount
	seen := map[string]int{}
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		// id parent major:minor root mountpoint options [optional...] - fstype source superopts
		pre, post, ok := bytes.Cut(line, []byte(" - "))
		if !ok {
			return nil, fmt.Errorf("mountinfo line %q: no \" - \" separator: %w", line, errProcFormat)
		}
		f := bytes.Fields(pre)
		g := bytes.Fields(post)
		if len(f) < 5 || len(g) < 2 {
			return nil, fmt.Errorf("mountinfo line %q: %w", line, errProcFormat)
		}
		m := mount{point: unescapeMount(string(f[4])), fstype: string(g[0]), device: unescapeMount(string(g[1]))}
		if !fstypes.Keep(m.fstype) || !mounts.Keep(m.point) {
			continue
		}
		if i, ok := seen[m.point]; ok {
			out[i] = m
			continue
		}
		seen[m.point] = len(out)
		out = append(out, m)
	}
	return out, nil
}

// unescapeMount undoes the kernel's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, ok := octal3(s[i+1 : i+4]); ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func octal3(s string) (byte, bool) {
	if len(s) != 3 {
		return 0, false
	}
	var v int
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int(c-'0')
	}
	return byte(v), v < 256
}

// diskUsage reports space and inodes per mounted filesystem (host_disk).
// A mount that cannot be read (a stale NFS handle, permissions) is an
// error naming it; the others are still reported.
func (h *Host) diskUsage(t time.Time) ([]metric.Point, error) {
	b, err := os.ReadFile(h.paths.mountinfo)
	if err != nil {
		return nil, fmt.Errorf("host: reading mounts: %w", err)
	}
	fstypes := NameFilter{Exclude: h.opts.FSTypesExclude}
	if fstypes.Exclude == nil {
		fstypes.Exclude = DefaultFSTypesExclude()
	}
	mounts, err := parseMountinfo(b, h.opts.Mounts, fstypes)
	if err != nil {
		return nil, fmt.Errorf("host: %s: %w", h.paths.mountinfo, err)
	}
	var points []metric.Point
	var errs []error
	for _, m := range mounts {
		var st syscall.Statfs_t
		if err := syscall.Statfs(h.opts.RootFS+m.point, &st); err != nil {
			if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES) {
				// Another namespace's mount (a container reading the host's
				// /proc without root_fs), or one this user may not see.
				h.log.Debug("disk space not readable", "mountpoint", m.point, "err", err)
				continue
			}
			errs = append(errs, fmt.Errorf("host: disk space of %s: %w", m.point, err))
			continue
		}
		bs := uint64(st.Bsize)
		total, free, avail := st.Blocks*bs, st.Bfree*bs, st.Bavail*bs
		if total == 0 {
			continue // a filesystem with no blocks holds nothing to watch
		}
		used := total - free
		f := map[string]any{
			"total_bytes": total, "free_bytes": avail, "used_bytes": used,
			"inodes_total": st.Files, "inodes_free": st.Ffree, "inodes_used": st.Files - min(st.Ffree, st.Files),
		}
		if used+avail > 0 {
			// As df computes it: the reserved blocks count as neither.
			f["used_percent"] = 100 * float64(used) / float64(used+avail)
		}
		points = append(points, metric.New("host_disk", map[string]string{
			"mountpoint": m.point, "device": m.device, "fstype": m.fstype,
		}, f, t))
	}
	return points, joinErrs(errs)
}

// processes counts processes by state and threads by scanning /proc/<pid>/stat,
// as Telegraf's processes input does; it costs one read per process, so it
// runs on the slow interval.
func (h *Host) processes(t time.Time) (metric.Point, error) {
	d, err := os.Open(h.paths.root)
	if err != nil {
		return metric.Point{}, fmt.Errorf("host: listing processes: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return metric.Point{}, fmt.Errorf("host: listing processes: %w", err)
	}
	var total, threads, running, sleeping, blocked, zombies, stopped, idle, other int64
	for _, n := range names {
		if n == "" || n[0] < '0' || n[0] > '9' {
			continue
		}
		if h.buf, err = readProcFile(h.paths.root+"/"+n+"/stat", h.buf); err != nil {
			continue // exited while we looked
		}
		// comm may hold spaces and parentheses: the state follows the last ')'.
		i := bytes.LastIndexByte(h.buf, ')')
		if i < 0 || i+2 >= len(h.buf) {
			continue
		}
		rest := h.buf[i+2:]
		state, rest := cutField(rest)
		total++
		// num_threads is field 20; after the state (field 3) it is the 17th.
		for range 16 {
			_, rest = cutField(rest)
		}
		if nt, _ := cutField(rest); len(nt) > 0 {
			if v, err := parseUint(nt); err == nil {
				threads += int64(v)
			}
		}
		switch string(state) {
		case "R":
			running++
		case "S":
			sleeping++
		case "D":
			blocked++
		case "Z":
			zombies++
		case "T", "t":
			stopped++
		case "I":
			idle++
		default:
			other++
		}
	}
	return metric.New("host_processes", nil, map[string]any{
		"count": total, "threads": threads, "running": running, "sleeping": sleeping,
		"blocked": blocked, "zombies": zombies, "stopped": stopped, "idle": idle, "other": other,
	}, t), nil
}

func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("%w (and %d more)", errs[0], len(errs)-1)
}
