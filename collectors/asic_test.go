package collectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// fakeRig speaks the cgminer API the way rigs do: one JSON request per
// connection, the reply (ending in NUL) and then close.
type fakeRig struct {
	addr    string
	replies map[string][]byte
	hang    bool            // accept and never answer
	hangOn  map[string]bool // commands that are never answered
	delay   time.Duration   // before answering

	mu       sync.Mutex
	commands []string
	inFlight int
	maxIn    int
}

func startFakeRig(t *testing.T, replies map[string][]byte) *fakeRig {
	t.Helper()
	return startFake(t, &fakeRig{replies: replies})
}

func startFake(t *testing.T, r *fakeRig) *fakeRig {
	t.Helper()
	addr := "127.0.0.1:0"
	if r.addr != "" {
		addr = r.addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { r.serve(c, done) })
		}
	})
	return r
}

func (r *fakeRig) serve(c net.Conn, done <-chan struct{}) {
	defer c.Close()
	r.mu.Lock()
	r.inFlight++
	r.maxIn = max(r.maxIn, r.inFlight)
	r.mu.Unlock()
	// Counted until the reply is written: the client starts its next
	// connection as soon as it has the reply, before this one closes.
	leave := sync.OnceFunc(func() { r.mu.Lock(); r.inFlight--; r.mu.Unlock() })
	defer leave()

	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var req struct {
		Command string `json:"command"`
	}
	if err := json.NewDecoder(c).Decode(&req); err != nil {
		return
	}
	r.mu.Lock()
	r.commands = append(r.commands, req.Command)
	r.mu.Unlock()
	r.mu.Lock()
	hang := r.hang || r.hangOn[req.Command]
	r.mu.Unlock()
	if hang {
		<-done
		return
	}
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	reply, ok := r.replies[req.Command]
	r.mu.Unlock()
	if !ok {
		reply = []byte(`{"STATUS":[{"STATUS":"E","When":1700000000,"Code":14,"Msg":"Invalid command","Description":"cgminer 4.11.1"}],"id":1}` + "\x00")
	}
	leave()
	_, _ = c.Write(reply)
}

func (r *fakeRig) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.commands...)
}

// loadRig reads testdata/asic/<dir>/<command>.json.
func loadRig(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "asic", dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	return out
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newTestASIC(rigs []ASICRig, opts ASICOptions) *ASIC {
	a := NewASIC(rigs, opts, discard())
	a.now = func() time.Time { return time.Unix(1700000000, 0) }
	return a
}

// TestASICGolden runs each firmware's real reply shapes through a fake rig
// and compares the line protocol with testdata/asic/<firmware>/golden.lp.
func TestASICGolden(t *testing.T) {
	tests := []struct {
		dir string
		rig ASICRig
	}{
		{"antminer_s19", ASICRig{Name: "s19-a", Site: "dc1", Rack: "r07", NameplateW: 3250}},
		{"antminer_s21", ASICRig{Name: "s21-a", Site: "dc1", Rack: "r08", NameplateW: 3500}},
		{"braiins", ASICRig{Name: "bos-1", Site: "dc1", NameplateW: 3250}},
		{"whatsminer", ASICRig{Site: "dc2"}}, // no name: identified by MAC
		{"luxos", ASICRig{Name: "lux-1", Site: "dc2", NameplateW: 3100}},
		{"braiins_anon", ASICRig{Name: "bos-2", Site: "dc1"}},  // Description says only "cgminer": found by probing tunerstatus
		{"whatsminer_1m", ASICRig{Name: "m30-1", Site: "dc2"}}, // boards report only "MHS 1m"
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			srv := startFakeRig(t, loadRig(t, tt.dir))
			rig := tt.rig
			rig.Address = srv.addr
			points, err := newTestASIC([]ASICRig{rig}, ASICOptions{Timeout: 5 * time.Second}).Collect(context.Background())
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			for _, p := range points {
				if err := p.Validate(); err != nil {
					t.Errorf("invalid point: %v", err)
				}
			}
			got := bytes.ReplaceAll(metric.Lines(points), []byte(srv.addr), []byte("RIGADDR"))
			golden := filepath.Join("testdata", "asic", tt.dir, "golden.lp")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestASICGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("line protocol differs from %s\n got:\n%s\nwant:\n%s", golden, got, want)
			}
			for _, c := range srv.seen() {
				if !isReadOnlyCommand(c) {
					t.Errorf("sent %q, which is not a read-only command", c)
				}
			}
		})
	}
}

func TestASICPowerSource(t *testing.T) {
	tests := []struct {
		dir        string
		nameplate  float64
		wantSource string
		wantW      float64
	}{
		{"antminer_s19", 3250, "nameplate", 3250},
		{"antminer_s19", 0, "", 0},
		{"braiins", 9999, "firmware", 3245},
		{"whatsminer", 9999, "measured", 3276},
		{"luxos", 9999, "measured", 2980},
	}
	for _, tt := range tests {
		t.Run(tt.dir+"/"+tt.wantSource, func(t *testing.T) {
			srv := startFakeRig(t, loadRig(t, tt.dir))
			pts, err := newTestASIC([]ASICRig{{Address: srv.addr, NameplateW: tt.nameplate}}, ASICOptions{}).Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			p := pts[0]
			if got := p.Tags["power_source"]; got != tt.wantSource {
				t.Errorf("power_source = %q, want %q", got, tt.wantSource)
			}
			w, ok := p.Fields["power_w"].(float64)
			if tt.wantSource == "" {
				if ok {
					t.Errorf("power_w = %v with no source; must be absent", w)
				}
				return
			}
			if w != tt.wantW {
				t.Errorf("power_w = %v, want %v", w, tt.wantW)
			}
		})
	}
}

func TestASICDeadRigDoesNotHideOthers(t *testing.T) {
	good := startFakeRig(t, loadRig(t, "antminer_s21"))
	hung := startFake(t, &fakeRig{hang: true})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := ln.Addr().String()
	ln.Close()

	a := newTestASIC([]ASICRig{
		{Address: good.addr, Name: "good"},
		{Address: hung.addr, Name: "hung"},
		{Address: refused, Name: "gone"},
	}, ASICOptions{Timeout: 300 * time.Millisecond})
	points, err := a.Collect(context.Background())
	if err == nil {
		t.Fatal("Collect returned no error with two dead rigs")
	}
	for _, name := range []string{"hung", "gone"} {
		if !strings.Contains(err.Error(), "rig "+name) {
			t.Errorf("error %q does not name rig %s", err, name)
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung rig error %q does not wrap the deadline", err)
	}
	up := map[string]any{}
	for _, p := range points {
		if p.Measurement == "asic" {
			up[p.Tags["rig"]] = p.Fields["up"]
		}
	}
	want := map[string]any{"good": int64(1), "hung": int64(0), "gone": int64(0)}
	for k, v := range want {
		if up[k] != v {
			t.Errorf("rig %s up = %v, want %v", k, up[k], v)
		}
	}
}

// A rig timeout longer than the caller's deadline must not hold Collect.
func TestASICHonoursCallerDeadline(t *testing.T) {
	hung := startFake(t, &fakeRig{hang: true})
	a := newTestASIC([]ASICRig{{Address: hung.addr}}, ASICOptions{Timeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := a.Collect(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestASICCancelWithoutDeadline(t *testing.T) {
	hung := startFake(t, &fakeRig{hang: true})
	a := newTestASIC([]ASICRig{{Address: hung.addr}}, ASICOptions{Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(hung.seen()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := a.Collect(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestASICConcurrencyBound(t *testing.T) {
	srv := startFake(t, &fakeRig{replies: loadRig(t, "antminer_s19"), delay: 20 * time.Millisecond})
	var rigs []ASICRig
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		rigs = append(rigs, ASICRig{Address: srv.addr, Name: n})
	}
	pts, err := newTestASIC(rigs, ASICOptions{Concurrency: 2}).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := countMeasurement(pts, "asic"); got != 6 {
		t.Errorf("%d asic points, want 6", got)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.maxIn > 2 {
		t.Errorf("%d rigs polled at once, want at most 2", srv.maxIn)
	}
}

func TestASICReplyBounds(t *testing.T) {
	huge := bytes.Repeat([]byte(" "), 3<<20)
	good := loadRig(t, "antminer_s19")
	tests := []struct {
		name    string
		summary []byte
		wantErr string
	}{
		{"oversized", huge, "exceeds"},
		{"truncated then closed", good["summary"][:200], "truncated"},
		{"closed without NUL", bytes.TrimRight(good["summary"], "\x00"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFakeRig(t, map[string][]byte{"summary": tt.summary})
			pts, err := newTestASIC([]ASICRig{{Address: srv.addr, Name: "r"}}, ASICOptions{MaxReplyBytes: 1 << 20}).Collect(context.Background())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Collect: %v", err)
				}
				if pts[0].Fields["up"] != int64(1) {
					t.Fatalf("up = %v", pts[0].Fields["up"])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if pts[0].Fields["up"] != int64(0) || !strings.Contains(pts[0].Fields["error"].(string), tt.wantErr) {
				t.Errorf("down point = %v", pts[0].Fields)
			}
		})
	}
}

func TestASICRefusesWriteCommands(t *testing.T) {
	srv := startFakeRig(t, nil)
	a := newTestASIC(nil, ASICOptions{})
	for _, cmd := range []string{"restart", "quit", "addpool", "switchpool", "ascset", "setconfig"} {
		if _, err := a.command(context.Background(), srv.addr, cmd); err == nil || !strings.Contains(err.Error(), "not a read-only") {
			t.Errorf("command(%q) err = %v, want refusal", cmd, err)
		}
	}
	if got := srv.seen(); len(got) != 0 {
		t.Errorf("rig received %v", got)
	}
}

// Once a rig's MAC is known it keeps its identity while it is down.
func TestASICKeepsMACWhenDown(t *testing.T) {
	srv := startFakeRig(t, loadRig(t, "whatsminer"))
	a := newTestASIC([]ASICRig{{Address: srv.addr}}, ASICOptions{Timeout: 200 * time.Millisecond})
	pts, err := a.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := pts[0].Tags["rig"]; got != "c4:11:04:01:2a:3b" {
		t.Fatalf("rig tag = %q, want the MAC", got)
	}
	srv.mu.Lock()
	srv.replies = map[string][]byte{"summary": []byte("{\"STATUS\":")}
	srv.mu.Unlock()
	pts, _ = a.Collect(context.Background())
	if pts[0].Tags["rig"] != "c4:11:04:01:2a:3b" || pts[0].Fields["up"] != int64(0) {
		t.Fatalf("down point tags %v fields %v", pts[0].Tags, pts[0].Fields)
	}
}

func TestNormalizeMAC(t *testing.T) {
	for in, want := range map[string]string{
		"C4:11:04:01:2A:3B": "c4:11:04:01:2a:3b",
		"c4-11-04-01-2a-3b": "c4:11:04:01:2a:3b",
		"C411.0401.2A3B":    "c4:11:04:01:2a:3b",
		"c41104012a3b":      "c4:11:04:01:2a:3b",
		"00:00:00:00:00:00": "",
		"garbage":           "",
	} {
		if got := normalizeMAC(in); got != want {
			t.Errorf("normalizeMAC(%q) = %q, want %q", in, got, want)
		}
	}
}

func countMeasurement(pts []metric.Point, m string) int {
	n := 0
	for _, p := range pts {
		if p.Measurement == m {
			n++
		}
	}
	return n
}

func TestActivePool(t *testing.T) {
	tests := []struct {
		name     string
		pools    []map[string]any
		wantURL  string
		wantUser string
	}{
		{"stratum active wins over priority", []map[string]any{
			{"URL": "a", "User": "ua", "Status": "Alive", "Priority": 0.0, "Stratum Active": false},
			{"URL": "b", "User": "ub", "Status": "Alive", "Priority": 1.0, "Stratum Active": true},
		}, "b", "ub"},
		{"best alive priority without the flag", []map[string]any{
			{"URL": "dead", "Status": "Dead", "Priority": 0.0},
			{"URL": "second", "User": "u2", "Status": "Alive", "Priority": 2.0},
			{"URL": "first", "User": "u1", "Status": "Alive", "Priority": 1.0},
		}, "first", "u1"},
		{"none alive", []map[string]any{{"URL": "dead", "Status": "Dead"}}, "", ""},
	}
	for _, tt := range tests {
		url, user := activePool(tt.pools)
		if url != tt.wantURL || user != tt.wantUser {
			t.Errorf("%s: activePool = %q, %q; want %q, %q", tt.name, url, user, tt.wantURL, tt.wantUser)
		}
	}
}

func TestRateUnitScale(t *testing.T) {
	for unit, want := range map[string]float64{"GH/s": 1e9, "": 1e9, "TH/s": 1e12, "th/s": 1e12, "MH/s": 1e6, "KH/s": 1e3, "H/s": 1} {
		if got := rateUnitScale(unit); got != want {
			t.Errorf("rateUnitScale(%q) = %g, want %g", unit, got, want)
		}
	}
}

// Collector names are the contract with the config sections and --only.
func TestCollectorNames(t *testing.T) {
	for want, c := range map[string]interface{ Name() string }{
		"host": NewHost(HostOptions{}, discard()),
		"rapl": NewRAPL("", discard()),
		"asic": NewASIC(nil, ASICOptions{}, discard()),
		"nvml": NewNVMLDriver(discard()),
	} {
		if got := c.Name(); got != want {
			t.Errorf("Name() = %q, want %q", got, want)
		}
	}
}
