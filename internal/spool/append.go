package spool

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// pendingWrite is a write that readers may see once its fsync round ends.
type pendingWrite struct {
	seq     uint64
	seg     *segment
	n       int64
	records int64
}

// Append adds records (opaque, each one point or block of lines) and returns
// once they are acknowledged under the sync policy. Under SyncEveryAppend,
// concurrent appenders share fsyncs (group commit): each still returns only
// after an fsync that covers its own records. After a failed write or fsync
// the segment's descriptor is never used again: the error is returned and
// the next Append starts a new segment.
func (s *Spool) Append(records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	for _, r := range records {
		if len(r) > MaxRecordBytes {
			return fmt.Errorf("%w: %d bytes (max %d)", ErrRecordTooLarge, len(r), MaxRecordBytes)
		}
	}
	seq, err := s.write(records)
	if err != nil {
		return err
	}
	if seq != 0 {
		if err := s.waitSynced(seq); err != nil {
			return err
		}
	}
	s.crash("append-after-fsync")
	return nil
}

// write frames records into the active segment and returns the sequence
// number whose fsync round the ack must wait for, or 0 when the records are
// acknowledged already (SyncInterval, SyncNever).
func (s *Spool) write(records [][]byte) (uint64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closing {
		return 0, ErrClosed
	}
	if s.mutant == mutAckBeforeWrite {
		// Acknowledge now, write on the next call: the bug a kill -9 test
		// must catch.
		prev := s.unwritten
		s.unwritten = cloneRecords(records)
		if len(prev) == 0 {
			return 0, nil
		}
		records = prev
	}
	return s.writeLocked(records)
}

// writeLocked is write with wmu held.
func (s *Spool) writeLocked(records [][]byte) (uint64, error) {
	n := int64(0)
	for _, r := range records {
		n += frameHeaderLen + int64(len(r))
	}
	if err := s.makeRoom(n, int64(len(records))); err != nil {
		return 0, err
	}
	buf := s.frameBuf[:0]
	for _, r := range records {
		buf = appendFrame(buf, r)
	}
	s.frameBuf = buf
	if cap(s.frameBuf) > 4<<20 {
		s.frameBuf = nil // do not pin a one-off huge batch
	}
	s.crash("append-before-write")
	if _, err := s.active.Write(buf); err != nil {
		return 0, s.failActive("write", err, len(records), true)
	}
	s.crash("append-before-fsync")
	if s.writeFailing {
		s.writeFailing = false
		s.log.Info("spool writes succeed again", "segment", segName(s.activeID))
	}
	s.mu.Lock()
	w := pendingWrite{seg: s.segs[len(s.segs)-1], n: n, records: int64(len(records))}
	w.seg.disk += n
	s.totalBytes += n
	s.mu.Unlock()
	if s.opts.Sync == SyncEveryAppend && s.mutant != mutAckBeforeFsync {
		s.mu.Lock()
		w.seg.inflight++
		s.mu.Unlock()
		s.wseq++
		w.seq = s.wseq
		s.pending = append(s.pending, w)
		if s.activeDF == nil {
			s.activeDF = &dirtyFile{f: s.active, id: s.activeID}
			s.dirty = append(s.dirty, s.activeDF)
		}
		return w.seq, nil
	}
	s.unsynced = true
	s.publish([]pendingWrite{w})
	return 0, nil
}

// publish makes acknowledged writes readable, in write order.
func (s *Spool) publish(ws []pendingWrite) {
	if len(ws) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range ws {
		if w.seq != 0 {
			w.seg.inflight--
		}
		w.seg.size += w.n
		w.seg.records += w.records
		s.stats.Appends++
		s.stats.AppendedRecords += w.records
	}
	s.wakeReaderLocked()
}

// makeRoom ensures an active segment that can take n more bytes within the
// cap. Called with wmu held.
func (s *Spool) makeRoom(n, records int64) error {
	if n+segHeaderLen > s.opts.MaxBytes {
		return s.reject(records, fmt.Errorf("%w: batch of %d bytes exceeds spool.max_size %d", ErrFull, n, s.opts.MaxBytes))
	}
	if s.active != nil {
		s.mu.Lock()
		size := s.segs[len(s.segs)-1].disk
		s.mu.Unlock()
		if size > segHeaderLen && size+n > s.opts.SegmentBytes {
			if err := s.sealActive(); err != nil {
				return err
			}
		}
	}
	need := n
	if s.active == nil {
		need += segHeaderLen
	}
	s.mu.Lock()
	over := s.totalBytes+need > s.opts.MaxBytes
	s.mu.Unlock()
	if over {
		s.raiseCap()
	}
	s.mu.Lock()
	over = s.totalBytes+need > s.opts.MaxBytes
	if over && s.opts.Full == DropOldest {
		s.enforceCap(need, s.active != nil)
		over = s.totalBytes+need > s.opts.MaxBytes
	}
	s.mu.Unlock()
	if over {
		return s.reject(records, fmt.Errorf("%w: spool.max_size %d reached", ErrFull, s.opts.MaxBytes))
	}
	if s.active == nil {
		if err := s.openSegment(); err != nil {
			return s.reject(records, err)
		}
	}
	return nil
}

func (s *Spool) reject(records int64, err error) error {
	s.mu.Lock()
	s.stats.RejectedRecords += records
	s.mu.Unlock()
	return err
}

// enforceCap drops the oldest segments until n more bytes fit under
// MaxBytes, sparing the last one (the active segment) when keepLast is set.
// Called with mu held.
func (s *Spool) enforceCap(n int64, keepLast bool) {
	keep := 0
	if keepLast {
		keep = 1
	}
	for s.totalBytes+n > s.opts.MaxBytes && len(s.segs) > keep {
		seg := s.segs[0]
		dropped := seg.records
		if s.commit.seg == seg.id {
			dropped -= s.commit.idx
		} else if s.commit.seg > seg.id {
			dropped = 0
		}
		// Records the reader already handed out are in a batch being
		// delivered: they are lost only if that batch is never committed.
		inflight := int64(0)
		switch {
		case s.read.seg > seg.id:
			inflight = dropped
		case s.read.seg == seg.id:
			inflight = s.read.idx - (seg.records - dropped)
		}
		inflight = min(max(inflight, 0), dropped)
		if err := s.fs.Remove(filepath.Join(s.dir, segName(seg.id))); err != nil {
			// Without the delete the cap cannot hold; stop dropping and
			// refuse new records rather than lose more.
			s.log.Error("cannot delete spool segment to honour spool.max_size", "segment", segName(seg.id), "err", err)
			return
		}
		s.segs = s.segs[1:]
		s.totalBytes -= seg.disk
		s.stats.DroppedSegments++
		s.stats.DroppedRecords += dropped - inflight
		if inflight > 0 {
			s.dropInflight += inflight
			if s.dropInflightTo.less(s.read) {
				s.dropInflightTo = s.read
			}
		}
		next := position{seg: s.nextID, off: segHeaderLen}
		if len(s.segs) > 0 {
			next.seg = s.segs[0].id
		}
		if s.commit.less(next) {
			s.commit = next
		}
		if s.read.less(next) {
			s.read = next
		}
		s.log.Warn("spool reached spool.max_size; dropped oldest unsent records",
			"max_size", s.opts.MaxBytes, "dropped_records", dropped, "segment", segName(seg.id))
	}
}

// failActive retires the active descriptor after a write error. Records
// written to it but still waiting for their fsync round fail with it.
// After a failed write, trim sets the file back to its last whole frame:
// a short write on a full disk must not hold the blocks it took, nor
// leave a torn frame for recovery to set aside.
func (s *Spool) failActive(op string, err error, records int, trim bool) error {
	err = fmt.Errorf("spool %s %s: %w", op, segName(s.activeID), err)
	if trim {
		s.mu.Lock()
		end := s.segs[len(s.segs)-1].disk
		s.mu.Unlock()
		if terr := s.active.Truncate(end); terr != nil {
			s.log.Warn("cannot trim a failed write from the spool segment; recovery will set it aside",
				"segment", segName(s.activeID), "err", terr)
		}
	}
	if s.activeDF != nil {
		// Earlier writes to this file still wait for their fsync round;
		// it must fail them with this error instead of syncing the file.
		if s.retired == nil {
			s.retired = map[File]error{}
		}
		s.retired[s.active] = err
	}
	_ = s.active.Close()
	s.active, s.activeDF, s.unsynced = nil, nil, false
	s.mu.Lock()
	s.stats.WriteErrors++
	s.stats.RejectedRecords += int64(records)
	s.mu.Unlock()
	// A full disk fails every append until space returns: say so once,
	// then at debug level, and say when writes succeed again.
	level := slog.LevelError
	if s.writeFailing {
		level = slog.LevelDebug
	}
	s.writeFailing = true
	s.log.Log(context.Background(), level, "spool "+op+" failed; records not acknowledged, continuing in a new segment",
		"segment", segName(s.activeID), "err", err)
	return err
}

// sealActive stops writing to the active segment so that the next append
// opens a new one. Called with wmu held.
func (s *Spool) sealActive() error {
	switch {
	case s.opts.Sync == SyncEveryAppend:
		// The file may hold writes waiting for an fsync round, or be in
		// one right now: the round that covers it closes it.
		if s.activeDF != nil {
			s.activeDF.sealed = true
		} else {
			s.dirty = append(s.dirty, &dirtyFile{f: s.active, id: s.activeID, sealed: true})
		}
		s.active, s.activeDF = nil, nil
		return nil
	case s.unsynced && s.opts.Sync == SyncInterval:
		if err := s.active.Sync(); err != nil {
			return s.failActive("fsync", err, 0, false)
		}
		s.countSync()
	}
	s.unsynced = false
	err := s.active.Close()
	s.active = nil
	if err != nil {
		s.log.Warn("closing spool segment failed", "segment", segName(s.activeID), "err", err)
	}
	return nil
}

// openSegment creates the next segment and makes its existence durable
// before any record in it can be acknowledged.
func (s *Spool) openSegment() error {
	id := s.nextID
	s.nextID++
	path := filepath.Join(s.dir, segName(id))
	f, err := s.fs.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create spool segment: %w", err)
	}
	s.crash("segment-created")
	_, err = f.Write(appendSegHeader(nil, id))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = s.fs.SyncDir(s.dir)
	}
	if err != nil {
		_ = f.Close()
		_ = s.fs.Remove(path)
		s.mu.Lock()
		s.stats.WriteErrors++
		s.mu.Unlock()
		return fmt.Errorf("create spool segment %s: %w", path, err)
	}
	s.active, s.activeID = f, id
	s.mu.Lock()
	s.segs = append(s.segs, &segment{id: id, size: segHeaderLen, disk: segHeaderLen})
	s.totalBytes += segHeaderLen
	s.mu.Unlock()
	return nil
}
