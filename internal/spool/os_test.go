package spool

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOSRoundTripAndPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	opts := Options{Logger: slog.New(slog.DiscardHandler), SegmentBytes: 4096}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("spool directory mode %v, want 0700", st.Mode().Perm())
	}
	if _, err := Open(dir, opts); !errors.Is(err, ErrLocked) {
		t.Errorf("second Open of a spool in use: want ErrLocked, got %v", err)
	}
	for i := range 50 {
		if err := s.Append(recs(i*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Segments < 2 || st.PendingRecords != 500 || st.Syncs < 50 {
		t.Fatalf("stats after 50 appends: %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := s.Read(ctx, 123, 0)
	if err != nil || len(b.Records) != 123 {
		t.Fatalf("read: %d records, %v", len(b.Records), err)
	}
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := drain(s)
	if err != nil {
		t.Fatal(err)
	}
	gotIDs, err := ids(got)
	if err != nil {
		t.Fatal(err)
	}
	if err := equalIDs(gotIDs, seq(123, 377)); err != nil {
		t.Fatal(err)
	}
}

// Read blocks until records arrive and honours its context.
func TestReadBlocksUntilAppend(t *testing.T) {
	s, err := Open(testDir, memOpts(newMemFS(), mutNone))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Read(ctx, 10, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read on an empty spool: want deadline exceeded, got %v", err)
	}
	done := make(chan Batch)
	go func() {
		b, err := s.Read(context.Background(), 10, 0)
		if err != nil {
			t.Error(err)
		}
		done <- b
	}()
	if err := s.Append(recs(0, 3)); err != nil {
		t.Fatal(err)
	}
	if b := <-done; len(b.Records) != 3 {
		t.Fatalf("blocked read woke with %d records, want 3", len(b.Records))
	}
}

func TestReadLimitsAndCommitOrder(t *testing.T) {
	s, err := Open(testDir, memOpts(newMemFS(), mutNone))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append(recs(0, 10)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b1, _ := s.Read(ctx, 0, len(rec(0))+len(rec(1)))
	if len(b1.Records) != 2 {
		t.Fatalf("maxBytes for two records gave %d", len(b1.Records))
	}
	b2, _ := s.Read(ctx, 3, 0)
	if len(b2.Records) != 3 {
		t.Fatalf("max 3 gave %d", len(b2.Records))
	}
	if err := s.Commit(b2); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("commit of the second batch first: want ErrOutOfOrder, got %v", err)
	}
	if err := s.Commit(b1); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b1); err != nil {
		t.Fatalf("committing twice must be a no-op: %v", err)
	}
	if err := s.Commit(b2); err != nil {
		t.Fatal(err)
	}
	s.Rewind()
	b3, _ := s.Read(ctx, 0, 0)
	if got, _ := ids(b3.Records); len(got) != 5 || got[0] != 5 {
		t.Fatalf("after rewind: %v, want ids 5..9", got)
	}
	// A batch read before a Rewind may still be committed; the reader then
	// skips what it covers.
	s.Rewind()
	if err := s.Commit(b3); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(recs(10, 1)); err != nil {
		t.Fatal(err)
	}
	b4, _ := s.Read(ctx, 0, 0)
	if got, _ := ids(b4.Records); len(got) != 1 || got[0] != 10 {
		t.Fatalf("after committing a batch read before a rewind: %v, want id 10", got)
	}
}

func TestOptionsValidation(t *testing.T) {
	_, err := Open(testDir, Options{FS: newMemFS(), MaxBytes: 10000, SegmentBytes: 100, Sync: 7, Full: 9, SyncInterval: -1})
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("want ErrInvalidOptions, got %v", err)
	}
	for _, want := range []string{"spool.segment_size 100", "spool.sync policy 7", "full policy 9", "spool.sync_interval -1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
	if _, err := Open(testDir, Options{FS: newMemFS(), MaxBytes: 1 << 20, SegmentBytes: 1 << 20}); err == nil {
		t.Error("segment larger than half the cap accepted")
	}
}

func TestParsePolicies(t *testing.T) {
	for in, want := range map[string]SyncPolicy{"batch": SyncEveryAppend, "": SyncEveryAppend, "interval": SyncInterval, "none": SyncNever} {
		got, err := ParseSyncPolicy(in)
		if err != nil || got != want || (in != "" && got.String() != in) {
			t.Errorf("ParseSyncPolicy(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSyncPolicy("always"); err == nil {
		t.Error("unknown sync policy accepted")
	}
	for in, want := range map[string]FullPolicy{"drop_oldest": DropOldest, "reject_new": RejectNew} {
		if got, err := ParseFullPolicy(in); err != nil || got != want || got.String() != in {
			t.Errorf("ParseFullPolicy(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFullPolicy("block"); err == nil {
		t.Error("unknown full policy accepted")
	}
}

// A damaged checkpoint means replaying everything, never refusing to start.
func TestDamagedCheckpointReplaysAll(t *testing.T) {
	fsys := newMemFS()
	s, _ := Open(testDir, memOpts(fsys, mutNone))
	s.Append(recs(0, 5))
	b, _ := s.Read(context.Background(), 3, 0)
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ck := filepath.Join(testDir, checkpointName)
	c := fsys.file(ck)
	c[10] ^= 1
	fsys.setFile(ck, c)
	s, err := Open(testDir, memOpts(fsys, mutNone))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ := drain(s)
	if len(got) != 5 || s.Stats().CorruptRegions != 1 {
		t.Fatalf("got %d records, stats %+v; want all 5 and the damage counted", len(got), s.Stats())
	}
}

func TestGroupCommitSyncsInBackground(t *testing.T) {
	fsys := newMemFS()
	opts := memOpts(fsys, mutNone)
	opts.Sync, opts.SyncInterval = SyncInterval, 5*time.Millisecond
	s, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append(recs(0, 4)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Syncs == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no group commit within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
