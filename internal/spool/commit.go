package spool

import (
	"errors"
	"fmt"
	"path/filepath"
)

// ErrCheckpoint wraps a checkpoint that could not be saved. The commit
// itself took effect: the records are released and the next Commit
// proceeds normally; only a restart before a later checkpoint succeeds
// would deliver them again.
var ErrCheckpoint = errors.New("spool checkpoint not saved")

// Commit records that the sink accepted b: the checkpoint moves past it
// (durably, before Commit returns) and fully consumed segments are deleted.
// Committing a batch twice, or one already passed by drop-oldest, is a no-op.
//
// A checkpoint that cannot be written (full disk, I/O error) does not undo
// the commit: the sink has the records, so the reader and the committer
// move on together, consumed segments are deleted (which is what frees a
// full disk), and every later Commit, and Close, writes the newest position
// again. The error wraps ErrCheckpoint.
func (s *Spool) Commit(b Batch) error {
	if b.to == (position{}) {
		return nil
	}
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.mu.Lock()
	closed, cur := s.closed, s.commit
	if s.dropInflight > 0 && !b.to.less(s.dropInflightTo) {
		// The batches drop-oldest deleted under the reader were delivered
		// after all: not a loss.
		s.dropInflight = 0
	}
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if !cur.less(b.to) {
		return nil
	}
	if cur.less(b.from) {
		return fmt.Errorf("%w: batch starts at %s offset %d, spool committed up to %s offset %d",
			ErrOutOfOrder, segName(b.from.seg), b.from.off, segName(cur.seg), cur.off)
	}
	s.crash("commit-before-checkpoint")
	err := writeCheckpoint(s.fs, s.dir, b.to, s.crash)
	if err != nil && s.mutant == mutCommitStuck {
		// The bug this suite must catch: the committer stays behind the
		// reader, so every later batch is out of order.
		s.countCheckpointError(err)
		return fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	if err == nil {
		s.crash("commit-between-checkpoint-and-delete")
	}

	s.mu.Lock()
	if s.commit.less(b.to) {
		s.commit = b.to
	}
	if s.read.less(s.commit) {
		s.read = s.commit // after a Rewind: do not deliver what is committed
	}
	s.stats.Commits++
	consumed := s.takeConsumedLocked()
	s.mu.Unlock()
	freed := s.removeSegments(consumed)
	if err != nil && freed {
		// Deleting what was consumed may be exactly the room the
		// checkpoint needed.
		err = writeCheckpoint(s.fs, s.dir, b.to, s.crash)
	}
	return s.checkpointDone(err)
}

// takeConsumedLocked unlinks fully committed segments from the list and
// returns them for deletion. Called with mu held.
func (s *Spool) takeConsumedLocked() []*segment {
	var consumed []*segment
	for len(s.segs) > 1 && s.segs[0].id < s.commit.seg {
		consumed = append(consumed, s.segs[0])
		s.totalBytes -= s.segs[0].disk
		s.segs = s.segs[1:]
	}
	return consumed
}

// removeSegments deletes consumed segment files and reports whether any
// went. A failed delete is retried by the next Open, which removes every
// segment before the checkpoint.
func (s *Spool) removeSegments(consumed []*segment) bool {
	freed := false
	for _, seg := range consumed {
		if err := s.fs.Remove(filepath.Join(s.dir, segName(seg.id))); err != nil {
			s.log.Warn("cannot delete consumed spool segment", "segment", segName(seg.id), "err", err)
			continue
		}
		freed = true
	}
	return freed
}

// checkpointDone records the outcome of a checkpoint write: a failure is
// logged once until the checkpoint is saved again, then the recovery is
// logged too.
func (s *Spool) checkpointDone(err error) error {
	if err == nil {
		s.mu.Lock()
		failing := s.ckFailing
		s.ckFailing = false
		s.mu.Unlock()
		if failing {
			s.log.Info("spool checkpoint saved again; commits are durable")
		}
		return nil
	}
	s.countCheckpointError(err)
	return fmt.Errorf("%w: %w", ErrCheckpoint, err)
}

func (s *Spool) countCheckpointError(err error) {
	s.mu.Lock()
	first := !s.ckFailing
	s.ckFailing = true
	s.stats.CheckpointErrors++
	s.mu.Unlock()
	if first {
		s.log.Error("spool checkpoint not saved; delivery continues, and records delivered since the last saved checkpoint would be sent again after a restart",
			"err", err)
	}
}

// saveCheckpoint writes the committed position if the last attempt failed
// (Close, so a clean stop leaves no re-send behind).
func (s *Spool) saveCheckpoint() error {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.mu.Lock()
	failing, pos := s.ckFailing, s.commit
	s.mu.Unlock()
	if !failing {
		return nil
	}
	return s.checkpointDone(writeCheckpoint(s.fs, s.dir, pos, s.crash))
}

// Rewind makes the next Read start again at the oldest uncommitted record,
// for a consumer that lost the batches it had read.
func (s *Spool) Rewind() {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.mu.Lock()
	s.read = s.commit
	s.lostInflightLocked()
	s.mu.Unlock()
}

// lostInflightLocked counts records that drop-oldest deleted while they
// were being delivered, once it is clear they never will be. Called with
// mu held.
func (s *Spool) lostInflightLocked() {
	s.stats.DroppedRecords += s.dropInflight
	s.dropInflight = 0
}
