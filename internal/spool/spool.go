// Package spool is perwatt's durable on-disk queue: every point is appended
// to a segmented, checksummed log before the agent acknowledges it, and is
// deleted only after the sink accepted it. A torn or corrupt tail after a
// power cut is repaired at start-up, never a reason to refuse to start.
//
// Delivery is at least once: records after the last Commit are delivered
// again after a restart; InfluxDB overwrites such duplicates with identical
// values.
package spool

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

var (
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("spool is closed")
	// ErrFull is returned by Append when the records do not fit: the cap
	// under RejectNew, a batch larger than the cap, or a full disk.
	ErrFull = errors.New("spool is full")
	// ErrRecordTooLarge rejects a record over MaxRecordBytes.
	ErrRecordTooLarge = errors.New("spool record is too large")
)

// Spool is safe for concurrent use: any number of appenders, one reader.
type Spool struct {
	dir    string
	opts   Options
	fs     FS
	log    *slog.Logger
	mutant mutant
	crash  func(string)
	lock   io.Closer

	// wmu serialises the write path: Append, rolls, group-commit syncs.
	wmu       sync.Mutex
	active    File // nil before the first append and after a write error
	activeID  uint64
	nextID    uint64
	dirty     bool     // written since the last fsync (SyncInterval)
	frameBuf  []byte   // reused encoding buffer
	unwritten [][]byte // mutAckBeforeWrite only

	// rmu serialises the reader (Read, Rewind) and guards its file.
	rmu   sync.Mutex
	rfile File
	rseg  uint64
	rsc   *scanner

	// cmu serialises Commit.
	cmu sync.Mutex

	// mu guards the state shared by writer, reader and committer.
	mu         sync.Mutex
	segs       []*segment
	totalBytes int64
	commit     position
	read       position
	notify     chan struct{} // closed and replaced whenever records become readable
	closed     bool
	stats      Stats

	stop chan struct{}
	done chan struct{}
}

// Stats are counters since Open plus the current size of the spool.
type Stats struct {
	Bytes           int64 // on-disk bytes of all segments
	Segments        int
	PendingRecords  int64 // records not yet committed
	Appends         int64 // successful Append calls
	AppendedRecords int64
	Syncs           int64 // fsyncs of segment data
	DroppedRecords  int64 // unsent records deleted by the drop-oldest cap
	DroppedSegments int64
	RejectedRecords int64 // records refused: cap under RejectNew, full disk, write errors
	WriteErrors     int64 // failed writes and fsyncs; each retires the segment's descriptor
	CorruptRegions  int64 // damaged regions found at start (each is one or more records)
	CorruptBytes    int64
	Commits         int64
}

// Open opens or creates the spool in dir (created 0700) and recovers it.
func Open(dir string, opts Options) (*Spool, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := opts.FS.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	lock, err := opts.FS.Lock(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	if opts.crash == nil {
		opts.crash = envCrashHook()
	}
	if opts.crash == nil {
		opts.crash = func(string) {}
	}
	s := &Spool{
		dir: dir, opts: opts, fs: opts.FS, log: opts.Logger.With("spool", dir),
		mutant: opts.mutant, crash: opts.crash, lock: lock,
		notify: make(chan struct{}),
	}
	if err := s.recover(); err != nil {
		lock.Close()
		return nil, err
	}
	if opts.Sync == SyncInterval {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.groupCommit()
	}
	return s, nil
}

// Append adds records (opaque, each one point or block of lines) and returns
// once they are acknowledged under the sync policy. After a failed write or
// fsync the segment's descriptor is never used again: the error is returned
// and the next Append starts a new segment.
func (s *Spool) Append(records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	n := int64(0)
	for _, r := range records {
		if len(r) > MaxRecordBytes {
			return fmt.Errorf("%w: %d bytes (max %d)", ErrRecordTooLarge, len(r), MaxRecordBytes)
		}
		n += frameHeaderLen + int64(len(r))
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	if s.mutant == mutAckBeforeWrite {
		// Acknowledge now, write on the next call: the bug a kill -9 test
		// must catch.
		prev := s.unwritten
		s.unwritten = cloneRecords(records)
		if len(prev) == 0 {
			return nil
		}
		records = prev
	}
	return s.appendLocked(records)
}

// appendLocked writes, syncs per policy and publishes records. Called with
// wmu held.
func (s *Spool) appendLocked(records [][]byte) error {
	n := int64(0)
	for _, r := range records {
		n += frameHeaderLen + int64(len(r))
	}
	if err := s.makeRoom(n, int64(len(records))); err != nil {
		return err
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
		return s.failActive("write", err, len(records))
	}
	s.crash("append-before-fsync")
	if s.opts.Sync == SyncEveryAppend && s.mutant != mutAckBeforeFsync {
		err := s.active.Sync()
		if err != nil && s.mutant == mutFsyncRetry {
			err = s.active.Sync() // the fsyncgate bug: the retry "succeeds"
		}
		if err != nil {
			return s.failActive("fsync", err, len(records))
		}
		s.mu.Lock()
		s.stats.Syncs++
		s.mu.Unlock()
	} else {
		s.dirty = true
	}
	s.crash("append-after-fsync")

	s.mu.Lock()
	seg := s.segs[len(s.segs)-1]
	seg.size += n
	seg.disk += n
	seg.records += int64(len(records))
	s.totalBytes += n
	s.stats.Appends++
	s.stats.AppendedRecords += int64(len(records))
	s.wakeReaderLocked()
	s.mu.Unlock()
	return nil
}

// makeRoom ensures an active segment that can take n more bytes within the
// cap. Called with wmu held.
func (s *Spool) makeRoom(n, records int64) error {
	if n+segHeaderLen > s.opts.MaxBytes {
		return s.reject(records, fmt.Errorf("%w: batch of %d bytes exceeds max_bytes %d", ErrFull, n, s.opts.MaxBytes))
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
	if over && s.opts.Full == DropOldest {
		s.enforceCap(need, s.active != nil)
		over = s.totalBytes+need > s.opts.MaxBytes
	}
	s.mu.Unlock()
	if over {
		return s.reject(records, fmt.Errorf("%w: max_bytes %d reached", ErrFull, s.opts.MaxBytes))
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
		if err := s.fs.Remove(filepath.Join(s.dir, segName(seg.id))); err != nil {
			// Without the delete the cap cannot hold; stop dropping and
			// let the cap be exceeded rather than lose more.
			s.log.Error("cannot delete spool segment to honour max_bytes", "segment", segName(seg.id), "err", err)
			return
		}
		s.segs = s.segs[1:]
		s.totalBytes -= seg.disk
		s.stats.DroppedSegments++
		s.stats.DroppedRecords += dropped
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
		s.log.Warn("spool reached max_bytes; dropped oldest unsent records",
			"max_bytes", s.opts.MaxBytes, "dropped_records", dropped, "segment", segName(seg.id))
	}
}

// failActive retires the active descriptor after a write or fsync error.
// Linux may drop the dirty pages of a failed fsync and report success on a
// retry, so the only safe continuation is a new file.
func (s *Spool) failActive(op string, err error, records int) error {
	_ = s.active.Close()
	s.active = nil
	s.dirty = false
	s.mu.Lock()
	s.stats.WriteErrors++
	s.stats.RejectedRecords += int64(records)
	s.mu.Unlock()
	s.log.Error("spool "+op+" failed; records not acknowledged, continuing in a new segment",
		"segment", segName(s.activeID), "err", err)
	return fmt.Errorf("spool %s %s: %w", op, segName(s.activeID), errors.Join(err, ErrFull))
}

// sealActive syncs and closes the active segment so that the next append
// opens a new one. Called with wmu held.
func (s *Spool) sealActive() error {
	if s.dirty && s.opts.Sync == SyncInterval {
		if err := s.active.Sync(); err != nil {
			return s.failActive("fsync", err, 0)
		}
		s.mu.Lock()
		s.stats.Syncs++
		s.mu.Unlock()
		s.dirty = false
	}
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
		return fmt.Errorf("create spool segment: %w", errors.Join(err, ErrFull))
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
		return fmt.Errorf("create spool segment %s: %w", path, errors.Join(err, ErrFull))
	}
	s.active, s.activeID = f, id
	s.mu.Lock()
	s.segs = append(s.segs, &segment{id: id, size: segHeaderLen, disk: segHeaderLen})
	s.totalBytes += segHeaderLen
	s.mu.Unlock()
	return nil
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

// syncNow is one group commit.
func (s *Spool) syncNow() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if !s.dirty || s.active == nil {
		return
	}
	if err := s.active.Sync(); err != nil {
		// Records since the last group commit were acknowledged and may
		// now be lost on power failure: the bound SyncInterval promises.
		_ = s.failActive("group fsync", err, 0)
		return
	}
	s.dirty = false
	s.mu.Lock()
	s.stats.Syncs++
	s.mu.Unlock()
}

// Close syncs and closes the spool; a second Close does nothing.
// Uncommitted records stay for the next Open.
func (s *Spool) Close() error {
	if s.stop != nil {
		select {
		case <-s.stop:
		default:
			close(s.stop)
		}
		<-s.done
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil // closing twice is harmless
	}
	s.mu.Unlock()
	var err error
	if len(s.unwritten) > 0 {
		err = s.appendLocked(s.unwritten)
		s.unwritten = nil
	}
	if s.active != nil {
		if s.dirty {
			err = s.active.Sync()
		}
		err = errors.Join(err, s.active.Close())
		s.active = nil
	}
	s.mu.Lock()
	s.closed = true
	close(s.notify)
	s.mu.Unlock()
	s.rmu.Lock()
	if s.rfile != nil {
		_ = s.rfile.Close()
		s.rfile = nil
	}
	s.rmu.Unlock()
	return errors.Join(err, s.lock.Close())
}

func (s *Spool) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// wakeReaderLocked tells a blocked Read that records arrived. Called with mu held.
func (s *Spool) wakeReaderLocked() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// Stats returns the current counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Bytes = s.totalBytes
	st.Segments = len(s.segs)
	for _, seg := range s.segs {
		if seg.id >= s.commit.seg {
			st.PendingRecords += seg.records
		}
		if seg.id == s.commit.seg {
			st.PendingRecords -= s.commit.idx
		}
	}
	return st
}

func cloneRecords(records [][]byte) [][]byte {
	out := make([][]byte, len(records))
	for i, r := range records {
		out[i] = append([]byte(nil), r...)
	}
	return out
}
