package spool

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Producers append while a consumer reads and commits, with rolls and
// group commits running: every record arrives exactly once, and each
// producer's records arrive in its own order. Run it with -race.
func TestConcurrentProducersAndConsumer(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncEveryAppend, SyncInterval} {
		t.Run(policy.String(), func(t *testing.T) {
			opts := memOpts(newMemFS(), mutNone)
			opts.Sync, opts.SyncInterval = policy, time.Millisecond
			s, err := Open(testDir, opts)
			if err != nil {
				t.Fatal(err)
			}
			const producers, batches, per = 4, 200, 5
			var wg sync.WaitGroup
			for p := range producers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for b := range batches {
						if err := s.Append(recs((p*batches+b)*per, per)); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			seen := map[int]bool{}
			last := map[int]int{}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for len(seen) < producers*batches*per {
				b, err := s.Read(ctx, 37, 0)
				if err != nil {
					t.Fatalf("read after %d records: %v", len(seen), err)
				}
				got, err := ids(b.Records)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range got {
					if seen[id] {
						t.Fatalf("record %d delivered twice", id)
					}
					seen[id] = true
					p := id / (batches * per)
					if prev, ok := last[p]; ok && id <= prev {
						t.Fatalf("producer %d: record %d after %d", p, id, prev)
					}
					last[p] = id
				}
				if err := s.Commit(b); err != nil {
					t.Fatal(err)
				}
			}
			wg.Wait()
			st := s.Stats()
			if st.PendingRecords != 0 || st.AppendedRecords != producers*batches*per {
				t.Fatalf("stats after draining: %+v", st)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			if err := s.Append(recs(0, 1)); err != ErrClosed {
				t.Fatalf("append after close: %v", err)
			}
		})
	}
}

// Concurrent appenders under SyncEveryAppend share fsyncs, and when one
// shared fsync fails every appender it covered gets the error, the file is
// never synced again, and everything acknowledged survives a power cut.
func TestGroupCommitSharesFsyncsAndFailsClosed(t *testing.T) {
	fsys := newMemFS()
	var syncs atomic.Int64
	fsys.fault = func(op, name string) error {
		if op != "sync" || !strings.HasSuffix(name, segSuffix) {
			return nil
		}
		time.Sleep(200 * time.Microsecond) // a disk, so that appenders pile up
		if syncs.Add(1) == 40 {
			return syscall.EIO
		}
		return nil
	}
	s, err := Open(testDir, memOpts(fsys, mutNone))
	if err != nil {
		t.Fatal(err)
	}
	const producers, batches, per = 6, 100, 3
	var mu sync.Mutex
	var acked []int
	failed := 0
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				from := (p*batches + b) * per
				err := s.Append(recs(from, per))
				mu.Lock()
				if err == nil {
					acked = append(acked, seq(from, per)...)
				} else if errors.Is(err, syscall.EIO) {
					failed++
				} else {
					t.Errorf("append: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st := s.Stats()
	if failed == 0 || st.WriteErrors != 1 {
		t.Fatalf("failed appends %d, write errors %d: want the appenders of one failed fsync round refused", failed, st.WriteErrors)
	}
	if st.Syncs >= st.Appends {
		t.Errorf("%d fsyncs for %d appends: concurrent appenders did not share fsyncs", st.Syncs, st.Appends)
	}
	t.Logf("%d appends acknowledged with %d fsyncs; %d refused by the failed one", st.Appends, st.Syncs, failed)
	fsys.crash(func(string, int) int { return 0 })
	s, err = Open(testDir, memOpts(fsys, mutNone))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ := drain(s)
	gotIDs, err := ids(got)
	if err != nil {
		t.Fatal(err)
	}
	have := map[int]bool{}
	for _, id := range gotIDs {
		have[id] = true
	}
	for _, id := range acked {
		if !have[id] {
			t.Fatalf("acknowledged record %d lost", id)
		}
	}
}

// Power is cut while appenders and a consumer are running: every append
// that returned nil before or during the cut is on disk after it.
func TestPowerCutDuringConcurrentAppends(t *testing.T) {
	rounds := 10
	if *long {
		rounds = 200
	}
	for round := range rounds {
		fsys := newMemFS()
		opts := memOpts(fsys, mutNone)
		s, err := Open(testDir, opts)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		acked := map[int]bool{}
		committed := map[int]bool{}
		var wg sync.WaitGroup
		for p := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := 0; ; b++ {
					from := (p*100000 + b) * 4
					if err := s.Append(recs(from, 4)); err != nil {
						return // the power is off
					}
					mu.Lock()
					for _, id := range seq(from, 4) {
						acked[id] = true
					}
					mu.Unlock()
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
				b, err := s.Read(ctx, 50, 0)
				cancel()
				if err == context.DeadlineExceeded {
					continue
				}
				if err != nil {
					return
				}
				// The sink has the batch once it was read. A commit whose
				// checkpoint failed (the power is off) still released it:
				// its segments may be deleted, as after any delivery.
				cerr := s.Commit(b)
				if cerr != nil && !errors.Is(cerr, ErrCheckpoint) {
					return
				}
				got, _ := ids(b.Records)
				mu.Lock()
				for _, id := range got {
					committed[id] = true
				}
				mu.Unlock()
				if cerr != nil {
					return
				}
			}
		}()
		time.Sleep(time.Duration(2+round%7) * time.Millisecond)
		rng := rand.New(rand.NewPCG(uint64(round), 5))
		fsys.crash(func(string, int) int { return rng.IntN(4096) })
		s.Close() // unblocks the consumer; fails on the dead handles
		wg.Wait()

		s, err = Open(testDir, opts)
		if err != nil {
			t.Fatalf("round %d: restart: %v", round, err)
		}
		got, err := drain(s)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		gotIDs, err := ids(got)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		have := map[int]bool{}
		for _, id := range gotIDs {
			have[id] = true
		}
		mu.Lock()
		for id := range acked {
			if !have[id] && !committed[id] {
				t.Fatalf("round %d: acknowledged record %d lost (%d acked, %d recovered)", round, id, len(acked), len(gotIDs))
			}
		}
		mu.Unlock()
	}
}
