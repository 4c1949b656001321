package collectors

import (
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"

	"github.com/perwatt/perwatt/internal/metric"
)

// copyTree copies testdata/<src> into a temp dir the test may change.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func find(pts []metric.Point, meas, tag, val string) (metric.Point, bool) {
	for _, p := range pts {
		if p.Measurement == meas && (tag == "" || p.Tags[tag] == val) {
			return p, true
		}
	}
	return metric.Point{}, false
}

func approx(t *testing.T, what string, got any, want float64) {
	t.Helper()
	g, ok := got.(float64)
	if !ok || math.Abs(g-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestHostFromFixture(t *testing.T) {
	root := copyTree(t, filepath.Join("testdata", "host"))
	proc := filepath.Join(root, "proc")
	h := NewHost(HostOptions{PerCPU: true, ProcRoot: proc, SysRoot: filepath.Join(root, "sys")}, discard())
	t0 := time.Unix(1700000000, 0)
	tick := 0
	h.now = func() time.Time { tick++; return t0.Add(time.Duration(tick) * time.Second) }

	first, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hp, ok := find(first, "host", "", "")
	if !ok {
		t.Fatal("no host point")
	}
	if got := hp.Tags["cpu_model"]; got != "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz" {
		t.Errorf("cpu_model = %q", got)
	}
	for k, want := range map[string]any{
		"cpu_sha_ni": true, "cpu_avx2": true, "cpu_avx512f": true, "cpu_logical_cores": int64(2),
		"mem_total_bytes": uint64(24576000 * 1024), "mem_used_bytes": uint64((24576000 - 16384000) * 1024),
		"uptime_s": int64(10001),
	} {
		if hp.Fields[k] != want {
			t.Errorf("%s = %#v, want %#v", k, hp.Fields[k], want)
		}
	}
	approx(t, "load1", hp.Fields["load1"], 0.52)
	if _, ok := hp.Fields["cpu_usage_percent"]; ok {
		t.Error("cpu_usage_percent on the priming call")
	}
	if _, ok := find(first, "host_cpu", "", ""); ok {
		t.Error("host_cpu points on the priming call")
	}
	pkg, ok := find(first, "host_temp", "sensor", "coretemp_package_id_0")
	if !ok {
		t.Fatalf("no package temperature; points: %v", first)
	}
	approx(t, "temp_c", pkg.Fields["temp_c"], 45)
	approx(t, "temp_high_c", pkg.Fields["temp_high_c"], 80)
	approx(t, "temp_crit_c", pkg.Fields["temp_crit_c"], 100)
	if _, ok := find(first, "host_temp", "sensor", "nvme_composite"); !ok {
		t.Error("no nvme temperature")
	}

	next, err := os.ReadFile(filepath.Join(proc, "stat.next"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "stat"), next, 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hp, _ = find(second, "host", "", "")
	// cpu0: +100 user +100 idle; cpu1: +200 idle. Total 100 busy of 400.
	approx(t, "cpu_usage_percent", hp.Fields["cpu_usage_percent"], 25)
	approx(t, "cpu_user_percent", hp.Fields["cpu_user_percent"], 25)
	c0, _ := find(second, "host_cpu", "cpu", "cpu0")
	approx(t, "cpu0 usage_percent", c0.Fields["usage_percent"], 50)
	c1, _ := find(second, "host_cpu", "cpu", "cpu1")
	approx(t, "cpu1 usage_percent", c1.Fields["usage_percent"], 0)
	third, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := find(third, "host_temp", "", ""); ok {
		t.Error("temperatures re-read within TempInterval")
	}
	for _, p := range append(first, second...) {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestHostNoSensorsIsNotAnError(t *testing.T) {
	root := copyTree(t, filepath.Join("testdata", "host"))
	h := NewHost(HostOptions{ProcRoot: filepath.Join(root, "proc"), SysRoot: filepath.Join(root, "nosys")}, discard())
	pts, err := h.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if _, ok := find(pts, "host_temp", "", ""); ok {
		t.Error("temperature points without sensors")
	}
}

func TestHostCountersBackwardsRePrime(t *testing.T) {
	a := cpuTimes(100, 50, 1000)
	b := cpuTimes(90, 50, 1100) // user went backwards
	if _, ok := usage(a, b); ok {
		t.Fatal("usage accepted counters that went backwards")
	}
	if _, ok := usage(a, a); ok {
		t.Fatal("usage accepted a zero interval")
	}
}

func TestHostMissingProcIsAnError(t *testing.T) {
	h := NewHost(HostOptions{ProcRoot: filepath.Join(t.TempDir(), "none"), SysRoot: t.TempDir()}, discard())
	if _, err := h.Collect(context.Background()); err == nil {
		t.Fatal("Collect with no /proc returned no error")
	}
}

// TestHostReal reads this machine. perwatt supports Linux hosts, and CI is
// Linux, so it skips elsewhere only.
func TestHostReal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the host collector is exercised on Linux")
	}
	h := NewHost(HostOptions{PerCPU: true}, discard())
	if _, err := h.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	pts, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hp, ok := find(pts, "host", "", "")
	if !ok {
		t.Fatal("no host point")
	}
	if v, _ := hp.Fields["mem_total_bytes"].(uint64); v == 0 {
		t.Errorf("mem_total_bytes = %v", hp.Fields["mem_total_bytes"])
	}
	if u, ok := hp.Fields["cpu_usage_percent"].(float64); ok && (u < 0 || u > 100) {
		t.Errorf("cpu_usage_percent = %v", u)
	}
	if n := countMeasurement(pts, "host_cpu"); n > runtime.NumCPU() {
		t.Errorf("%d host_cpu points for %d CPUs", n, runtime.NumCPU())
	}
	for _, p := range pts {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkHostCollect measures the per-call cost on this machine; at the
// agent's 1 s interval, ns/op divided by 1e7 is the share of one core in %.
func BenchmarkHostCollect(b *testing.B) {
	h := NewHost(HostOptions{PerCPU: true}, discard())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Collect(ctx); err != nil {
			b.Fatal(err)
		}
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(nsPerOp/1e7, "%core@1Hz")
}

func cpuTimes(user, system, idle float64) cpu.TimesStat {
	return cpu.TimesStat{CPU: "cpu0", User: user, System: system, Idle: idle}
}
