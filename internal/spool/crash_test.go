package spool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// oracle records what the producer was told and what the sink received.
type oracle struct {
	attempted map[int]bool // passed to Append
	acked     []int        // Append returned nil, in order
	committed map[int]bool // in a batch whose Commit returned nil
	server    map[int]int  // delivered to the fake sink, with count
}

func newOracle() *oracle {
	return &oracle{attempted: map[int]bool{}, committed: map[int]bool{}, server: map[int]int{}}
}

func (o *oracle) append(s *Spool, from, n int) error {
	for i := range n {
		o.attempted[from+i] = true
	}
	err := s.Append(recs(from, n))
	if err == nil {
		o.acked = append(o.acked, seq(from, n)...)
	}
	return err
}

// deliver reads up to max records into the fake sink and commits them
// unless crashBeforeCommit.
func (o *oracle) deliver(s *Spool, max int, skipCommit bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := s.Read(ctx, max, 0)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	if err != nil {
		return err
	}
	got, err := ids(b.Records)
	if err != nil {
		return err
	}
	for _, id := range got {
		o.server[id]++
	}
	if skipCommit {
		return nil
	}
	if err := s.Commit(b); err != nil {
		return err
	}
	for _, id := range got {
		o.committed[id] = true
	}
	return nil
}

// verifyAfterRestart reopens the spool, drains it into the sink and checks
// conservation: every acknowledged record is on the sink, nothing foreign
// appeared, and acknowledged-but-uncommitted records come back in order.
func (o *oracle) verifyAfterRestart(dir string, opts Options) error {
	s, err := Open(dir, opts)
	if err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	defer s.Close()
	got, err := drain(s)
	if err != nil {
		return err
	}
	gotIDs, err := ids(got)
	if err != nil {
		return err
	}
	for _, id := range gotIDs {
		if !o.attempted[id] {
			return fmt.Errorf("record %d appeared but was never written", id)
		}
	}
	// Acknowledged records the sink has not seen must all come back, in
	// order. Records already on the sink may or may not (the crash may have
	// come before or after their checkpoint); unacknowledged ones may too
	// (their write may have reached the disk).
	owed := map[int]bool{}
	var want []int
	for _, id := range o.acked {
		if !o.committed[id] && o.server[id] == 0 {
			owed[id] = true
			want = append(want, id)
		}
	}
	var gotOwed []int
	for _, id := range gotIDs {
		if owed[id] {
			gotOwed = append(gotOwed, id)
		}
	}
	for _, id := range gotIDs {
		o.server[id]++
	}
	if err := equalIDs(gotOwed, want); err != nil {
		return fmt.Errorf("acknowledged records after restart: %w", err)
	}
	for _, id := range o.acked {
		if o.server[id] == 0 {
			return fmt.Errorf("acknowledged record %d lost", id)
		}
	}
	return nil
}

// workload appends and delivers through a spool with rolls and commits.
func (o *oracle) workload(s *Spool, rng *rand.Rand, steps int, next *int) error {
	for range steps {
		n := 1 + rng.IntN(6)
		if err := o.append(s, *next, n); err != nil {
			return err
		}
		*next += n
		if rng.IntN(3) == 0 {
			if err := o.deliver(s, 1+rng.IntN(10), false); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPowerLoss runs a workload, cuts power keeping only synced bytes plus
// a random prefix of unsynced ones, and checks that nothing acknowledged
// under SyncEveryAppend is lost.
func checkPowerLoss(m mutant, rounds int) error {
	for seed := range rounds {
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		fsys := newMemFS()
		opts := memOpts(fsys, m)
		o := newOracle()
		next := 0
		for cycle := range 3 {
			s, err := Open(testDir, opts)
			if err != nil {
				return fmt.Errorf("seed %d cycle %d: %w", seed, cycle, err)
			}
			if err := o.workload(s, rng, 40, &next); err != nil {
				return fmt.Errorf("seed %d cycle %d: %w", seed, cycle, err)
			}
			syncedOnly := seed%2 == 0
			fsys.crash(func(string, int) int {
				if syncedOnly {
					return 0
				}
				return rng.IntN(1 << 16)
			})
		}
		if err := o.verifyAfterRestart(testDir, opts); err != nil {
			return fmt.Errorf("seed %d: %w", seed, err)
		}
	}
	return nil
}

// checkKill9 is the same with a process kill: the page cache survives, so
// it catches ack-before-write but, by design, not ack-before-fsync.
func checkKill9(m mutant, rounds int) error {
	for seed := range rounds {
		rng := rand.New(rand.NewPCG(uint64(seed), 2))
		fsys := newMemFS()
		opts := memOpts(fsys, m)
		o := newOracle()
		next := 0
		for cycle := range 3 {
			s, err := Open(testDir, opts)
			if err != nil {
				return fmt.Errorf("seed %d cycle %d: %w", seed, cycle, err)
			}
			if err := o.workload(s, rng, 40, &next); err != nil {
				return fmt.Errorf("seed %d cycle %d: %w", seed, cycle, err)
			}
			fsys.killProcess()
		}
		if err := o.verifyAfterRestart(testDir, opts); err != nil {
			return fmt.Errorf("seed %d: %w", seed, err)
		}
	}
	return nil
}

// checkConsumerCrash kills or powers off the agent between the sink's
// acceptance and Commit: the batch is delivered again (duplicates are
// identical records) and nothing is lost; the spool drains to zero.
func checkConsumerCrash(m mutant, rounds int) error {
	for seed := range rounds {
		rng := rand.New(rand.NewPCG(uint64(seed), 3))
		fsys := newMemFS()
		opts := memOpts(fsys, m)
		o := newOracle()
		next := 0
		for cycle := range 4 {
			s, err := Open(testDir, opts)
			if err != nil {
				return fmt.Errorf("seed %d cycle %d: %w", seed, cycle, err)
			}
			if err := o.workload(s, rng, 25, &next); err != nil {
				return err
			}
			// The sink accepts a batch, then the agent dies before Commit.
			if err := o.deliver(s, 1+rng.IntN(20), true); err != nil {
				return err
			}
			if cycle%2 == 0 {
				fsys.killProcess()
			} else {
				fsys.crash(func(string, int) int { return 0 })
			}
		}
		if err := o.verifyAfterRestart(testDir, opts); err != nil {
			return fmt.Errorf("seed %d: %w", seed, err)
		}
		dups := 0
		for _, c := range o.server {
			dups += c - 1
		}
		if dups == 0 {
			return fmt.Errorf("seed %d: crash before commit should redeliver, saw no duplicate", seed)
		}
		// Drained and committed: the spool holds nothing afterwards.
		s, err := Open(testDir, opts)
		if err != nil {
			return err
		}
		for {
			before := len(o.server)
			if err := o.deliver(s, 0, false); err != nil {
				return err
			}
			if len(o.server) == before {
				break
			}
		}
		st := s.Stats()
		s.Close()
		if st.PendingRecords != 0 || st.Segments > 1 {
			return fmt.Errorf("seed %d: spool not drained: %+v", seed, st)
		}
	}
	return nil
}

func TestPowerLoss(t *testing.T) {
	rounds := 50
	if *long {
		rounds = 1000
	}
	if err := checkPowerLoss(mutNone, rounds); err != nil {
		t.Fatal(err)
	}
}

func TestKill9(t *testing.T) {
	rounds := 50
	if *long {
		rounds = 1000
	}
	if err := checkKill9(mutNone, rounds); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerCrashBeforeCommit(t *testing.T) {
	rounds := 20
	if *long {
		rounds = 500
	}
	if err := checkConsumerCrash(mutNone, rounds); err != nil {
		t.Fatal(err)
	}
}
