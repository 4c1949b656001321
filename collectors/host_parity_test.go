package collectors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// hostFixture is testdata/host copied, with what git cannot hold made here:
// the mount points host_disk stats (under RootFS) and sysfs's interface links.
func hostFixture(t *testing.T) (root string) {
	t.Helper()
	root = copyTree(t, filepath.Join("testdata", "host"))
	for _, d := range []string{"boot/efi", "mnt/my disk", "sys/class/net"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{
		"eth0":     "../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0",
		"docker0":  "../../devices/virtual/net/docker0",
		"veth12ab": "../../devices/virtual/net/veth12ab",
		"lo":       "../../devices/virtual/net/lo",
	} {
		if err := os.Symlink(target, filepath.Join(root, "sys/class/net", name)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func names(pts []metric.Point, meas, tag string) []string {
	var out []string
	for _, p := range pts {
		if p.Measurement == meas {
			out = append(out, p.Tags[tag])
		}
	}
	return out
}

func TestHostParityFromFixture(t *testing.T) {
	root := hostFixture(t)
	proc := filepath.Join(root, "proc")
	h := NewHost(HostOptions{PerCPU: true, ProcRoot: proc, SysRoot: filepath.Join(root, "sys"), RootFS: root}, discard())
	t0 := time.Unix(1700000000, 0)
	tick := 0
	h.now = func() time.Time { tick++; return t0.Add(time.Duration(tick) * time.Second) }

	first, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hp, _ := find(first, "host", "", "")
	for k, want := range map[string]any{
		"threads": uint64(467), "procs_running": uint64(2), "procs_blocked": uint64(0),
		"forks_total": uint64(4321), "context_switches_total": uint64(987654),
		"mem_buffers_bytes": uint64(512000 * 1024), "mem_cached_bytes": uint64(7000000 * 1024),
		"mem_free_bytes": uint64(8192000 * 1024), "swap_total_bytes": uint64(0), "swap_used_bytes": uint64(0),
	} {
		if hp.Fields[k] != want {
			t.Errorf("host %s = %#v, want %#v", k, hp.Fields[k], want)
		}
	}
	if _, ok := hp.Fields["cpu_time_user_s"].(float64); !ok {
		t.Errorf("no cpu_time_user_s: %v", hp.Fields)
	}

	// Disks: whole devices and dm, never loop or partitions.
	if got := strings.Join(names(first, "host_diskio", "device"), ","); got != "nvme0n1,sda,dm-0" {
		t.Errorf("host_diskio devices = %s, want nvme0n1,sda,dm-0", got)
	}
	nv, _ := find(first, "host_diskio", "device", "nvme0n1")
	if nv.Fields["read_bytes_total"] != uint64(15383202*512) || nv.Fields["io_time_ms_total"] != uint64(418236) {
		t.Errorf("nvme0n1 counters: %v", nv.Fields)
	}
	if _, ok := nv.Fields["read_bytes_per_second"]; ok {
		t.Error("a rate on the first read")
	}
	// Interfaces: physical only by default.
	if got := strings.Join(names(first, "host_net", "interface"), ","); got != "eth0" {
		t.Errorf("host_net interfaces = %s, want eth0", got)
	}
	eth, _ := find(first, "host_net", "interface", "eth0")
	if eth.Fields["recv_bytes_total"] != uint64(241058441) || eth.Fields["recv_drops_total"] != uint64(12) || eth.Fields["sent_drops_total"] != uint64(1) {
		t.Errorf("eth0 counters: %v", eth.Fields)
	}
	// Filesystems: real ones, escaped names undone, pseudo and container mounts out.
	if got := strings.Join(names(first, "host_disk", "mountpoint"), ","); got != "/,/boot/efi,/mnt/my disk" {
		t.Errorf("host_disk mounts = %q, want /,/boot/efi,/mnt/my disk", got)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(root, &st); err != nil {
		t.Fatal(err)
	}
	disk, _ := find(first, "host_disk", "mountpoint", "/")
	if disk.Fields["total_bytes"] != st.Blocks*uint64(st.Bsize) || disk.Tags["fstype"] != "ext4" || disk.Tags["device"] != "/dev/nvme0n1p2" {
		t.Errorf("host_disk / = %v %v", disk.Tags, disk.Fields)
	}
	pr, _ := find(first, "host_processes", "", "")
	for k, want := range map[string]int64{"count": 2, "sleeping": 1, "zombies": 1, "threads": 4} {
		if pr.Fields[k] != want {
			t.Errorf("host_processes %s = %v, want %d", k, pr.Fields[k], want)
		}
	}
	cpuPSI, _ := find(first, "host_pressure", "resource", "cpu")
	approx(t, "cpu some_avg10_percent", cpuPSI.Fields["some_avg10_percent"], 7.76)
	ioPSI, _ := find(first, "host_pressure", "resource", "io")
	if ioPSI.Fields["full_stall_us_total"] != uint64(88776) {
		t.Errorf("io full_stall_us_total = %v", ioPSI.Fields["full_stall_us_total"])
	}
	vm, _ := find(first, "host_vmstat", "", "")
	if vm.Fields["swap_in_bytes_total"] != uint64(10*syscall.Getpagesize()) || vm.Fields["oom_kills_total"] != uint64(2) {
		t.Errorf("host_vmstat = %v", vm.Fields)
	}
	f0, _ := find(first, "host_cpufreq", "cpu", "cpu0")
	approx(t, "cpu0 freq_mhz", f0.Fields["freq_mhz"], 2400)
	f1, _ := find(first, "host_cpufreq", "cpu", "cpu1")
	approx(t, "cpu1 freq_mhz", f1.Fields["freq_mhz"], 3100.5)

	// One second later: 2,000 more sectors read on nvme0n1, 1 MB received.
	edit(t, filepath.Join(proc, "diskstats"), "nvme0n1 184021 1207 15383202 41853 903716 512993 48283664 1200134 0 418236",
		"nvme0n1 184121 1207 15385202 41853 903716 512993 48283664 1200134 0 418736")
	edit(t, filepath.Join(proc, "net", "dev"), "eth0: 241058441", "eth0: 242058441")
	second, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nv, _ = find(second, "host_diskio", "device", "nvme0n1")
	approx(t, "read_bytes_per_second", nv.Fields["read_bytes_per_second"], 2000*512)
	approx(t, "reads_per_second", nv.Fields["reads_per_second"], 100)
	approx(t, "util_percent", nv.Fields["util_percent"], 50)
	eth, _ = find(second, "host_net", "interface", "eth0")
	approx(t, "recv_bytes_per_second", eth.Fields["recv_bytes_per_second"], 1e6)
	approx(t, "sent_bytes_per_second", eth.Fields["sent_bytes_per_second"], 0)

	// The slow reads wait for their interval after the first two calls.
	third, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"host_disk", "host_processes", "host_pressure", "host_vmstat", "host_cpufreq"} {
		if _, ok := find(third, m, "", ""); ok {
			t.Errorf("%s re-read within SlowInterval", m)
		}
	}
	for _, p := range append(append(first, second...), third...) {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestHostFilters(t *testing.T) {
	root := hostFixture(t)
	h := NewHost(HostOptions{
		ProcRoot: filepath.Join(root, "proc"), SysRoot: filepath.Join(root, "sys"), RootFS: root,
		Interfaces: NameFilter{Include: []string{"eth*", "veth*"}},
		Devices:    NameFilter{Include: []string{"sd*"}, Exclude: []string{"sda1"}},
		Mounts:     NameFilter{Exclude: []string{"/boot/*", "/proc", "/sys", "/sys/*"}},
	}, discard())
	pts, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(pts, "host_net", "interface"), ","); got != "eth0,veth12ab" {
		t.Errorf("interfaces = %s; a virtual interface named by include must be kept", got)
	}
	if got := strings.Join(names(pts, "host_diskio", "device"), ","); got != "sda" {
		t.Errorf("devices = %s, want sda", got)
	}
	if got := strings.Join(names(pts, "host_disk", "mountpoint"), ","); got != "/,/mnt/my disk" {
		t.Errorf("mounts = %q", got)
	}
	if err := (NameFilter{Include: []string{"[eth"}, Exclude: []string{"ok", "x[\\"}}).Validate("collectors.host.interfaces_include"); err == nil ||
		!strings.Contains(err.Error(), "collectors.host.interfaces_include") || !strings.Contains(err.Error(), `"[eth"`) {
		t.Errorf("bad glob not reported with its key: %v", err)
	}
}

// A kernel without PSI is not an error; a malformed pressure file is.
func TestHostPressureAbsentAndMalformed(t *testing.T) {
	root := hostFixture(t)
	proc := filepath.Join(root, "proc")
	if err := os.RemoveAll(filepath.Join(proc, "pressure")); err != nil {
		t.Fatal(err)
	}
	h := NewHost(HostOptions{ProcRoot: proc, SysRoot: filepath.Join(root, "sys"), RootFS: root}, discard())
	pts, err := h.Collect(context.Background())
	if err != nil {
		t.Fatalf("no PSI must not be an error: %v", err)
	}
	if _, ok := find(pts, "host_pressure", "", ""); ok {
		t.Error("pressure points without PSI")
	}
	if _, _, _, err := parsePSI([]byte("some avg10=x avg60=0 avg300=0 total=1\n")); err == nil {
		t.Error("malformed PSI accepted")
	}
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s: %q not found", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHostSkipParts(t *testing.T) {
	root := hostFixture(t)
	h := NewHost(HostOptions{PerCPU: true, ProcRoot: filepath.Join(root, "proc"), SysRoot: filepath.Join(root, "sys"), RootFS: root,
		Skip: HostParts()}, discard())
	pts, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if p.Measurement != "host" && p.Measurement != "host_cpu" {
			t.Errorf("%s collected although every part is skipped", p.Measurement)
		}
	}
	if _, ok := find(pts, "host", "", ""); !ok {
		t.Error("no host point")
	}
}
