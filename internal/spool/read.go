package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// ErrOutOfOrder is returned by Commit for a batch that starts after
// uncommitted records: batches must be committed in the order read.
var ErrOutOfOrder = errors.New("spool batch committed out of order")

// Batch is a run of records delivered by Read. Commit it once the sink has
// accepted every record in it.
type Batch struct {
	Records [][]byte // copies, owned by the caller
	Bytes   int      // payload bytes in Records
	from    position
	to      position
}

// Read returns the next unread acknowledged records in append order, at
// most max records (no limit if max <= 0) and, past the first record, at
// most maxBytes payload bytes (no limit if maxBytes <= 0). It blocks until
// at least one record is available or ctx is done.
func (s *Spool) Read(ctx context.Context, max, maxBytes int) (Batch, error) {
	if max <= 0 {
		max = int(^uint(0) >> 1)
	}
	if maxBytes <= 0 {
		maxBytes = int(^uint(0) >> 1)
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for {
		b, wait, err := s.readOnce(max, maxBytes)
		if err != nil || len(b.Records) > 0 {
			return b, err
		}
		select {
		case <-ctx.Done():
			return Batch{}, ctx.Err()
		case <-wait:
		}
	}
}

type segView struct {
	id      uint64
	size    int64
	settled bool // no write in flight: what is readable is all there will be
}

// readOnce collects what is readable now without blocking. Called with rmu held.
func (s *Spool) readOnce(max, maxBytes int) (Batch, <-chan struct{}, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Batch{}, nil, ErrClosed
	}
	wait := s.notify
	cur := s.read
	var views []segView
	for _, seg := range s.segs {
		if seg.id >= cur.seg {
			views = append(views, segView{seg.id, seg.size, seg.inflight == 0})
		}
	}
	s.mu.Unlock()

	b := Batch{from: cur}
	full := false
	var arena []byte
	var ends []int
	var perSeg []segCount // records taken from each segment, for the drop count
	for i, v := range views {
		if v.id != cur.seg {
			cur = position{seg: v.id, off: segHeaderLen}
		}
		perSeg = append(perSeg, segCount{id: v.id})
		if cur.off < v.size {
			sc, err := s.scannerFor(v.id, cur.off, v.size)
			if err != nil {
				return Batch{}, wait, err
			}
			for !full {
				it, err := sc.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return Batch{}, wait, fmt.Errorf("read spool segment %s: %w", segName(v.id), err)
				}
				switch it.kind {
				case itemRecord:
					if len(ends) >= max || (len(ends) > 0 && b.Bytes+len(it.payload) > maxBytes) {
						sc.off = it.off // leave it for the next Read
						full = true
						continue
					}
					// One backing array per batch instead of one allocation
					// per record: replay copies millions of small records.
					arena = append(arena, it.payload...)
					ends = append(ends, len(arena))
					b.Bytes += len(it.payload)
					cur.idx++
					perSeg[len(perSeg)-1].n++
				case itemBad:
					// Damage after start-up (recovery repaired the rest):
					// skip it so that one bad sector cannot stall delivery.
					s.log.Error("spool segment damaged while running; skipping bad bytes",
						"segment", segName(v.id), "offset", it.off, "bytes", it.end-it.off)
					s.mu.Lock()
					s.stats.CorruptRegions++
					s.stats.CorruptBytes += it.end - it.off
					s.mu.Unlock()
				}
				cur.off = it.end
			}
		}
		if full || i == len(views)-1 || !v.settled {
			break
		}
	}
	if len(ends) == 0 {
		// Stay put: the next batch must start where the last one ended,
		// or Commit could not tell a skipped empty segment from a gap.
		return Batch{}, wait, nil
	}
	b.Records = make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		b.Records[i] = arena[start:end:end]
		start = end
	}
	b.to = cur
	s.mu.Lock()
	if s.read.less(cur) {
		s.read = cur
	}
	s.reclaimDroppedLocked(perSeg, cur)
	s.mu.Unlock()
	return b, wait, nil
}

type segCount struct {
	id uint64
	n  int64
}

// reclaimDroppedLocked corrects the drop count for a batch read while
// drop-oldest deleted segments under it: the drop counted those records as
// unread, but this batch holds them, so they are lost only if it is never
// committed. (An open file stays readable after its name is removed.)
// Called with mu held.
func (s *Spool) reclaimDroppedLocked(perSeg []segCount, to position) {
	first := uint64(math.MaxUint64) // no segment left: all were dropped
	if len(s.segs) > 0 {
		first = s.segs[0].id
	}
	var n int64
	for _, c := range perSeg {
		if c.id < first {
			n += c.n
		}
	}
	if n == 0 {
		return
	}
	s.stats.DroppedRecords -= n
	s.dropInflight += n
	if s.dropInflightTo.less(to) {
		s.dropInflightTo = to
	}
}

// scannerFor returns a scanner over segment id, reusing the open file and
// its read-ahead window: bytes below a segment's readable end never change.
func (s *Spool) scannerFor(id uint64, off, end int64) (*scanner, error) {
	if s.rfile == nil || s.rseg != id {
		if s.rfile != nil {
			_ = s.rfile.Close()
			s.rfile = nil
		}
		f, err := s.fs.OpenFile(filepath.Join(s.dir, segName(id)), os.O_RDONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("open spool segment for reading: %w", err)
		}
		s.rfile, s.rseg = f, id
		buf := []byte(nil)
		if s.rsc != nil {
			buf = s.rsc.buf[:0]
		}
		s.rsc = newScanner(f, off, end)
		s.rsc.buf = buf
		s.rsc.skipCRC = s.mutant == mutNoCRC
	}
	s.rsc.off, s.rsc.end = off, end
	return s.rsc, nil
}
