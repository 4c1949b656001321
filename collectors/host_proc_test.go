package collectors

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/shirou/gopsutil/v3/common"
	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/load"
	"github.com/shirou/gopsutil/v3/mem"
)

// The direct /proc parsers must read what gopsutil reads from the same files.
func TestProcParsersAgreeWithGopsutil(t *testing.T) {
	for _, proc := range []string{filepath.Join("testdata", "host", "proc"), "/proc"} {
		t.Run(proc, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(proc, "stat")); err != nil {
				t.Skipf("no %s on this system", proc)
			}
			ctx := context.WithValue(context.Background(), common.EnvKey, common.EnvMap{common.HostProcEnvKey: proc})
			paths := newProcPaths(proc)

			b, err := readProcFile(paths.stat, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseProcStat(b, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cpu.TimesWithContext(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			if proc == "/proc" {
				// Live counters move between the two reads; compare shape.
				if len(got) != len(want) || got[0].CPU != want[0].CPU {
					t.Errorf("cpus: got %d starting %q, gopsutil %d starting %q", len(got), got[0].CPU, len(want), want[0].CPU)
				}
			} else if len(got) != len(want) {
				t.Fatalf("got %d cpus, gopsutil %d", len(got), len(want))
			} else {
				for i := range got {
					g, w := got[i], want[i]
					w.Guest, w.GuestNice = 0, 0
					if g != w {
						t.Errorf("cpu %d: got %+v, gopsutil %+v", i, g, w)
					}
				}
			}

			if proc == "/proc" {
				return
			}
			b, _ = readProcFile(paths.meminfo, b)
			total, avail, err := parseMeminfo(b)
			if err != nil {
				t.Fatal(err)
			}
			vm, err := mem.VirtualMemoryWithContext(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if total != vm.Total || avail != vm.Available {
				t.Errorf("meminfo: got %d/%d, gopsutil %d/%d", total, avail, vm.Total, vm.Available)
			}
			b, _ = readProcFile(paths.loadavg, b)
			l1, l5, l15, err := parseLoadavg(b)
			if err != nil {
				t.Fatal(err)
			}
			avg, err := load.AvgWithContext(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if l1 != avg.Load1 || l5 != avg.Load5 || l15 != avg.Load15 {
				t.Errorf("loadavg: got %v %v %v, gopsutil %+v", l1, l5, l15, avg)
			}
		})
	}
}

func TestProcParsersRejectGarbage(t *testing.T) {
	for name, in := range map[string]string{
		"stat no cpu lines": "intr 1 2 3\nctxt 4\n",
		"stat short line":   "cpu 1 2 3 4\ncpu0 1 2\n",
		"stat not a number": "cpu0 1 x 3 4 5 6 7 8\n",
		"stat sign":         "cpu0 -1 2 3 4 5 6 7 8\n",
		"stat overflow":     "cpu0 99999999999999999999999 2 3 4\n",
		"stat empty":        "",
	} {
		if _, err := parseProcStat([]byte(in), nil, nil); err == nil {
			t.Errorf("%s: parseProcStat(%q) returned no error", name, in)
		}
	}
	for _, in := range []string{"", "MemTotal: 10 kB\n", "MemTotal: x kB\nMemAvailable: 1 kB\n"} {
		if _, _, err := parseMeminfo([]byte(in)); err == nil {
			t.Errorf("parseMeminfo(%q) returned no error", in)
		}
	}
	for _, in := range []string{"", "0.1 0.2", "0.1 x 0.3 1/2 3"} {
		if _, _, _, err := parseLoadavg([]byte(in)); err == nil {
			t.Errorf("parseLoadavg(%q) returned no error", in)
		}
	}
	for _, in := range []string{"", "-3 4", "up 4"} {
		if _, err := parseUptime([]byte(in)); err == nil {
			t.Errorf("parseUptime(%q) returned no error", in)
		}
	}
}

// A kernel without MemAvailable is answered by gopsutil's estimate rather
// than by no memory fields at all.
func TestHostMeminfoWithoutAvailableFallsBack(t *testing.T) {
	root := copyTree(t, filepath.Join("testdata", "host"))
	proc := filepath.Join(root, "proc")
	if err := os.WriteFile(filepath.Join(proc, "meminfo"), []byte("MemTotal: 1000 kB\nMemFree: 400 kB\nBuffers: 100 kB\nCached: 200 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := NewHost(HostOptions{ProcRoot: proc, SysRoot: filepath.Join(root, "sys")}, discard())
	pts, err := h.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hp, _ := find(pts, "host", "", "")
	if hp.Fields["mem_total_bytes"] != uint64(1000*1024) {
		t.Errorf("mem_total_bytes = %v", hp.Fields["mem_total_bytes"])
	}
	if v, ok := hp.Fields["mem_available_bytes"].(uint64); !ok || v == 0 || v > 1000*1024 {
		t.Errorf("mem_available_bytes = %v", hp.Fields["mem_available_bytes"])
	}
}

// Names of CPUs seen last time are reused, so a steady host allocates none.
func TestParseProcStatReusesNames(t *testing.T) {
	in := []byte("cpu 2 0 2 8 0 0 0 0\ncpu0 1 0 1 4 0 0 0 0\ncpu1 1 0 1 4 0 0 0 0\nintr 5\n")
	prev, err := parseProcStat(in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]cpu.TimesStat, 0, 2)
	if n := testing.AllocsPerRun(10, func() { _, err = parseProcStat(in, dst[:0], prev) }); n != 0 || err != nil {
		t.Errorf("%v allocations per parse, err %v", n, err)
	}
}
