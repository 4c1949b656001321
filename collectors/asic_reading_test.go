package collectors

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

func rigPoint(t *testing.T, pts []metric.Point, rig string) metric.Point {
	t.Helper()
	for _, p := range pts {
		if p.Measurement == "asic" && p.Tags["rig"] == rig {
			return p
		}
	}
	t.Fatalf("no asic point for rig %s in %d points", rig, len(pts))
	return metric.Point{}
}

// A rig whose summary answers but whose detail commands time out is up,
// says it is partial and which commands failed — and stops saying so once
// they answer again.
func TestASICPartialReadIsVisibleAndClears(t *testing.T) {
	srv := startFake(t, &fakeRig{replies: loadRig(t, "antminer_s19"),
		hangOn: map[string]bool{"stats": true, "devs": true, "pools": true}})
	a := newTestASIC([]ASICRig{{Address: srv.addr, Name: "s19"}}, ASICOptions{Timeout: 500 * time.Millisecond, RigTimeout: 5 * time.Second})
	pts, err := a.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	p := rigPoint(t, pts, "s19")
	if p.Fields["up"] != int64(1) || p.Fields["partial"] != true {
		t.Fatalf("up=%v partial=%v, want 1 and true", p.Fields["up"], p.Fields["partial"])
	}
	if got := p.Fields["failed_commands"]; got != "stats,devs,pools" {
		t.Errorf("failed_commands = %v, want stats,devs,pools", got)
	}
	if _, ok := p.Fields["fan1_rpm"]; ok {
		t.Error("fans reported although stats failed")
	}

	srv.mu.Lock()
	srv.hangOn = nil
	srv.mu.Unlock()
	pts, err = a.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect after recovery: %v", err)
	}
	p = rigPoint(t, pts, "s19")
	if p.Fields["partial"] != false || p.Fields["failed_commands"] != nil {
		t.Errorf("after recovery partial=%v failed=%v, want false and none", p.Fields["partial"], p.Fields["failed_commands"])
	}
	if _, ok := p.Fields["fan1_rpm"]; !ok || countMeasurement(pts, "asic_board") != 3 {
		t.Errorf("after recovery fans or boards missing: %v", p.Fields)
	}
}

// The timeout bounds each command, not the rig: eight commands of 100 ms
// each (800 ms together) all pass under a 400 ms timeout.
func TestASICTimeoutIsPerCommand(t *testing.T) {
	srv := startFake(t, &fakeRig{replies: loadRig(t, "antminer_s21"), delay: 100 * time.Millisecond})
	a := newTestASIC([]ASICRig{{Address: srv.addr, Name: "s21"}}, ASICOptions{Timeout: 400 * time.Millisecond, RigTimeout: 30 * time.Second})
	pts, err := a.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := rigPoint(t, pts, "s21"); p.Fields["partial"] != false {
		t.Errorf("partial = %v (failed %v): a per-rig budget of one timeout was applied", p.Fields["partial"], p.Fields["failed_commands"])
	}
	if n := len(srv.seen()); n < 5 {
		t.Errorf("%d commands answered, want at least 5 each under its own timeout", n)
	}
}

// Unsupported commands are learned once and not asked again.
func TestASICProbesOnceAndRemembers(t *testing.T) {
	srv := startFakeRig(t, loadRig(t, "antminer_s19"))
	a := newTestASIC([]ASICRig{{Address: srv.addr}}, ASICOptions{IdentityEvery: 100})
	for range 3 {
		if _, err := a.Collect(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	count := func(cmd string) int {
		n := 0
		for _, c := range srv.seen() {
			if c == cmd {
				n++
			}
		}
		return n
	}
	if count("tunerstatus") != 1 || count("get_version") != 1 || count("power") != 1 {
		t.Errorf("probes sent %d/%d/%d times over 3 polls, want once each: %v", count("tunerstatus"), count("get_version"), count("power"), srv.seen())
	}
	if count("summary") != 3 || count("stats") != 3 {
		t.Errorf("summary/stats sent %d/%d times, want 3", count("summary"), count("stats"))
	}
	if count("version") != 1 {
		t.Errorf("identity (version) asked %d times in 3 polls with IdentityEvery=100, want 1", count("version"))
	}
}

func TestASICReadings(t *testing.T) {
	braiins := startFakeRig(t, loadRig(t, "braiins"))
	luxos := startFakeRig(t, loadRig(t, "luxos"))
	s19a := startFakeRig(t, loadRig(t, "antminer_s19"))
	s19b := startFakeRig(t, loadRig(t, "antminer_s19"))
	dead := startFake(t, &fakeRig{hang: true})
	a := newTestASIC([]ASICRig{
		{Address: luxos.addr, Name: "lux"},
		{Address: braiins.addr, Name: "bos"},
		{Address: s19a.addr, Name: "s19-nameplate", NameplateW: 3250},
		{Address: s19b.addr}, // no name, no nameplate
		{Address: dead.addr, Name: "dead", NameplateW: 3000},
	}, ASICOptions{Timeout: 500 * time.Millisecond, RigTimeout: 5 * time.Second})
	if got := a.Readings(); len(got) != 0 {
		t.Fatalf("readings before any poll: %v", got)
	}

	// Readings is read by the appraisal job while the agent polls.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = a.Readings()
			}
		}
	})
	_, _ = a.Collect(context.Background())
	close(stop)
	wg.Wait()

	got := map[string]appraisal.Reading{}
	for _, r := range a.Readings() {
		got[r.ID] = r
	}
	if _, ok := got["dead"]; ok || len(got) != 4 {
		t.Fatalf("readings %v: want the 4 rigs that answered, not the dead one", slices.Collect(mapKeys(got)))
	}
	want := []struct {
		id     string
		source appraisal.PowerSource
		w      float64
		model  string
	}{
		{"lux", appraisal.PowerMeasured, 2980, "Antminer S19j Pro"},
		{"bos", appraisal.PowerFirmware, 3245, "Antminer S19j Pro"},
		{"s19-nameplate", appraisal.PowerNameplate, 3250, "Antminer S19"},
		{s19b.addr, appraisal.PowerNone, 0, "Antminer S19"},
	}
	for _, w := range want {
		r := got[w.id]
		if r.Kind != appraisal.KindASIC || r.PowerSource != w.source || r.PowerW != w.w || r.Model != w.model {
			t.Errorf("%s: kind %q source %q power %v model %q, want asic %q %v %q", w.id, r.Kind, r.PowerSource, r.PowerW, r.Model, w.source, w.w, w.model)
		}
		if r.HashrateHS <= 0 || r.At.IsZero() {
			t.Errorf("%s: hashrate %v at %v", w.id, r.HashrateHS, r.At)
		}
		if (w.source == appraisal.PowerNone) != (r.PowerNote != "") {
			t.Errorf("%s: power note %q with source %q", w.id, r.PowerNote, r.PowerSource)
		}
	}
	if got["s19-nameplate"].HashrateHS != 9.487612e13 {
		t.Errorf("hashrate = %v, want the average 9.487612e13", got["s19-nameplate"].HashrateHS)
	}
	if !strings.Contains(got[s19b.addr].PowerNote, "nameplate_w") {
		t.Errorf("power note %q does not tell the operator what to set", got[s19b.addr].PowerNote)
	}

	// A rig that goes down leaves the readings and comes back by itself.
	s19a.mu.Lock()
	s19a.hang = true
	s19a.mu.Unlock()
	_, _ = a.Collect(context.Background())
	for _, r := range a.Readings() {
		if r.ID == "s19-nameplate" {
			t.Fatal("a rig that did not answer its last poll is still in Readings")
		}
	}
	s19a.mu.Lock()
	s19a.hang = false
	s19a.mu.Unlock()
	_, _ = a.Collect(context.Background())
	back := false
	for _, r := range a.Readings() {
		back = back || r.ID == "s19-nameplate"
	}
	if !back {
		t.Error("the rig answered again but is not back in Readings")
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// temp_max_c is the hottest chip wherever a rig reports chips, whichever
// reply carries them; only a rig without chip sensors reports its hottest
// board, and says so.
func TestTempMaxIsHottestChip(t *testing.T) {
	parse := func(s string) map[string]any {
		o, err := parseReply([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	tests := []struct {
		name       string
		replies    map[string]string
		want       float64
		wantSensor string
	}{
		{"whatsminer summary chip max beats board temps", map[string]string{
			"summary": `{"STATUS":[{"STATUS":"S","Description":"btminer"}],"SUMMARY":[{"MHS av":1,"Temperature":72,"Chip Temp Max":88.5}]}`,
			"devs":    `{"DEVS":[{"ASC":0,"MHS 1m":1,"Temperature":79},{"ASC":1,"MHS 1m":1,"Temperature":75}]}`,
		}, 88.5, "chip"},
		{"antminer chip sensors per chain", map[string]string{
			"summary": `{"SUMMARY":[{"GHS av":1}]}`,
			"stats":   `{"STATS":[{"Type":"Antminer S19"},{"Elapsed":1,"chain_rate1":1,"temp_pcb1":"50-60","temp_chip1":"70-81","chain_rate2":1,"temp_pcb2":"66","temp_chip2":"75"}]}`,
		}, 81, "chip"},
		{"board sensors only", map[string]string{
			"summary": `{"SUMMARY":[{"MHS av":1}]}`,
			"devs":    `{"DEVS":[{"ASC":0,"MHS 5s":1,"Temperature":64},{"ASC":1,"MHS 5s":1,"Temperature":66}]}`,
		}, 66, "board"},
	}
	for _, tt := range tests {
		replies := map[string]map[string]any{}
		for k, v := range tt.replies {
			replies[k] = parse(v)
		}
		r := ASICReading{Up: true}
		normalizeCgminer(&r, replies)
		r.finish(0)
		if !r.TempMaxC.OK || r.TempMaxC.V != tt.want || r.TempMaxSensor != tt.wantSensor {
			t.Errorf("%s: temp_max_c %v (%s), want %v (%s)", tt.name, r.TempMaxC, r.TempMaxSensor, tt.want, tt.wantSensor)
		}
		for _, b := range r.Boards {
			if !b.HashrateHS.OK {
				t.Errorf("%s: board %d has no hashrate", tt.name, b.Index)
			}
		}
	}
}

func TestASICErrorSummaryIsBounded(t *testing.T) {
	var rigs []ASICRig
	for i := range 25 {
		rigs = append(rigs, ASICRig{Address: fmt.Sprintf("127.0.0.1:%d", 1+i), Name: fmt.Sprintf("gone-%d", i)}) // nothing listens on ports 1..25
	}
	a := newTestASIC(rigs, ASICOptions{Timeout: 200 * time.Millisecond})
	pts, err := a.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "25 of 25 rigs did not answer") {
		t.Fatalf("err = %v", err)
	}
	if strings.Count(err.Error(), "rig gone-") != maxRigErrors {
		t.Errorf("error names %d rigs, want %d", strings.Count(err.Error(), "rig gone-"), maxRigErrors)
	}
	if countMeasurement(pts, "asic") != 25 {
		t.Errorf("%d asic points, want one up=0 point per rig", countMeasurement(pts, "asic"))
	}
}

// A rig that was down may come back re-flashed: its capabilities are
// probed again.
func TestASICReprobesAfterDown(t *testing.T) {
	srv := startFakeRig(t, loadRig(t, "antminer_s19"))
	a := newTestASIC([]ASICRig{{Address: srv.addr, Name: "r"}}, ASICOptions{Timeout: 500 * time.Millisecond})
	if _, err := a.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Re-flashed to Braiins OS while down.
	srv.mu.Lock()
	srv.hang = true
	srv.mu.Unlock()
	if _, err := a.Collect(context.Background()); err == nil {
		t.Fatal("no error while the rig was down")
	}
	bos := loadRig(t, "braiins_anon")
	srv.mu.Lock()
	srv.hang, srv.replies = false, bos
	srv.mu.Unlock()
	pts, err := a.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := rigPoint(t, pts, "r"); p.Tags["firmware"] != "braiins" || p.Tags["power_source"] != "firmware" {
		t.Errorf("after re-flash: firmware %q power_source %q, want braiins and firmware", p.Tags["firmware"], p.Tags["power_source"])
	}
}
