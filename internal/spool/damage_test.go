package spool

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// writeOneSegment spools records 0..n-1 in three appends into one segment
// and returns the filesystem, the segment's path and each frame's end offset.
func writeOneSegment(n int, m mutant) (*memFS, string, []int64, error) {
	fsys := newMemFS()
	opts := memOpts(fsys, m)
	opts.SegmentBytes = 1 << 20
	s, err := Open(testDir, opts)
	if err != nil {
		return nil, "", nil, err
	}
	for _, part := range [][2]int{{0, n / 3}, {n / 3, n / 3}, {2 * (n / 3), n - 2*(n/3)}} {
		if err := s.Append(recs(part[0], part[1])); err != nil {
			return nil, "", nil, err
		}
	}
	if err := s.Close(); err != nil {
		return nil, "", nil, err
	}
	segs := fsys.segFiles(testDir)
	if len(segs) != 1 {
		return nil, "", nil, fmt.Errorf("want one segment, have %v", segs)
	}
	ends := []int64{}
	off := int64(segHeaderLen)
	for i := range n {
		off += frameHeaderLen + int64(len(rec(i)))
		ends = append(ends, off)
	}
	return fsys, segs[0], ends, nil
}

// checkTornTail cuts the segment at every byte offset: exactly the records
// wholly before the cut come back, Open never fails, and a record appended
// afterwards survives a reopen.
func checkTornTail(m mutant, n int) error {
	fsys, seg, ends, err := writeOneSegment(n, m)
	if err != nil {
		return err
	}
	full := fsys.file(seg)
	for cut := 0; cut <= len(full); cut++ {
		c := fsys.clone()
		c.setFile(seg, full[:cut])
		s, err := Open(testDir, memOpts(c, m))
		if err != nil {
			return fmt.Errorf("cut at %d: open: %w", cut, err)
		}
		whole := 0
		for whole < len(ends) && ends[whole] <= int64(cut) {
			whole++
		}
		got, err := drain(s)
		if err == nil {
			var gotIDs []int
			gotIDs, err = ids(got)
			if err == nil {
				err = equalIDs(gotIDs, seq(0, whole))
			}
		}
		if err != nil {
			return fmt.Errorf("cut at %d: %w", cut, err)
		}
		onBoundary := cut == segHeaderLen || (whole > 0 && ends[whole-1] == int64(cut)) || cut == 0
		if st := s.Stats(); !onBoundary && st.CorruptRegions == 0 {
			return fmt.Errorf("cut at %d: torn tail not counted as corrupt", cut)
		}
		if err := s.Append([][]byte{rec(n)}); err != nil {
			return fmt.Errorf("cut at %d: append after repair: %w", cut, err)
		}
		if err := s.Close(); err != nil {
			return fmt.Errorf("cut at %d: close: %w", cut, err)
		}
		s, err = Open(testDir, memOpts(c, m))
		if err != nil {
			return fmt.Errorf("cut at %d: reopen: %w", cut, err)
		}
		got, err = drain(s)
		s.Close()
		if err == nil {
			var gotIDs []int
			gotIDs, err = ids(got)
			if err == nil {
				err = equalIDs(gotIDs, append(seq(0, whole), n))
			}
		}
		if err != nil {
			return fmt.Errorf("cut at %d, after append and reopen: %w", cut, err)
		}
	}
	return nil
}

// checkBitFlips flips the low and the high bit of every byte of a segment:
// the damaged record is never delivered, every other record is, start-up
// never fails, the damage is counted and kept in corrupt/, and the repair
// is durable (a second start finds nothing new).
func checkBitFlips(m mutant, n int) error {
	fsys, seg, ends, err := writeOneSegment(n, m)
	if err != nil {
		return err
	}
	full := fsys.file(seg)
	for i := range full {
		for _, bit := range []byte{0x01, 0x80} {
			if err := bitFlipCase(fsys, seg, full, ends, i, bit, m); err != nil {
				return fmt.Errorf("byte %d bit %#02x: %w", i, bit, err)
			}
		}
	}
	return nil
}

func bitFlipCase(fsys *memFS, seg string, full []byte, ends []int64, i int, bit byte, m mutant) error {
	victim := -1 // the record whose frame holds byte i; -1: segment header
	for r, end := range ends {
		if int64(i) < end && int64(i) >= segHeaderLen {
			victim = r
			break
		}
	}
	c := fsys.clone()
	b := append([]byte(nil), full...)
	b[i] ^= bit
	c.setFile(seg, b)
	s, err := Open(testDir, memOpts(c, m))
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	got, err := drain(s)
	st := s.Stats()
	s.Close()
	if err != nil {
		return err
	}
	gotIDs, err := ids(got)
	if err != nil {
		return err
	}
	var want []int
	for r := range ends {
		if r != victim {
			want = append(want, r)
		}
	}
	if err := equalIDs(gotIDs, want); err != nil {
		return err
	}
	if st.CorruptRegions == 0 || st.CorruptBytes == 0 {
		return errors.New("damage not counted")
	}
	if len(c.names(filepath.Join(testDir, corruptDir))) == 0 {
		return errors.New("bad bytes not kept in corrupt/")
	}
	s, err = Open(testDir, memOpts(c, m))
	if err != nil {
		return fmt.Errorf("second open: %w", err)
	}
	again, err := drain(s)
	st = s.Stats()
	s.Close()
	if err != nil {
		return err
	}
	if len(again) != len(got) {
		return fmt.Errorf("second start delivers %d records, first %d", len(again), len(got))
	}
	if st.CorruptRegions != 0 {
		return fmt.Errorf("repair not durable: second start found %d damaged regions", st.CorruptRegions)
	}
	return nil
}

func TestTornTailEveryOffset(t *testing.T) {
	n := 60
	if *long {
		n = 200
	}
	if err := checkTornTail(mutNone, n); err != nil {
		t.Fatal(err)
	}
}

func TestBitFlipsEveryByte(t *testing.T) {
	n := 40
	if *long {
		n = 120
	}
	if err := checkBitFlips(mutNone, n); err != nil {
		t.Fatal(err)
	}
}
