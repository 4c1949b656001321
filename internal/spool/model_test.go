package spool

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// spoolModel is the state machine for the model-based power-loss test: the
// model is the queue of acknowledged, uncommitted records, and how many at
// its front are durable under the policy.
type spoolModel struct {
	fsys    *memFS
	opts    Options
	s       *Spool
	next    int
	queue   []int
	durable int
}

func newSpoolModel(t *rapid.T, m mutant) *spoolModel {
	fsys := newMemFS()
	opts := memOpts(fsys, m)
	opts.Sync = rapid.SampledFrom([]SyncPolicy{SyncEveryAppend, SyncInterval, SyncNever}).Draw(t, "policy")
	opts.SyncInterval = time.Hour // group commits happen only in the "groupCommit" action
	opts.SegmentBytes = int64(rapid.SampledFrom([]int{4096, 8192}).Draw(t, "segment"))
	s, err := Open(testDir, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return &spoolModel{fsys: fsys, opts: opts, s: s}
}

func (sm *spoolModel) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"append": func(t *rapid.T) {
			n := rapid.IntRange(1, 12).Draw(t, "n")
			if err := sm.s.Append(recs(sm.next, n)); err != nil {
				t.Fatalf("append: %v", err)
			}
			sm.queue = append(sm.queue, seq(sm.next, n)...)
			sm.next += n
			if sm.opts.Sync == SyncEveryAppend {
				sm.durable = len(sm.queue)
			}
		},
		"deliver": func(t *rapid.T) {
			k := rapid.IntRange(1, 30).Draw(t, "k")
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			b, err := sm.s.Read(ctx, k, 0)
			if errors.Is(err, context.Canceled) {
				if len(sm.queue) > 0 {
					t.Fatalf("read nothing with %d records queued", len(sm.queue))
				}
				return
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			got, err := ids(b.Records)
			if err != nil {
				t.Fatal(err)
			}
			if err := equalIDs(got, sm.queue[:min(k, len(sm.queue))]); err != nil {
				t.Fatalf("read order: %v", err)
			}
			if err := sm.s.Commit(b); err != nil {
				t.Fatalf("commit: %v", err)
			}
			sm.queue = sm.queue[len(got):]
			sm.durable = max(0, sm.durable-len(got))
		},
		"groupCommit": func(t *rapid.T) {
			if sm.opts.Sync != SyncInterval {
				t.Skip("group commit only under SyncInterval")
			}
			sm.s.syncNow()
			sm.durable = len(sm.queue)
		},
		"powerCut": func(t *rapid.T) {
			rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
			sm.fsys.crash(func(_ string, unsynced int) int { return rng.IntN(unsynced + 1) })
			got := sm.reopen(t)
			// What survives is a prefix of the queue covering at least
			// every durable record; nothing else may appear.
			if len(got) < sm.durable || len(got) > len(sm.queue) {
				t.Fatalf("after power cut %d records, want between %d (durable) and %d", len(got), sm.durable, len(sm.queue))
			}
			if err := equalIDs(got, sm.queue[:len(got)]); err != nil {
				t.Fatalf("after power cut: %v", err)
			}
			sm.queue = got
			sm.durable = len(got)
		},
		"kill": func(t *rapid.T) {
			sm.fsys.killProcess()
			if err := equalIDs(sm.reopen(t), sm.queue); err != nil {
				t.Fatalf("after kill -9: %v", err)
			}
		},
		"restart": func(t *rapid.T) {
			if err := sm.s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := equalIDs(sm.reopen(t), sm.queue); err != nil {
				t.Fatalf("after clean restart: %v", err)
			}
			sm.durable = len(sm.queue)
		},
		"": func(t *rapid.T) {
			if p := sm.s.Stats().PendingRecords; p != int64(len(sm.queue)) {
				t.Fatalf("stats pending %d, model %d", p, len(sm.queue))
			}
		},
	}
}

// reopen opens the spool again and returns every pending record, leaving
// them unread.
func (sm *spoolModel) reopen(t *rapid.T) []int {
	s, err := Open(testDir, sm.opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	sm.s = s
	recs, err := drain(s)
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	s.Rewind()
	got, err := ids(recs)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func modelProp(m mutant) func(*rapid.T) {
	return func(t *rapid.T) {
		sm := newSpoolModel(t, m)
		t.Repeat(sm.actions())
	}
}

// TestPowerLossModel: random sequences of appends, deliveries, group
// commits, power cuts, kills and restarts against the model. Failing cases
// are kept by rapid under testdata/rapid/ and replayed first on every run.
// -spool.long raises the number of cases.
func TestPowerLossModel(t *testing.T) {
	if !flagSet("rapid.checks") {
		checks := "1000"
		if *long {
			checks = "20000"
		}
		setFlag(t, "rapid.checks", checks)
	}
	rapid.Check(t, modelProp(mutNone))
}

var flagMu sync.Mutex

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func setFlag(t *testing.T, name, value string) {
	f := flag.Lookup(name)
	old := f.Value.String()
	if err := f.Value.Set(value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Value.Set(old) })
}

// checkModelMutant runs the model against a mutant and returns rapid's
// verdict as an error. Fail files are not written for deliberate mutants.
func checkModelMutant(m mutant) error {
	flagMu.Lock()
	defer flagMu.Unlock()
	restore := map[string]string{}
	for name, v := range map[string]string{"rapid.nofailfile": "true", "rapid.shrinktime": "200ms", "rapid.checks": "60"} {
		f := flag.Lookup(name)
		restore[name] = f.Value.String()
		f.Value.Set(v)
	}
	defer func() {
		for name, v := range restore {
			flag.Lookup(name).Value.Set(v)
		}
	}()
	tb := &recordingTB{name: "mutant-" + m.String()}
	rapid.Check(tb, modelProp(m))
	if tb.failed {
		return fmt.Errorf("model check failed: %s", tb.first)
	}
	return nil
}

// recordingTB lets rapid run outside a *testing.T and reports its verdict.
type recordingTB struct {
	name   string
	failed bool
	first  string
}

func (r *recordingTB) Helper()                   {}
func (r *recordingTB) Name() string              { return r.name }
func (r *recordingTB) Logf(string, ...any)       {}
func (r *recordingTB) Log(...any)                {}
func (r *recordingTB) Skipf(string, ...any)      {}
func (r *recordingTB) Skip(...any)               {}
func (r *recordingTB) SkipNow()                  {}
func (r *recordingTB) Errorf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)) }
func (r *recordingTB) Error(a ...any)            { r.fail(fmt.Sprint(a...)) }
func (r *recordingTB) Fatalf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)) }
func (r *recordingTB) Fatal(a ...any)            { r.fail(fmt.Sprint(a...)) }
func (r *recordingTB) FailNow()                  { r.fail("FailNow") }
func (r *recordingTB) Fail()                     { r.fail("Fail") }
func (r *recordingTB) Failed() bool              { return r.failed }

func (r *recordingTB) fail(msg string) {
	if !r.failed {
		r.first = msg
		if len(r.first) > 300 {
			r.first = r.first[:300]
		}
	}
	r.failed = true
}
