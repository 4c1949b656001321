//go:build linux

package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// mountTmpfs mounts a tmpfs of size bytes on a fresh directory. It needs
// root (or CAP_SYS_ADMIN); without it the test is skipped and says why.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a %d-byte tmpfs to fill a real disk (needs root or CAP_SYS_ADMIN): %v", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillDisk writes a file until the filesystem is full, as another program
// sharing /var would.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	for {
		if _, err := f.Write(buf[:1]); err != nil {
			return // not even one byte left
		}
	}
}

// TestRealDiskFullEnds runs the spool on a real 1 MiB tmpfs with the
// default 1 GiB cap: the cap is lowered to fit; another file fills the
// disk; appends are refused and checkpoints fail; a restart while full
// (with a damaged tail to set aside) succeeds; once the file is removed,
// appends and commits resume without a restart and a later restart sends
// nothing delivered again.
func TestRealDiskFullEnds(t *testing.T) {
	mnt := mountTmpfs(t, 1<<20)
	dir := filepath.Join(mnt, "spool")
	opts := Options{Logger: slog.New(slog.DiscardHandler)}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.MaxBytes > 1<<19 {
		t.Fatalf("cap %d on a 1 MiB filesystem, want at most half of it", st.MaxBytes)
	}
	o := newOracle()
	next := 0
	work := func(steps int, full bool) (refused, ckFailed int) {
		t.Helper()
		for i := range steps {
			err := o.append(s, next, 20)
			next += 20
			if err != nil {
				if !full || !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("append (disk full: %v): %v", full, err)
				}
				refused++
			}
			if i%2 == 1 {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				b, err := s.Read(ctx, 50, 0)
				if errors.Is(err, context.Canceled) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				got, _ := ids(b.Records)
				for _, id := range got {
					o.server[id]++
				}
				if err := s.Commit(b); err != nil {
					if !full || !errors.Is(err, ErrCheckpoint) {
						t.Fatalf("commit (disk full: %v): %v", full, err)
					}
					ckFailed++
				}
			}
		}
		return refused, ckFailed
	}
	work(40, false)
	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	refused, _ := work(60, true)
	if refused == 0 {
		t.Fatal("no append was refused on a full disk")
	}
	if st := s.Stats(); st.RejectedRecords != int64(refused*20) {
		t.Fatalf("refused %d records, stats count %d", refused*20, st.RejectedRecords)
	}

	// Restart while full, with the newest segment's last frame damaged.
	_ = s.Close() // its final checkpoint may fail: the disk is full
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if len(segs) == 0 {
		t.Fatal("no segment on disk")
	}
	last := segs[len(segs)-1]
	if fi, err := os.Stat(last); err == nil && fi.Size() > segHeaderLen+4 {
		f, _ := os.OpenFile(last, os.O_WRONLY, 0)
		_, _ = f.WriteAt([]byte{0xde, 0xad}, fi.Size()-2)
		f.Close()
	}
	s, err = Open(dir, opts)
	if err != nil {
		t.Fatalf("start-up on a full disk: %v", err)
	}
	work(20, true)

	// Space returns; no restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	work(60, false)
	if st := s.Stats(); st.CheckpointFailing {
		t.Fatal("checkpoint still failing after space returned")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := map[int]int{}
	for id, c := range o.server {
		before[id] = c
	}
	s, err = Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rest, err := drain(s)
	if err != nil {
		t.Fatal(err)
	}
	restIDs, _ := ids(rest)
	for _, id := range restIDs {
		if before[id] > 0 {
			t.Fatalf("record %d delivered before is sent again after a clean restart", id)
		}
		o.server[id]++
	}
	lost := 0
	for _, id := range o.acked {
		if o.server[id] == 0 {
			lost++
		}
	}
	// The damaged last frame held acknowledged records: the test broke
	// them on purpose; everything else must be there.
	if lost > 1 {
		t.Fatalf("%d acknowledged records lost, only the damaged frame's may be", lost)
	}
}
