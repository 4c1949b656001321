//go:build linux

package agent_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/influxtest"
)

// The disk-full scenarios of the spool, end to end: the real agent binary,
// a real InfluxDB 1.8, a real tmpfs as spool.dir. `make diskfull` runs them
// with longer phases and prints the table README.md quotes.
//
// Each scenario reports points produced (acknowledged + refused by the
// spool), acknowledged (the agent's oracle file), delivered (distinct
// points InfluxDB holds), duplicated (points InfluxDB received more than
// once: its own httpd pointsWrittenOK minus distinct points), lost
// (acknowledged but not stored) and the agent's points_dropped counter,
// which must equal lost.

// diskfullPhase is how long each fault lasts; PERWATT_DISKFULL_PHASE
// overrides it.
func diskfullPhase(t *testing.T) time.Duration {
	if v := os.Getenv("PERWATT_DISKFULL_PHASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("PERWATT_DISKFULL_PHASE: %v", err)
		}
		return d
	}
	return 2 * time.Second
}

// mountTmpfs mounts a tmpfs of size bytes; it needs root or CAP_SYS_ADMIN
// and skips, saying so, without.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a %d-byte tmpfs as spool.dir (needs root or CAP_SYS_ADMIN): %v", size, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fillDisk writes path until not one more byte fits.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for _, n := range []int{len(buf), 4096, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
}

// httpdPointsWritten is InfluxDB's own count of points accepted over HTTP,
// duplicates included.
func httpdPointsWritten(t *testing.T, base string) int64 {
	t.Helper()
	resp, err := http.Get(base + "/query?" + url.Values{"q": {"SHOW STATS FOR 'httpd'"}}.Encode())
	if err != nil {
		t.Fatalf("influxd stats: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc struct {
		Results []struct {
			Series []struct {
				Columns []string `json:"columns"`
				Values  [][]any  `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Results) == 0 || len(doc.Results[0].Series) == 0 {
		t.Fatalf("influxd stats: %v: %s", err, tail(string(body), 300))
	}
	var n int64
	for _, s := range doc.Results[0].Series {
		for i, c := range s.Columns {
			if c == "pointsWrittenOK" && len(s.Values) > 0 {
				v, _ := s.Values[0][i].(float64)
				n += int64(v)
			}
		}
	}
	return n
}

// counter reads a number from the health document (0 when absent).
func counter(doc map[string]any, key string) int64 {
	if sp, ok := strings.CutPrefix(key, "spool."); ok {
		m, _ := doc["spool"].(map[string]any)
		v, _ := m[sp].(float64)
		return int64(v)
	}
	v, _ := doc[key].(float64)
	return int64(v)
}

// diskfullRun is one scenario's environment and tally.
type diskfullRun struct {
	t       *testing.T
	d       *ownInfluxd
	db      string
	e       *testEnv
	health  string
	refused int64 // summed over the agent's runs
	dropped int64
	// influxd's pointsWrittenOK restarts at zero with influxd: received
	// sums what each of its runs took, base is where this one started.
	received, base int64
}

func (r *diskfullRun) stopInflux() {
	r.received += httpdPointsWritten(r.t, r.d.URL()) - r.base
	r.d.stop()
}

func (r *diskfullRun) startInflux() {
	r.d.start()
	r.base = 0
}

func newDiskfullRun(t *testing.T, d *ownInfluxd, db string, tmpfsSize int) *diskfullRun {
	t.Helper()
	mnt := mountTmpfs(t, tmpfsSize)
	if err := influxtest.V1Query(d.URL(), "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	r := &diskfullRun{t: t, d: d, db: db, health: freeAddr(t), base: httpdPointsWritten(t, d.URL())}
	r.e = newTestEnv(t, d.URL(), db+"/autogen", fmt.Sprintf("health_listen = %q", r.health))
	r.e.spool = filepath.Join(mnt, "spool")
	r.e.writeConfig(d.URL(), db+"/autogen", fmt.Sprintf("health_listen = %q", r.health))
	cfg, _ := os.ReadFile(r.e.config)
	// The shipped defaults: 1 GiB cap, 16 MiB segments; no self-metrics,
	// so that every point counted is a synthetic one.
	s := strings.NewReplacer(
		"max_size = \"256MiB\"\nsegment_size = \"1MiB\"\n", "",
		"self_metrics_interval = \"1s\"", "self_metrics = false",
		filepath.Join(r.e.dir, "spool"), r.e.spool,
	).Replace(string(cfg))
	if err := os.WriteFile(r.e.config, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *diskfullRun) healthz() map[string]any {
	r.t.Helper()
	var doc map[string]any
	waitFor(r.t, 10*time.Second, "health endpoint", func() bool {
		var err error
		doc, err = healthz(r.health)
		return err == nil
	})
	return doc
}

// tally adds the running agent's counters before it stops.
func (r *diskfullRun) tally() {
	doc := r.healthz()
	r.refused += counter(doc, "points_refused")
	r.dropped += counter(doc, "spool.dropped_records")
}

// drainAndStop waits for an empty spool, then stops the agent.
func (r *diskfullRun) drainAndStop(a *agentRun) {
	r.t.Helper()
	waitFor(r.t, 60*time.Second, "spool drained", func() bool {
		doc, err := healthz(r.health)
		return err == nil && spoolPending(doc) == 0
	})
	r.tally()
	a.stop(15 * time.Second)
}

// report checks conservation and prints the scenario's line.
func (r *diskfullRun) report(name string) {
	r.t.Helper()
	// A last run without the synthetic collector: the restart must
	// succeed, deliver whatever the final stop left in the spool, and
	// send nothing delivered again.
	a := r.e.start("")
	r.drainAndStop(a)
	acked := r.e.acked()
	got := influxKeys(r.t, r.d.URL(), r.db)
	lost, extra := 0, 0
	for k := range acked {
		if !got[k] {
			lost++
		}
	}
	for k := range got {
		if !acked[k] {
			extra++ // refused but written, or acknowledged as SIGKILL came
		}
	}
	received := r.received + httpdPointsWritten(r.t, r.d.URL()) - r.base
	dup := received - int64(len(got))
	produced := int64(len(acked)) + r.refused
	r.t.Logf("%-34s produced %7d  acknowledged %7d  delivered %7d  duplicated %6d  lost %6d  dropped(counted) %6d  refused %6d  unacknowledged-but-delivered %d",
		name, produced, len(acked), len(got), dup, lost, r.dropped, r.refused, extra)
	fmt.Printf("DISKFULL %s produced=%d acknowledged=%d delivered=%d duplicated=%d lost=%d dropped_counted=%d refused=%d\n",
		name, produced, len(acked), len(got), dup, lost, r.dropped, r.refused)
	if int64(lost) != r.dropped {
		r.t.Errorf("%s: %d acknowledged points lost, points_dropped says %d", name, lost, r.dropped)
		for i, l := range r.e.logs {
			for _, line := range strings.Split(l.String(), "\n") {
				if strings.Contains(line, "spool") || strings.Contains(line, "stopped") {
					r.t.Logf("run %d: %s", i, line)
				}
			}
		}
	}
	// A batch delivered but not yet committed when the agent was killed
	// may go again (at most agent.batch_size, 5000); more is a bulk
	// re-send of delivered points.
	if dup > 5000 {
		r.t.Errorf("%s: %d points sent to InfluxDB more than once", name, dup)
	}
}

// TestDiskFullAgainstRealInfluxDB runs issue #13's scenarios.
func TestDiskFullAgainstRealInfluxDB(t *testing.T) {
	requireLinux(t)
	phase := diskfullPhase(t)
	d := startOwnInfluxd(t)
	const spec = "100@50ms" // 2,000 points/s

	// 1. The spool would fill its own small disk during an outage: the
	// cap, bounded by free space at start, drops the oldest instead; the
	// disk never fills, delivery and restarts work.
	t.Run("outage-on-small-disk", func(t *testing.T) {
		r := newDiskfullRun(t, d, "full1", 512<<10)
		r.stopInflux()
		a := r.e.start(spec)
		doc := r.healthz()
		if max := counter(doc, "spool.max_bytes"); max == 0 || max > 256<<10 {
			t.Errorf("spool cap %d on a 512 KiB tmpfs, want at most half of it", max)
		}
		time.Sleep(phase + 2*time.Second) // past the cap at 2,000 points/s
		if doc := r.healthz(); counter(doc, "spool.dropped_records") == 0 {
			t.Errorf("the cap never dropped during a %v outage at 2,000 points/s", phase+2*time.Second)
		}
		if doc := r.healthz(); counter(doc, "points_refused") != 0 {
			t.Errorf("points refused on a disk the spool may not fill: %v", doc["last_error"])
		}
		r.startInflux()
		r.drainAndStop(a)
		r.report("outage, 512 KiB disk, default cap") // restarts the agent once more
	})

	// 2. Another file fills the disk while InfluxDB is healthy, then is
	// removed: appends and commits resume without a restart, /healthz
	// says so, and a restart re-sends nothing in bulk.
	t.Run("disk-filled-by-another-file", func(t *testing.T) {
		r := newDiskfullRun(t, d, "full2", 8<<20)
		a := r.e.start(spec)
		time.Sleep(phase)
		filler := filepath.Join(filepath.Dir(r.e.spool), "filler")
		fillDisk(t, filler)
		waitFor(t, 10*time.Second, "/healthz not ok while the disk is full", func() bool {
			doc, err := healthz(r.health)
			return err == nil && doc["ok"] == false
		})
		time.Sleep(phase)
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "/healthz ok once space returns", func() bool {
			doc, err := healthz(r.health)
			return err == nil && doc["ok"] == true
		})
		time.Sleep(phase)
		doc := r.healthz()
		if counter(doc, "points_refused") == 0 {
			t.Error("no point refused while the disk was full")
		}
		r.drainAndStop(a)
		r.report("disk filled by another file") // restarts the agent once more
	})

	// 3. Both: InfluxDB down and the disk full; the agent is killed and
	// restarted while the disk is still full (start-up must succeed), then
	// space and InfluxDB return.
	t.Run("outage-and-full-disk-with-restart", func(t *testing.T) {
		r := newDiskfullRun(t, d, "full3", 8<<20)
		r.stopInflux()
		a := r.e.start(spec)
		time.Sleep(phase)
		filler := filepath.Join(filepath.Dir(r.e.spool), "filler")
		fillDisk(t, filler)
		time.Sleep(phase)
		r.tally()
		a.kill()
		a = r.e.start(spec)
		time.Sleep(2 * time.Second)
		if a.exited() {
			t.Fatalf("agent did not start on a full disk:\n%s", tail(r.e.logs[len(r.e.logs)-1].String(), 2000))
		}
		r.healthz()
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		r.startInflux()
		time.Sleep(phase)
		r.drainAndStop(a)
		r.report("outage + full disk + kill -9")
	})
}
