package spool

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Regressions found by TestPowerLossModel, kept as plain tests because a
// rapid fail file stops reproducing once the bug is fixed.

// Records recovered from a killed process's page cache must become durable
// at the next start, not only when this process happens to write again:
// group commit promises a bounded loss window.
func TestRecoveredRecordsAreSynced(t *testing.T) {
	fsys := newMemFS()
	opts := memOpts(fsys, mutNone)
	opts.Sync, opts.SyncInterval = SyncInterval, time.Hour
	s, _ := Open(testDir, opts)
	if err := s.Append(recs(0, 1)); err != nil {
		t.Fatal(err)
	}
	fsys.killProcess()
	if _, err := Open(testDir, opts); err != nil {
		t.Fatal(err)
	}
	fsys.crash(func(string, int) int { return 0 })
	s, _ = Open(testDir, opts)
	defer s.Close()
	if got, _ := drain(s); len(got) != 1 {
		t.Fatalf("record recovered after kill then lost to a power cut: %d records", len(got))
	}
}

// A Read that finds nothing must not move the read position past empty
// segments, or the next batch cannot be committed.
func TestEmptyReadKeepsBatchesContiguous(t *testing.T) {
	fsys := newMemFS()
	opts := memOpts(fsys, mutNone)
	opts.Sync, opts.SyncInterval = SyncInterval, time.Hour
	s, _ := Open(testDir, opts)
	s.Append(recs(0, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, _ := s.Read(ctx, 1, 0)
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	fsys.killProcess()
	s, _ = Open(testDir, opts)
	s.Append(recs(1, 1)) // into a new segment, lost by the power cut
	fsys.crash(func(string, int) int { return 0 })
	s, _ = Open(testDir, opts)
	defer s.Close()
	if _, err := s.Read(ctx, 1, 0); err != context.Canceled {
		t.Fatalf("read on an empty spool: %v", err)
	}
	s.Append(recs(2, 1))
	b, err := s.Read(ctx, 1, 0)
	if err != nil || len(b.Records) != 1 {
		t.Fatalf("read: %d records, %v", len(b.Records), err)
	}
	if err := s.Commit(b); err != nil {
		t.Fatalf("commit after an empty read: %v", err)
	}
}

// Found by TestConcurrentProducersAndConsumer under -race: a write made to
// a segment just before it was rolled is published by a later fsync round,
// after the next segment exists. A reader must not move past the segment
// until that write is published, or it skips it forever.
func TestReaderWaitsForInflightWriteBeforeNextSegment(t *testing.T) {
	fsys := newMemFS()
	var mu sync.Mutex
	armed := false
	release := make(chan struct{})
	fsys.fault = func(op, name string) error {
		mu.Lock()
		block := armed && op == "sync"
		if block {
			armed = false
		}
		mu.Unlock()
		if block {
			<-release
		}
		return nil
	}
	s, err := Open(testDir, memOpts(fsys, mutNone))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append(recs(0, 2)); err != nil { // published
		t.Fatal(err)
	}
	mu.Lock()
	armed = true
	mu.Unlock()
	before := fsys.bytesUsed()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.Append(recs(2, 2)) }() // its fsync round blocks
	for fsys.bytesUsed() == before {
		time.Sleep(time.Millisecond)
	}
	big := make([][]byte, 0, 150)
	for i := range 150 {
		big = append(big, rec(4+i))
	}
	go func() { defer wg.Done(); s.Append(big) }() // rolls to a new segment
	for s.Stats().Segments < 2 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	first, _ := s.Read(ctx, 0, 0)
	close(release)
	wg.Wait()
	rest, _ := drain(s)
	got, err := ids(append(first.Records, rest...))
	if err != nil {
		t.Fatal(err)
	}
	if err := equalIDs(got, seq(0, 154)); err != nil {
		t.Fatal(err)
	}
}
