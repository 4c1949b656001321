package spool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A fault test must also test the fault ending: the spool has to come back
// by itself, with nothing acknowledged lost, nothing delivered sent again
// in bulk, and counters that add up. faultSite names one place where the
// spool writes, and how a test makes it fail.
type faultSite struct {
	name string
	hits func(op, name string) bool // nil: the whole disk is full (memFS.limit)
}

func isSeg(name string) bool { return strings.HasSuffix(name, segSuffix) }
func isCkTmp(name string) bool {
	return filepath.Base(name) == checkpointName+".tmp"
}

var faultSites = []faultSite{
	{"disk-full", nil},
	{"append-write", func(op, n string) bool { return op == "write" && isSeg(n) }},
	{"append-fsync", func(op, n string) bool { return op == "sync" && isSeg(n) }},
	{"segment-create", func(op, n string) bool { return op == "create" && isSeg(n) }},
	{"checkpoint-write", func(op, n string) bool { return (op == "create" || op == "write") && isCkTmp(n) }},
	{"checkpoint-fsync", func(op, n string) bool { return op == "sync" && isCkTmp(n) }},
	{"checkpoint-rename", func(op, n string) bool { return op == "rename" }},
	{"corrupt-copy", func(op, n string) bool { return strings.Contains(n, "/"+corruptDir+"/") }},
}

// faultRun drives a spool through a fault and its end, checking as it goes.
type faultRun struct {
	fsys *memFS
	opts Options
	s    *Spool
	o    *oracle
	rng  *rand.Rand
	next int

	// counted since the current Open, to compare with Stats
	rejected  int64
	ckErrors  int64
	unsavedCk int // records committed while the checkpoint was failing
}

func (r *faultRun) open() error {
	s, err := Open(testDir, r.opts)
	if err != nil {
		return fmt.Errorf("start-up: %w", err)
	}
	r.s, r.rejected, r.ckErrors = s, 0, 0
	return nil
}

// step appends one batch and sometimes delivers and commits one. faulty
// says whether a failure is allowed now.
func (r *faultRun) step(faulty bool) error {
	n := 1 + r.rng.IntN(6)
	err := r.o.append(r.s, r.next, n)
	r.next += n
	if err != nil {
		if !faulty {
			return fmt.Errorf("append after the fault ended: %w", err)
		}
		if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EIO) && !errors.Is(err, ErrFull) {
			return fmt.Errorf("append failed with an unexpected error: %w", err)
		}
		r.rejected += int64(n)
	}
	if r.rng.IntN(2) == 0 {
		return r.deliver(faulty)
	}
	return nil
}

// deliver reads one batch into the fake sink and commits it.
func (r *faultRun) deliver(faulty bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := r.s.Read(ctx, 1+r.rng.IntN(12), 0)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	got, err := ids(b.Records)
	if err != nil {
		return err
	}
	for _, id := range got {
		r.o.server[id]++
	}
	err = r.s.Commit(b)
	switch {
	case err == nil:
		r.unsavedCk = 0
	case faulty && errors.Is(err, ErrCheckpoint):
		r.ckErrors++
		r.unsavedCk += len(got)
	default:
		return fmt.Errorf("commit (fault active: %v): %w", faulty, err)
	}
	for _, id := range got {
		r.o.committed[id] = true
	}
	return nil
}

func (r *faultRun) checkCounters(when string) error {
	st := r.s.Stats()
	if st.RejectedRecords != r.rejected {
		return fmt.Errorf("%s: %d records refused, stats count %d", when, r.rejected, st.RejectedRecords)
	}
	if st.CheckpointErrors != r.ckErrors {
		return fmt.Errorf("%s: %d commits without a checkpoint, stats count %d", when, r.ckErrors, st.CheckpointErrors)
	}
	if st.DroppedRecords != 0 {
		return fmt.Errorf("%s: %d records counted as dropped, none were", when, st.DroppedRecords)
	}
	return nil
}

// restart kills the process and starts again, with a torn frame at the end
// of the newest segment so that recovery has damage to set aside. It
// returns how many records the restart delivered a second time.
func (r *faultRun) restart() (int, error) {
	if segs := r.fsys.segFiles(testDir); len(segs) > 0 {
		last := segs[len(segs)-1]
		r.fsys.setFile(last, append(r.fsys.file(last), 0x07, 0, 0, 0, 1, 2, 3, 4, 5))
	}
	r.fsys.killProcess()
	before := map[int]int{}
	for id, c := range r.o.server {
		before[id] = c
	}
	if err := r.open(); err != nil {
		return 0, err
	}
	resent := 0
	for {
		n := len(r.o.server)
		sum := 0
		for _, c := range r.o.server {
			sum += c
		}
		if err := r.deliver(true); err != nil {
			return 0, err
		}
		sum2 := 0
		for _, c := range r.o.server {
			sum2 += c
		}
		if sum2 == sum && len(r.o.server) == n {
			break
		}
	}
	for id, c := range r.o.server {
		if before[id] > 0 {
			resent += c - before[id]
		}
	}
	return resent, nil
}

// checkFaultEnding runs one site with one error: healthy, then the fault
// (with a restart while it lasts), then the fault's end, then a restart.
func checkFaultEnding(m mutant, site faultSite, ferr error, seed uint64) error {
	r := &faultRun{fsys: newMemFS(), o: newOracle(), rng: rand.New(rand.NewPCG(seed, 13))}
	r.opts = memOpts(r.fsys, m)
	if err := r.open(); err != nil {
		return err
	}
	for range 40 {
		if err := r.step(false); err != nil {
			return fmt.Errorf("before the fault: %w", err)
		}
	}
	// The fault begins.
	if site.hits == nil {
		r.fsys.mu.Lock()
		r.fsys.limit = r.fsys.used() + 300
		r.fsys.mu.Unlock()
	}
	bit := 0
	r.fsys.fault = func(op, name string) error {
		if site.hits == nil {
			return nil // the limit itself answers ENOSPC
		}
		if site.hits(op, name) {
			bit++
			return ferr
		}
		return nil
	}
	for range 60 {
		if err := r.step(true); err != nil {
			return fmt.Errorf("during the fault: %w", err)
		}
	}
	if err := r.checkCounters("during the fault"); err != nil {
		return err
	}
	if site.hits == nil && r.rejected > 0 {
		bit++
	}
	owed := r.unsavedCk
	resent, err := r.restart()
	if err != nil {
		return fmt.Errorf("restart during the fault: %w", err)
	}
	if resent > owed {
		return fmt.Errorf("restart during the fault sent %d delivered records again; at most the %d committed since the last saved checkpoint may be", resent, owed)
	}
	for range 30 {
		if err := r.step(true); err != nil {
			return fmt.Errorf("during the fault, after a restart: %w", err)
		}
	}
	if bit == 0 {
		return errors.New("the fault never struck")
	}
	// The fault ends; nothing is restarted, the spool must come back.
	r.fsys.mu.Lock()
	r.fsys.limit, r.fsys.fault = 0, nil
	r.fsys.mu.Unlock()
	for range 60 {
		if err := r.step(false); err != nil {
			return err
		}
	}
	if err := r.deliver(false); err != nil {
		return err
	}
	if err := r.checkCounters("after the fault"); err != nil {
		return err
	}
	if st := r.s.Stats(); st.CheckpointFailing {
		return errors.New("checkpoint still failing after the fault ended")
	}
	resent, err = r.restart()
	if err != nil {
		return fmt.Errorf("restart after the fault: %w", err)
	}
	if resent != 0 {
		return fmt.Errorf("restart after the fault ended sent %d delivered records again", resent)
	}
	for _, id := range r.o.acked {
		if r.o.server[id] == 0 {
			return fmt.Errorf("acknowledged record %d lost", id)
		}
	}
	for id := range r.o.server {
		if !r.o.attempted[id] {
			return fmt.Errorf("record %d delivered but never written", id)
		}
	}
	return r.s.Close()
}

// checkFaultsEnd runs every site with ENOSPC and EIO.
func checkFaultsEnd(m mutant, seeds int) error {
	for _, site := range faultSites {
		for _, ferr := range []error{syscall.ENOSPC, syscall.EIO} {
			if site.hits == nil && ferr == syscall.EIO {
				continue
			}
			for seed := range seeds {
				if err := checkFaultEnding(m, site, ferr, uint64(seed)); err != nil {
					return fmt.Errorf("%s (%v), seed %d: %w", site.name, ferr, seed, err)
				}
			}
		}
	}
	return nil
}

func TestFaultsEnd(t *testing.T) {
	seeds := 4
	if *long {
		seeds = 100
	}
	for _, site := range faultSites {
		for _, ferr := range []error{syscall.ENOSPC, syscall.EIO} {
			if site.hits == nil && ferr == syscall.EIO {
				continue
			}
			t.Run(site.name+"/"+ferr.(syscall.Errno).Error(), func(t *testing.T) {
				for seed := range seeds {
					if err := checkFaultEnding(mutNone, site, ferr, uint64(seed)); err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
				}
			})
		}
	}
}
