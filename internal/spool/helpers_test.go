package spool

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
)

var long = flag.Bool("spool.long", false, "run the heavy spool variants (more rapid checks, bigger damage sweeps)")

const testDir = "/spool"

func memOpts(fsys FS, m mutant) Options {
	return Options{
		FS: fsys, Logger: slog.New(slog.DiscardHandler), mutant: m,
		SegmentBytes: 4096, MaxBytes: 1 << 30,
	}
}

// rec returns record i: a line-protocol-like payload whose length varies
// with i and which names i, so tests can tell records apart.
func rec(i int) []byte {
	b := fmt.Appendf(nil, "perwatt_test,host=rig%d id=%di", i%7, i)
	for range i % 23 {
		b = append(b, 'x')
	}
	return b
}

func recID(r []byte) (int, bool) {
	_, after, ok := bytes.Cut(r, []byte(" id="))
	if !ok {
		return 0, false
	}
	end := bytes.IndexByte(after, 'i')
	if end < 0 {
		return 0, false
	}
	id, err := strconv.Atoi(string(after[:end]))
	if err != nil || !bytes.Equal(r, rec(id)) {
		return 0, false // damaged or foreign
	}
	return id, true
}

func recs(from, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = rec(from + i)
	}
	return out
}

// drain returns every record readable now, without committing.
func drain(s *Spool) ([][]byte, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out [][]byte
	for {
		b, err := s.Read(ctx, 0, 0)
		if errors.Is(err, context.Canceled) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, b.Records...)
	}
}

// ids maps records to their ids; a record that is not one of rec's is an error.
func ids(records [][]byte) ([]int, error) {
	out := make([]int, 0, len(records))
	for _, r := range records {
		id, ok := recID(r)
		if !ok {
			return out, fmt.Errorf("delivered a record that was never written: %q", r)
		}
		out = append(out, id)
	}
	return out, nil
}

func equalIDs(got, want []int) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d records %v, want %d %v", len(got), short(got), len(want), short(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("record %d is id %d, want %d (got %v, want %v)", i, got[i], want[i], short(got), short(want))
		}
	}
	return nil
}

func short(v []int) []int {
	if len(v) > 40 {
		return v[:40]
	}
	return v
}

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}
