package spool

import (
	"fmt"
	"time"
)

// dirtyFile is a segment file with writes that no fsync round has covered.
type dirtyFile struct {
	f      File
	id     uint64
	sealed bool // no more writes: close it after its round
}

// syncFailure records that the writes with sequence numbers in (from, to]
// were not acknowledged because their fsync failed.
type syncFailure struct {
	from, to uint64
	err      error
}

// waitSynced returns once an fsync round has covered write seq, leading a
// round itself if none has: appenders that arrive while a round runs share
// the next one.
func (s *Spool) waitSynced(seq uint64) error {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.syncedSeq < seq {
		s.syncRound()
	}
	for _, f := range s.failures {
		if seq > f.from && seq <= f.to {
			return f.err
		}
	}
	return nil
}

// syncRound fsyncs every dirty file, then publishes the writes it covered.
// A failed fsync fails all of them and retires the files: Linux may drop
// the dirty pages of a failed fsync and report success on a retry, so the
// only safe continuation is a new segment. Called with smu held.
func (s *Spool) syncRound() {
	s.wmu.Lock()
	target, files, pend := s.wseq, s.dirty, s.pending
	s.dirty, s.pending, s.activeDF = nil, nil, nil
	s.wmu.Unlock()

	var err error
	var failed uint64
	cascade := false
	for _, df := range files {
		s.wmu.Lock() // a failed write may retire a file during the round
		prev, ok := s.retired[df.f]
		s.wmu.Unlock()
		if ok {
			// Written after an earlier round failed on this file but
			// before it was retired: never fsync it again.
			err, failed, cascade = prev, df.id, true
			break
		}
		err = df.f.Sync()
		if err != nil && s.mutant == mutFsyncRetry {
			err = df.f.Sync() // the fsyncgate bug: the retry "succeeds"
		}
		if err != nil {
			failed = df.id
			break
		}
		s.countSync()
	}
	if err == nil {
		s.publish(pend)
		for _, df := range files {
			if df.sealed {
				_ = df.f.Close()
			}
		}
		s.syncedSeq = target
		return
	}

	if !cascade {
		err = fmt.Errorf("spool fsync %s: %w", segName(failed), err)
	}
	s.wmu.Lock()
	if s.retired == nil {
		s.retired = map[File]error{}
	}
	for _, df := range files {
		if df.f == s.active {
			s.active, s.activeDF = nil, nil
		}
		if _, ok := s.retired[df.f]; ok {
			delete(s.retired, df.f) // no write can reach it any more
			continue
		}
		// Writes that reached this file after the snapshot are in the
		// next round, which must fail them without an fsync.
		for _, later := range s.dirty {
			if later.f == df.f {
				s.retired[df.f] = err
			}
		}
		_ = df.f.Close()
	}
	s.wmu.Unlock()
	records := int64(0)
	s.mu.Lock()
	for _, w := range pend {
		records += w.records
		w.seg.inflight--
	}
	s.wakeReaderLocked() // the reader may move past these writes now
	if !cascade {
		s.stats.WriteErrors++
	}
	s.stats.RejectedRecords += records
	s.mu.Unlock()
	if !cascade {
		s.log.Error("spool fsync failed; records not acknowledged, continuing in a new segment",
			"segment", segName(failed), "records", records, "err", err)
	}
	s.failures = append(s.failures, syncFailure{from: s.syncedSeq, to: target, err: err})
	if len(s.failures) > 16 {
		s.failures = s.failures[1:]
	}
	s.syncedSeq = target
}

func (s *Spool) countSync() {
	s.mu.Lock()
	s.stats.Syncs++
	s.mu.Unlock()
}

// groupCommit fsyncs the active segment every SyncInterval.
func (s *Spool) groupCommit() {
	defer close(s.done)
	t := time.NewTicker(s.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.syncNow()
		}
	}
}

// syncNow is one group commit under SyncInterval.
func (s *Spool) syncNow() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if !s.unsynced || s.active == nil {
		return
	}
	if err := s.active.Sync(); err != nil {
		// Records since the last group commit were acknowledged and may
		// now be lost on power failure: the bound SyncInterval promises.
		_ = s.failActive("group fsync", err, 0, false)
		return
	}
	s.unsynced = false
	s.countSync()
}
