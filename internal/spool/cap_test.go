package spool

import (
	"context"
	"fmt"
	"testing"
)

// Records that drop-oldest deletes while their batch is being delivered
// are not lost when the batch is then committed, and are when it never is.
func TestDroppedCountsOnlyLostRecords(t *testing.T) {
	for _, commit := range []bool{true, false} {
		t.Run(fmt.Sprintf("commit=%v", commit), func(t *testing.T) {
			fsys := newMemFS()
			opts := memOpts(fsys, mutNone)
			opts.MaxBytes, opts.SegmentBytes = 16<<10, 4096
			s, err := Open(testDir, opts)
			if err != nil {
				t.Fatal(err)
			}
			o := newOracle()
			next := 0
			for range 20 {
				if err := o.append(s, next, 5); err != nil {
					t.Fatal(err)
				}
				next += 5
			}
			b, err := s.Read(context.Background(), 30, 0)
			if err != nil {
				t.Fatal(err)
			}
			inflight, _ := ids(b.Records)
			// Enough new records to push the segments holding the batch,
			// and more, out under the cap.
			for range 200 {
				if err := o.append(s, next, 5); err != nil {
					t.Fatal(err)
				}
				next += 5
			}
			if commit {
				for _, id := range inflight {
					o.server[id]++ // the sink took the batch
				}
				if err := s.Commit(b); err != nil {
					t.Fatal(err)
				}
			} else {
				s.Rewind() // the consumer lost the batch
			}
			pending, err := drain(s)
			if err != nil {
				t.Fatal(err)
			}
			st := s.Stats()
			if st.DroppedSegments == 0 {
				t.Fatal("the cap never dropped a segment")
			}
			lost := int64(len(o.acked) - len(o.server) - len(pending))
			if st.DroppedRecords != lost {
				t.Fatalf("dropped counted %d, records actually lost %d (batch of %d in flight, committed %v)",
					st.DroppedRecords, lost, len(inflight), commit)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The cap never exceeds what the filesystem can give: at Open it is
// lowered to what the spool holds plus FreeShare of the free space.
func TestCapBoundedByFreeSpace(t *testing.T) {
	fsys := newMemFS()
	fsys.limit = 256 << 10
	opts := memOpts(fsys, mutNone)
	opts.SegmentBytes = 16 << 20
	opts.MaxBytes = 1 << 30
	s, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	want := int64(float64(256<<10) * FreeShare)
	if st.MaxBytes != want {
		t.Fatalf("cap %d on a filesystem with 256 KiB free, want %d", st.MaxBytes, want)
	}
	// Streaming far more than the disk holds drops the oldest instead of
	// filling the disk: appends never fail.
	o := newOracle()
	for i := range 2000 {
		if err := o.append(s, i*5, 5); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if st := s.Stats(); st.DroppedRecords == 0 || st.Bytes > want {
		t.Fatalf("cap not applied: %+v", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A restart with the disk now nearly full keeps everything spooled.
	fsys.limit = fsys.bytesUsed() + 1000
	before := s.Stats().PendingRecords
	s, err = Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st = s.Stats()
	if st.PendingRecords != before || st.MaxBytes < st.Bytes {
		t.Fatalf("restart on a full disk: pending %d (was %d), cap %d below spool size %d", st.PendingRecords, before, st.MaxBytes, st.Bytes)
	}
	// Space returns: the cap grows back instead of dropping what the
	// restart on a full disk kept.
	fsys.mu.Lock()
	fsys.limit = fsys.used() + 1<<20
	fsys.mu.Unlock()
	lowCap := st.MaxBytes
	for i := range 200 {
		if err := o.append(s, 100000+i*5, 5); err != nil {
			t.Fatalf("append after space returned: %v", err)
		}
	}
	if st := s.Stats(); st.MaxBytes <= lowCap || st.DroppedRecords != 0 {
		t.Fatalf("cap %d (was %d), %d records dropped: the cap did not grow with the space", st.MaxBytes, lowCap, st.DroppedRecords)
	}
}
