package collectors

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// extractTxtar writes a txtar fixture ("-- path --" headers) under a temp
// dir and returns it. Powercap names contain ':', which Go module zips do
// not allow in file names, so the trees are stored as archives.
func extractTxtar(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rapl", name))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	var cur *bytes.Buffer
	var curPath string
	flush := func() {
		if cur == nil {
			return
		}
		p := filepath.Join(root, filepath.FromSlash(curPath))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, cur.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range strings.SplitAfter(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") {
			flush()
			curPath = strings.TrimSuffix(strings.TrimPrefix(trimmed, "-- "), " --")
			cur = &bytes.Buffer{}
			continue
		}
		if cur != nil {
			cur.WriteString(line)
		}
	}
	flush()
	return root
}

func writeCounter(t *testing.T, root, zone string, v uint64) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, zone, "energy_uj"), []byte(strconv.FormatUint(v, 10)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newTestRAPL returns a collector whose clock advances by step per read.
func newTestRAPL(root string, step time.Duration) *RAPL {
	r := NewRAPL(root, discard())
	t0 := time.Unix(1700000000, 0)
	n := 0
	r.now = func() time.Time { n++; return t0.Add(time.Duration(n) * step) }
	return r
}

func byDomain(pts []metric.Point) map[string]metric.Point {
	m := map[string]metric.Point{}
	for _, p := range pts {
		m[p.Tags["domain"]] = p
	}
	return m
}

func TestRAPLZonesAndPower(t *testing.T) {
	root := extractTxtar(t, "intel_server.txtar")
	r := newTestRAPL(root, 2*time.Second)
	first, err := r.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 4 {
		t.Fatalf("%d points, want 4 zones (control dir skipped)", len(first))
	}
	for _, p := range first {
		if _, ok := p.Fields["power_w"]; ok {
			t.Errorf("%s has power_w on the priming read", p.Tags["domain"])
		}
	}
	// 2 s later: package-0 used 300 J (150 W), dram-0 10 J (5 W).
	writeCounter(t, root, "intel-rapl:0", 100000000+300000000)
	writeCounter(t, root, "intel-rapl:0:0", 5000000+10000000)
	second, err := r.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := byDomain(second)
	tests := []struct {
		domain, zone, pkg string
		watts, joules     float64
	}{
		{"intel-rapl:0", "package", "0", 150, 300},
		{"intel-rapl:0:0", "dram", "0", 5, 10},
		{"intel-rapl:1", "package", "1", 0, 0},
		{"intel-rapl:1:0", "dram", "1", 0, 0},
	}
	for _, tt := range tests {
		p, ok := got[tt.domain]
		if !ok {
			t.Errorf("no point for %s", tt.domain)
			continue
		}
		if p.Tags["zone"] != tt.zone || p.Tags["package"] != tt.pkg {
			t.Errorf("%s tags = %v", tt.domain, p.Tags)
		}
		if w := p.Fields["power_w"].(float64); math.Abs(w-tt.watts) > 1e-9 {
			t.Errorf("%s power_w = %v, want %v", tt.domain, w, tt.watts)
		}
		if j := p.Fields["energy_j"].(float64); math.Abs(j-tt.joules) > 1e-9 {
			t.Errorf("%s energy_j = %v, want %v", tt.domain, j, tt.joules)
		}
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestRAPLWrap(t *testing.T) {
	root := extractTxtar(t, "amd_zen_wrap.txtar")
	r := newTestRAPL(root, time.Second)
	if _, err := r.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Counter wraps: 0.5 J to the top, then 99.5 J past zero = 100 J in 1 s.
	writeCounter(t, root, "intel-rapl:0", 99500000)
	pts, err := r.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if w := pts[0].Fields["power_w"].(float64); math.Abs(w-100) > 1e-9 {
		t.Fatalf("power_w across the wrap = %v, want 100", w)
	}
	j, err := r.EnergyJ(context.Background()) // no change since: total stays 100 J
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(j-100) > 1e-9 {
		t.Fatalf("EnergyJ = %v, want 100", j)
	}
}

func TestRAPLEnergyJSumsPackagesOnly(t *testing.T) {
	root := extractTxtar(t, "laptop_psys.txtar")
	r := newTestRAPL(root, time.Second)
	j0, err := r.EnergyJ(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	writeCounter(t, root, "intel-rapl:0", 42000000+7000000)   // package +7 J
	writeCounter(t, root, "intel-rapl:0:0", 21000000+5000000) // core, part of package
	writeCounter(t, root, "intel-rapl:1", 90000000+20000000)  // psys, not a package
	j1, err := r.EnergyJ(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := j1 - j0; math.Abs(d-7) > 1e-9 {
		t.Fatalf("EnergyJ advanced %v J, want 7 (package only)", d)
	}
	pts, err := r.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, p := range pts {
		kinds[p.Tags["zone"]] = true
	}
	for _, k := range []string{"package", "core", "uncore", "psys"} {
		if !kinds[k] {
			t.Errorf("zone %s missing; got %v", k, kinds)
		}
	}
}

func TestRAPLUnavailable(t *testing.T) {
	for name, root := range map[string]string{
		"no powercap": filepath.Join(t.TempDir(), "absent"),
		"empty":       t.TempDir(),
	} {
		t.Run(name, func(t *testing.T) {
			r := NewRAPL(root, discard())
			pts, err := r.Collect(context.Background())
			if !errors.Is(err, ErrUnavailable) || len(pts) != 0 {
				t.Fatalf("Collect = %d points, %v; want none and ErrUnavailable", len(pts), err)
			}
			if !strings.Contains(err.Error(), root) {
				t.Errorf("error %q does not name %s", err, root)
			}
			if _, err := r.EnergyJ(context.Background()); !errors.Is(err, ErrUnavailable) {
				t.Errorf("EnergyJ err = %v, want ErrUnavailable", err)
			}
		})
	}
}

// countingHandler counts records at Warn and above.
type countingHandler struct {
	slog.Handler
	warns *int
	msgs  *[]string
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelWarn {
		*h.warns++
		rec.Attrs(func(a slog.Attr) bool { *h.msgs = append(*h.msgs, a.Value.String()); return true })
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func TestRAPLPermissionDenied(t *testing.T) {
	cases := map[string]func(t *testing.T, root string, r *RAPL){
		// Always runs, root or not: the reader refuses like the kernel does.
		"injected reader": func(t *testing.T, root string, r *RAPL) {
			r.readFile = func(name string) ([]byte, error) {
				if filepath.Base(name) == "energy_uj" {
					return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
				}
				return os.ReadFile(name)
			}
		},
		// The real file mode; root reads any file, so this one case can only
		// run unprivileged.
		"chmod 000": func(t *testing.T, root string, r *RAPL) {
			if os.Geteuid() == 0 {
				t.Skip("running as root, which reads mode-000 files; the injected-reader case covers this path")
			}
			if err := os.Chmod(filepath.Join(root, "intel-rapl:0", "energy_uj"), 0); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			root := extractTxtar(t, "permission.txtar")
			warns, msgs := 0, []string{}
			r := NewRAPL(root, slog.New(countingHandler{warns: &warns, msgs: &msgs}))
			setup(t, root, r)
			for range 3 {
				_, err := r.Collect(context.Background())
				if !errors.Is(err, fs.ErrPermission) {
					t.Fatalf("Collect err = %v, want a permission error", err)
				}
				if errors.Is(err, ErrUnavailable) {
					t.Fatal("permission error reported as unavailable hardware")
				}
			}
			if _, err := r.EnergyJ(context.Background()); !errors.Is(err, fs.ErrPermission) {
				t.Errorf("EnergyJ err = %v, want a permission error", err)
			}
			if warns != 1 {
				t.Errorf("logged %d warnings, want exactly 1", warns)
			}
			if !strings.Contains(strings.Join(msgs, " "), "udev") {
				t.Errorf("warning %v does not give the fix", msgs)
			}
		})
	}
}

func TestZoneKind(t *testing.T) {
	tests := []struct{ id, name, kind, pkg string }{
		{"intel-rapl:0", "package-0", "package", "0"},
		{"intel-rapl:1", "package-1", "package", "1"},
		{"intel-rapl:1:0", "dram", "dram", "1"},
		{"intel-rapl:0:1", "uncore", "uncore", "0"},
		{"intel-rapl:2", "psys", "psys", ""},
		{"intel-rapl:0:2", "package-0-die-1", "die", "0"},
	}
	for _, tt := range tests {
		if k, p := zoneKind(tt.id, tt.name); k != tt.kind || p != tt.pkg {
			t.Errorf("zoneKind(%q, %q) = %q, %q; want %q, %q", tt.id, tt.name, k, p, tt.kind, tt.pkg)
		}
	}
}
