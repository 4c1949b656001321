package agent_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 8 test 3: a power cut tore the last record. The agent starts,
// delivers every record before the damage, and says where the bad bytes went.
func TestTornSpoolTailAtStart(t *testing.T) {
	requireLinux(t)
	for _, damage := range []string{"truncate", "garble"} {
		t.Run(damage, func(t *testing.T) {
			srv := newFakeInflux(t)
			srv.set(func([]string) reply { return reply{status: 503} })
			health := freeAddr(t)
			e := newTestEnv(t, srv.URL(), "db/rp", fmt.Sprintf("health_listen = %q\nself_metrics = false", health))
			r := e.start("10@10ms")
			waitFor(t, 20*time.Second, "points spooled", func() bool { return len(e.acked()) >= 500 })
			r.kill()
			acked := e.acked()

			segs, _ := filepath.Glob(filepath.Join(e.spool, "*.seg"))
			sort.Strings(segs)
			if len(segs) == 0 {
				t.Fatal("no spool segment on disk")
			}
			last := segs[len(segs)-1]
			fi, _ := os.Stat(last)
			switch damage {
			case "truncate":
				if err := os.Truncate(last, fi.Size()-7); err != nil {
					t.Fatal(err)
				}
			case "garble":
				f, _ := os.OpenFile(last, os.O_RDWR, 0)
				_, _ = f.WriteAt([]byte{0xde, 0xad, 0xbe, 0xef}, fi.Size()-30)
				f.Close()
			}

			srv.set(nil)
			r = e.start("")
			waitFor(t, 30*time.Second, "spool drained", func() bool {
				doc, err := healthz(health)
				return err == nil && spoolPending(doc) == 0
			})
			doc, _ := healthz(health)
			r.stop(10 * time.Second)
			stored := srv.snapshot()
			missing := 0
			for k := range acked {
				if _, ok := stored[k]; !ok {
					missing++
				}
			}
			// Only the damaged record (one point per record) may be gone.
			if missing > 1 {
				t.Errorf("%d acknowledged points missing after a %s of the last record; want at most 1", missing, damage)
			}
			sp, _ := doc["spool"].(map[string]any)
			if c, _ := sp["corrupt_regions"].(float64); c < 1 {
				t.Errorf("health reports %v corrupt regions, want at least 1", sp["corrupt_regions"])
			}
			if bad, _ := filepath.Glob(filepath.Join(e.spool, "corrupt", "*")); len(bad) == 0 {
				t.Error("the damaged bytes were not kept aside under spool/corrupt/")
			}
			t.Logf("%s: %d acknowledged, %d missing", damage, len(acked), missing)
		})
	}
}

// Issue 8 test 4: a long outage at a high point rate keeps memory flat; the
// backlog lives on disk. The bound is on resources, not on time.
func TestMemoryStaysFlatDuringOutage(t *testing.T) {
	requireLinux(t)
	srv := newFakeInflux(t)
	srv.set(func([]string) reply { return reply{status: 503, body: "down for maintenance"} })
	e := newTestEnv(t, srv.URL(), "db/rp", "")
	r := e.start("500@10ms") // up to 50k points/s
	time.Sleep(5 * time.Second)
	early, spoolEarly := r.rssKiB(), dirBytes(t, e.spool)
	peak := early
	for range 15 {
		time.Sleep(time.Second)
		peak = max(peak, r.rssKiB())
	}
	spoolLate := dirBytes(t, e.spool)
	r.stop(15 * time.Second)
	grew := spoolLate - spoolEarly
	t.Logf("RSS %d KiB after 5 s, peak %d KiB over the next 15 s; spool grew %.1f MB on disk", early, peak, float64(grew)/1e6)
	if grew < 8<<20 {
		t.Fatalf("spool grew only %d bytes; the test did not build a backlog", grew)
	}
	if peak-early > 16<<10 {
		t.Errorf("RSS grew by %d KiB while the backlog grew %d MB on disk; want under 16 MiB", peak-early, grew>>20)
	}
}

// Issue 8 test 5: a bad config stops the start with the key named; a bad
// config on SIGHUP is rejected and the old one keeps running; a good one
// takes effect.
func TestBadConfigAndReload(t *testing.T) {
	requireLinux(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	_ = os.WriteFile(bad, []byte("[agent]\nbatch_size = 0\nflush_intervall = \"1s\"\n"), 0o600)
	out, err := exec.Command(perwattBinary(t), "agent", "--config", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "batch_size") || !strings.Contains(string(out), "flush_intervall") {
		t.Fatalf("agent with a bad config: err %v, output:\n%s", err, out)
	}

	e := newTestEnv(t, "", "", "")
	// Rewrite with the tag this test watches.
	withSite := func(site string) {
		e.writeConfig("", "", "")
		b, _ := os.ReadFile(e.config)
		_ = os.WriteFile(e.config, []byte(strings.Replace(string(b), "[tags]\n", "[tags]\nsite = \""+site+"\"\n", 1)), 0o600)
	}
	withSite("a")
	r := e.start("5@20ms")
	output := filepath.Join(e.dir, "output.lp")
	lines := func(substr string) int {
		b, _ := os.ReadFile(output)
		return strings.Count(string(b), substr)
	}
	waitFor(t, 20*time.Second, "points with site=a", func() bool { return lines("site=a") > 0 })

	_ = os.WriteFile(e.config, []byte("[agent]\nbogus_key = 1\n"), 0o600)
	_ = r.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "reload rejected", func() bool { return strings.Contains(r.stderr.String(), "new configuration rejected") })
	if !strings.Contains(r.stderr.String(), "bogus_key") {
		t.Errorf("rejection does not name the bad key:\n%s", tail(r.stderr.String(), 2000))
	}
	n := lines("site=a")
	waitFor(t, 10*time.Second, "old config still collecting", func() bool { return lines("site=a") > n+20 })

	withSite("b")
	_ = r.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "points with site=b after reload", func() bool { return lines("site=b") > 0 })
	r.stop(10 * time.Second)
	if r.exited() && r.cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("exit code %d after SIGTERM", r.cmd.ProcessState.ExitCode())
	}
}

// Issue 10 item 8 at binary level: InfluxDB 1.x answers "partial write"
// for some lines; the rest lands, the bad lines go to the dead-letter
// file with the server's words, and the spool drains.
func TestPoisonPointsGoToDeadLetter(t *testing.T) {
	requireLinux(t)
	srv := newFakeInflux(t)
	poison := func(l string) bool { return strings.Contains(l, "00i,value=") } // seq 100, 200, ...
	srv.set(func(lines []string) reply {
		store := make([]bool, len(lines))
		bad := 0
		for i, l := range lines {
			store[i] = !poison(l)
			if !store[i] {
				bad++
			}
		}
		if bad == 0 {
			return reply{}
		}
		return reply{status: 400, store: store, body: fmt.Sprintf(`partial write: field type conflict: input field "seq" on measurement "perwatt_synthetic" is type float, already exists as type integer dropped=%d`, bad)}
	})
	health := freeAddr(t)
	e := newTestEnv(t, srv.URL(), "db/rp", fmt.Sprintf("health_listen = %q", health))
	r := e.start("20@10ms")
	waitFor(t, 20*time.Second, "1000 points acknowledged", func() bool { return len(e.acked()) > 1000 })
	r.stop(10 * time.Second)
	r = e.start("")
	waitFor(t, 30*time.Second, "spool drained", func() bool {
		doc, err := healthz(health)
		return err == nil && spoolPending(doc) == 0
	})
	r.stop(10 * time.Second)
	dead, _ := os.ReadFile(e.dead)
	deadLines := map[string]bool{}
	for _, l := range strings.Split(string(dead), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			k, _ := splitLine(l)
			deadLines[k] = true
		}
	}
	stored := srv.snapshot()
	for k := range e.acked() {
		if _, on := stored[k]; !on && !deadLines[k] {
			t.Fatalf("acknowledged point neither on the server nor dead-lettered: %s", k)
		}
	}
	if len(deadLines) == 0 || !strings.Contains(string(dead), "field type conflict") {
		t.Fatalf("dead-letter file lacks the poison points or the server's reason:\n%s", tail(string(dead), 1000))
	}
	for k := range deadLines {
		if _, on := stored[k]; on {
			t.Errorf("dead-lettered point is also on the server: %s", k)
		}
	}
	t.Logf("%d poison points dead-lettered, %d points stored", len(deadLines), len(stored))
}
