package spool

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the segment decoder and to recovery.
// Seeds (valid, torn, flipped, padded segments) live in
// testdata/fuzz/FuzzDecode. Input that does not start with the segment
// magic and has an even first byte gets that byte swapped for a valid
// header, so the fuzzer spends most of its time on frames.
func FuzzDecode(f *testing.F) {
	valid := appendSegHeader(nil, 1)
	for i := range 4 {
		valid = appendFrame(valid, rec(i))
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-5])
	f.Add(append([]byte{0}, valid[segHeaderLen:]...))
	f.Fuzz(func(t *testing.T, in []byte) {
		data := in
		if len(in) > 0 && in[0]&1 == 0 && !bytes.HasPrefix(in, []byte(segMagic)) {
			data = append(appendSegHeader(nil, 1), in[1:]...)
		}

		// The scanner covers [start, end) with contiguous items and only
		// yields records whose checksum holds.
		sc := newScanner(bytes.NewReader(data), segHeaderLen, int64(len(data)))
		var want [][]byte
		off := int64(segHeaderLen)
		for {
			it, err := sc.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if it.off != off || it.end <= it.off {
				t.Fatalf("item [%d,%d) after offset %d", it.off, it.end, off)
			}
			off = it.end
			if it.kind == itemRecord {
				if int64(len(it.payload)) != it.end-it.off-frameHeaderLen {
					t.Fatalf("record length %d does not match its frame [%d,%d)", len(it.payload), it.off, it.end)
				}
				want = append(want, bytes.Clone(it.payload))
			}
		}
		if len(data) > segHeaderLen && off != int64(len(data)) {
			t.Fatalf("scan stopped at %d of %d", off, len(data))
		}

		// Recovery never refuses, delivers what the scanner found (all of
		// it when the header is intact), and a second start agrees.
		fsys := newMemFS()
		fsys.MkdirAll(testDir, 0o700)
		seg := filepath.Join(testDir, segName(1))
		w, _ := fsys.OpenFile(seg, 0x41, 0o600) // O_WRONLY|O_CREATE
		w.Write(data)
		w.Sync()
		fsys.SyncDir(testDir)
		var first [][]byte
		for round := range 2 {
			s, err := Open(testDir, memOpts(fsys, mutNone))
			if err != nil {
				t.Fatalf("open (round %d): %v", round, err)
			}
			got, err := drain(s)
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			if round == 0 {
				first = got
				if _, herr := parseSegHeader(data); herr == nil && !equalRecords(got, want) {
					t.Fatalf("recovery delivered %d records, scanner found %d", len(got), len(want))
				}
				continue
			}
			if !equalRecords(got, first) {
				t.Fatalf("second start delivered %d records, first %d", len(got), len(first))
			}
		}
	})
}

func equalRecords(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
