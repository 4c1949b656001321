package collectors

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// The fake fleet runs in a child process (this test binary, re-executed),
// so the benchmark's CPU and memory figures are the collector's alone.
const fleetEnv = "PERWATT_FAKE_FLEET"

func TestMain(m *testing.M) {
	if spec := os.Getenv(fleetEnv); spec != "" {
		if err := runFakeFleet(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runFakeFleet listens on every address of a range, port 4028, answering
// as an Antminer S19 (the fixture set), prints "ready" and serves until
// stdin closes.
func runFakeFleet(spec string) error {
	addrs, err := ParseASICRange(spec)
	if err != nil {
		return err
	}
	replies := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join("testdata", "asic", "antminer_s19", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		replies[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	invalid := []byte(`{"STATUS":[{"STATUS":"E","Code":14,"Msg":"Invalid command","Description":"cgminer 1.0.0"}],"id":1}` + "\x00")
	serve := func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 256)
		n := 0
		for n < len(buf) {
			k, err := c.Read(buf[n:])
			n += k
			if err != nil || bytes.IndexByte(buf[:n], '}') >= 0 {
				break
			}
		}
		cmd := ""
		if _, rest, ok := bytes.Cut(buf[:n], []byte(`"command":"`)); ok {
			if end := bytes.IndexByte(rest, '"'); end >= 0 {
				cmd = string(rest[:end])
			}
		}
		reply, ok := replies[cmd]
		if !ok {
			reply = invalid
		}
		_, _ = c.Write(reply)
	}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a.String()+":4028")
		if err != nil {
			return fmt.Errorf("fake fleet: %w (raise the open-file limit: ulimit -n 65536)", err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go serve(c)
			}
		}()
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return nil
}

// startFakeFleet starts the fleet process over spec and waits until it listens.
func startFakeFleet(tb testing.TB, spec string) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fleetEnv+"="+spec)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		tb.Fatalf("fake fleet did not start: %q %v", line, err)
	}
}

func fleetRange(n int) string {
	first := netip.MustParseAddr("127.1.0.1")
	return first.String() + "-" + addrAdd(first, uint32(n-1)).String()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatusKB reads a VmRSS/VmHWM line of /proc/self/status.
func procStatusKB(key string) float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			v, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return v
		}
	}
	return 0
}

// BenchmarkASICFleet discovers a fake fleet of PERWATT_FLEET_RIGS rigs
// (default 1000; `make fleet-bench` runs 10,000) on loopback addresses and
// polls all of them per iteration, as the agent does every interval. It
// reports rigs/s, the collector's CPU seconds per round and the share of
// one core that is at a 30 s interval, and the process's peak RSS.
func BenchmarkASICFleet(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("PERWATT_FLEET_RIGS")); err == nil && v > 0 {
		n = v
	}
	spec := fleetRange(n)
	startFakeFleet(b, spec)
	a := NewASIC(nil, ASICOptions{Timeout: 10 * time.Second, Ranges: []ASICRange{{Range: spec, Ports: []int{4028}}}}, discard())
	if _, err := a.Collect(context.Background()); err != nil { // discovery round
		b.Fatalf("discovery: %v", err)
	}
	if got := a.Rigs(); got != n {
		b.Fatalf("discovered %d rigs, want %d", got, n)
	}
	runtime.GC()
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	var pts []metric.Point
	for b.Loop() {
		var err error
		pts, err = a.Collect(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(pts) < n {
			b.Fatalf("%d points for %d rigs", len(pts), n)
		}
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	// What stays live between rounds: every rig's state and last reading,
	// plus the round's points until the agent has spooled them. Peak RSS
	// is about twice this under the default GOGC; agent.memory_limit
	// (GOMEMLIMIT) trades CPU for a lower peak.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(pts)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-heap-MB")
	rounds := float64(b.N)
	b.ReportMetric(float64(n)*rounds/wall.Seconds(), "rigs/s")
	b.ReportMetric(cpu.Seconds()/rounds, "cpu-s/round")
	b.ReportMetric(cpu.Seconds()/rounds/30, "cores@30s")
	b.ReportMetric(procStatusKB("VmHWM")/1024, "peak-RSS-MB")
	b.ReportMetric(float64(n), "rigs")
}

// startFakeAt is startFake on a chosen address.
func startFakeAt(t *testing.T, addr string, replies map[string][]byte) *fakeRig {
	t.Helper()
	r := &fakeRig{addr: addr, replies: replies}
	return startFake(t, r)
}

// Rigs in a range are found, kept when they stop answering (up=0), and
// read again when they come back; addresses with nothing on them yield
// nothing. A host answering on two listed ports is one rig.
func TestASICRangeDiscovery(t *testing.T) {
	probe, err := net.Listen("tcp", "127.3.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	r1 := startFakeAt(t, fmt.Sprintf("127.3.0.1:%d", port), loadRig(t, "antminer_s19"))
	r3 := startFakeAt(t, fmt.Sprintf("127.3.0.3:%d", port), loadRig(t, "whatsminer"))

	a := newTestASIC(nil, ASICOptions{Timeout: time.Second, Rescan: time.Hour,
		Ranges: []ASICRange{{Range: "127.3.0.0/29", Ports: []int{port, port}, Site: "dc9"}}})
	pts, err := a.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if a.Rigs() != 2 || countMeasurement(pts, "asic") != 2 {
		t.Fatalf("%d rigs known, %d asic points; want the 2 that answer", a.Rigs(), countMeasurement(pts, "asic"))
	}
	for _, p := range pts {
		if p.Measurement == "asic" && (p.Tags["site"] != "dc9" || p.Fields["up"] != int64(1)) {
			t.Errorf("discovered rig point tags %v up %v", p.Tags, p.Fields["up"])
		}
	}

	r3.mu.Lock()
	r3.hang = true
	r3.mu.Unlock()
	pts, err = a.Collect(context.Background())
	if err == nil {
		t.Fatal("no error for the rig that stopped answering")
	}
	down := rigPoint(t, pts, "c4:11:04:01:2a:3b") // keeps its MAC identity while down
	if down.Fields["up"] != int64(0) {
		t.Fatalf("vanished rig up = %v, want 0", down.Fields["up"])
	}
	r3.mu.Lock()
	r3.hang = false
	r3.mu.Unlock()
	pts, err = a.Collect(context.Background())
	if err != nil {
		t.Fatalf("after the rig came back: %v", err)
	}
	if p := rigPoint(t, pts, "c4:11:04:01:2a:3b"); p.Fields["up"] != int64(1) {
		t.Errorf("returned rig up = %v, want 1", p.Fields["up"])
	}
	_ = r1
}

func TestParseASICRange(t *testing.T) {
	tests := []struct {
		spec        string
		n           int
		first, last string
		err         string
	}{
		{"10.0.0.0/30", 2, "10.0.0.1", "10.0.0.2", ""},
		{"10.0.0.0/24", 254, "10.0.0.1", "10.0.0.254", ""},
		{"10.0.0.7/32", 1, "10.0.0.7", "10.0.0.7", ""},
		{"10.0.0.250-10.0.1.5", 12, "10.0.0.250", "10.0.1.5", ""},
		{"10.0.0.9", 1, "10.0.0.9", "10.0.0.9", ""},
		{"10.0.1.5-10.0.0.250", 0, "", "", "end comes before"},
		{"10.0.0.0/8", 0, "", "", "more than"},
		{"fe80::/64", 0, "", "", "IPv4"},
		{"10.0.0.x-10.0.0.9", 0, "", "", "10.0.0.x"},
		{"rack-7", 0, "", "", "want a CIDR"},
	}
	for _, tt := range tests {
		got, err := ParseASICRange(tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil || len(got) != tt.n || got[0].String() != tt.first || got[len(got)-1].String() != tt.last {
			t.Errorf("%q: %d addresses %v..%v err %v, want %d %s..%s", tt.spec, len(got), first(got), last(got), err, tt.n, tt.first, tt.last)
		}
	}
}

func first(a []netip.Addr) any {
	if len(a) == 0 {
		return nil
	}
	return a[0]
}

func last(a []netip.Addr) any {
	if len(a) == 0 {
		return nil
	}
	return a[len(a)-1]
}
