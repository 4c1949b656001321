package spool

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
)

// checkDiskFull fills the disk (ENOSPC) mid-stream: nothing is acknowledged
// while it is full, the refusals are counted, and once space returns new
// records are accepted and everything acknowledged before, during and after
// survives a power cut.
func checkDiskFull(m mutant) error {
	fsys := newMemFS()
	opts := memOpts(fsys, m)
	s, err := Open(testDir, opts)
	if err != nil {
		return err
	}
	o := newOracle()
	next := 0
	fsys.limit = 9000
	failed := false
	for range 200 {
		err := o.append(s, next, 5)
		next += 5
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, ErrFull) {
				return fmt.Errorf("append on a full disk: want ENOSPC or ErrFull, got %w", err)
			}
			failed = true
			continue
		}
		if failed {
			return fmt.Errorf("append acknowledged while the disk is still full (record %d)", next-5)
		}
	}
	if !failed {
		return errors.New("disk never filled")
	}
	if st := s.Stats(); st.RejectedRecords == 0 {
		return errors.New("refused records not counted")
	}
	fsys.limit = 0 // space returns
	for range 20 {
		if err := o.append(s, next, 5); err != nil {
			return fmt.Errorf("append after space returned: %w", err)
		}
		next += 5
	}
	fsys.crash(func(string, int) int { return 0 })
	return o.verifyAfterRestart(testDir, opts)
}

// checkFsyncError fails one fsync with EIO. The memFS then behaves like
// Linux: a second fsync on that file reports success without persisting
// the lost pages. The spool must not ack the failed batch and must never
// fsync that descriptor again; later appends go to a fresh segment.
func checkFsyncError(m mutant) error {
	fsys := newMemFS()
	opts := memOpts(fsys, m)
	syncs := 0
	fsys.fault = func(op, name string) error {
		if op == "sync" && strings.HasSuffix(name, segSuffix) {
			syncs++
			if syncs == 12 {
				return syscall.EIO
			}
		}
		return nil
	}
	s, err := Open(testDir, opts)
	if err != nil {
		return err
	}
	o := newOracle()
	failures := 0
	for i := range 40 {
		if err := o.append(s, i*3, 3); err != nil {
			if !errors.Is(err, syscall.EIO) {
				return fmt.Errorf("want EIO, got %w", err)
			}
			failures++
		}
	}
	if failures != 1 {
		return fmt.Errorf("want exactly the one batch with the failed fsync refused, %d were", failures)
	}
	if st := s.Stats(); st.WriteErrors != 1 {
		return fmt.Errorf("write errors counted %d, want 1", st.WriteErrors)
	}
	fsys.crash(func(string, int) int { return 0 })
	return o.verifyAfterRestart(testDir, opts)
}

// checkCap streams far more than MaxBytes: the on-disk size never exceeds
// the cap, drops are counted, and what remains is the newest, contiguous.
func checkCap(m mutant, policy FullPolicy) error {
	fsys := newMemFS()
	opts := memOpts(fsys, m)
	opts.MaxBytes, opts.SegmentBytes, opts.Full = 64<<10, 8<<10, policy
	s, err := Open(testDir, opts)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 7))
	o := newOracle()
	next := 0
	rejected := 0
	for range 400 {
		n := 1 + rng.IntN(20)
		if err := o.append(s, next, n); err != nil {
			if policy == RejectNew && errors.Is(err, ErrFull) {
				rejected += n
			} else {
				return err
			}
		}
		next += n
		if rng.IntN(10) == 0 {
			if err := o.deliver(s, rng.IntN(30), false); err != nil {
				return err
			}
		}
		st := s.Stats()
		var disk int64
		for _, f := range fsys.segFiles(testDir) {
			disk += int64(len(fsys.file(f)))
		}
		if st.Bytes > opts.MaxBytes || disk > opts.MaxBytes {
			return fmt.Errorf("cap %d exceeded: stats %d bytes, disk %d", opts.MaxBytes, st.Bytes, disk)
		}
		if disk != st.Bytes {
			return fmt.Errorf("stats say %d bytes, disk holds %d", st.Bytes, disk)
		}
	}
	st := s.Stats()
	got, err := drain(s)
	if err != nil {
		return err
	}
	gotIDs, err := ids(got)
	if err != nil {
		return err
	}
	if int64(len(gotIDs)) != st.PendingRecords {
		return fmt.Errorf("stats pending %d, delivered %d", st.PendingRecords, len(gotIDs))
	}
	switch policy {
	case DropOldest:
		if st.DroppedRecords == 0 {
			return errors.New("drop-oldest never counted a drop")
		}
		// The newest records, without holes, end at the last acked one.
		if len(gotIDs) == 0 || gotIDs[len(gotIDs)-1] != o.acked[len(o.acked)-1] {
			return fmt.Errorf("newest records missing: %v", short(gotIDs))
		}
		for i := 1; i < len(gotIDs); i++ {
			if gotIDs[i] != gotIDs[i-1]+1 {
				return fmt.Errorf("hole between %d and %d", gotIDs[i-1], gotIDs[i])
			}
		}
		if delivered := len(o.server); int64(delivered+len(gotIDs))+st.DroppedRecords != int64(len(o.acked)) {
			return fmt.Errorf("records unaccounted: delivered %d + pending %d + dropped %d != acked %d",
				delivered, len(gotIDs), st.DroppedRecords, len(o.acked))
		}
	case RejectNew:
		if rejected == 0 || st.RejectedRecords != int64(rejected) {
			return fmt.Errorf("rejected %d, counted %d", rejected, st.RejectedRecords)
		}
		if st.DroppedRecords != 0 {
			return errors.New("reject-new dropped records")
		}
	}
	return s.Close()
}

func TestDiskFull(t *testing.T) {
	if err := checkDiskFull(mutNone); err != nil {
		t.Fatal(err)
	}
}

func TestFsyncErrorNeverRetriedOnSameFile(t *testing.T) {
	if err := checkFsyncError(mutNone); err != nil {
		t.Fatal(err)
	}
}

func TestCap(t *testing.T) {
	for _, p := range []FullPolicy{DropOldest, RejectNew} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			if err := checkCap(mutNone, p); err != nil {
				t.Fatal(err)
			}
		})
	}
}
