// Package spool is perwatt's durable on-disk queue: every point is appended
// to a segmented, checksummed log before the agent acknowledges it, and is
// deleted only after the sink accepted it. A torn or corrupt tail after a
// power cut is repaired at start-up, never a reason to refuse to start, and
// neither is a full disk; appends and commits resume by themselves when
// space returns.
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
	"path/filepath"
	"sync"
	"time"
)

var (
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("spool is closed")
	// ErrFull is returned by Append when the records do not fit under
	// MaxBytes: the cap under RejectNew, or a batch larger than the cap.
	// A full disk returns the operating system's error instead
	// (errors.Is(err, syscall.ENOSPC)); either way nothing was acknowledged.
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

	// wmu serialises writes, rolls and the bookkeeping of fsync rounds.
	wmu          sync.Mutex
	active       File // nil before the first append and after a write error
	activeID     uint64
	nextID       uint64
	frameBuf     []byte   // reused encoding buffer
	unwritten    [][]byte // mutAckBeforeWrite only
	wseq         uint64   // sequence number of the last write
	pending      []pendingWrite
	dirty        []*dirtyFile // files with writes no fsync round has covered
	activeDF     *dirtyFile   // the active file's entry in dirty, if any
	unsynced     bool         // SyncInterval: written since the last group fsync
	closing      bool         // Close has begun: writes are refused
	writeFailing bool         // the last write failed (logged once per run of failures)
	// The cap as configured, and whether boundCap lowered it (wmu; the
	// cap itself, opts.MaxBytes, changes under wmu and mu).
	configuredMax int64
	capLowered    bool
	capChecked    time.Time

	// smu is held by the appender leading an fsync round (SyncEveryAppend);
	// appenders that wrote meanwhile are covered by the next round.
	smu       sync.Mutex
	syncedSeq uint64 // every write up to here has its fsync outcome
	failures  []syncFailure
	retired   map[File]error // files whose fsync failed (wmu)

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
	ckFailing  bool // the last checkpoint write failed; commit is ahead of the saved one
	// Records drop-oldest deleted after the reader had handed them out:
	// lost only if the batch holding them is never committed.
	dropInflight   int64
	dropInflightTo position

	stop     chan struct{} // ends the group-commit goroutine
	stopOnce sync.Once
	done     chan struct{}
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
	// CheckpointErrors counts commits whose checkpoint could not be saved;
	// CheckpointFailing is set until one is saved again.
	CheckpointErrors  int64
	CheckpointFailing bool
	// MaxBytes is the cap in force: Options.MaxBytes, lowered at Open to
	// fit the filesystem.
	MaxBytes int64
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
	s.boundCap()
	if opts.Sync == SyncInterval {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.groupCommit()
	}
	return s, nil
}

// Close syncs and closes the spool; a second Close does nothing.
// Uncommitted records stay for the next Open.
func (s *Spool) Close() error {
	if s.stop != nil {
		s.stopOnce.Do(func() { close(s.stop) })
		<-s.done
	}
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.isClosed() {
		return nil // closing twice is harmless
	}
	var err error
	s.wmu.Lock()
	s.closing = true // no write after this point, so the final round covers all
	if len(s.unwritten) > 0 {
		_, err = s.writeLocked(s.unwritten)
		s.unwritten = nil
	}
	s.wmu.Unlock()
	s.syncRound()
	err = errors.Join(err, s.saveCheckpoint())

	s.wmu.Lock()
	if s.active != nil {
		if s.unsynced {
			err = errors.Join(err, s.active.Sync())
		}
		err = errors.Join(err, s.active.Close())
		s.active = nil
	}
	for _, df := range s.dirty {
		_ = df.f.Close()
	}
	s.dirty, s.activeDF = nil, nil
	s.wmu.Unlock()

	s.mu.Lock()
	s.closed = true
	s.lostInflightLocked()
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
	if s.closed {
		return // Close closed notify for good
	}
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
	st.CheckpointFailing = s.ckFailing
	st.MaxBytes = s.opts.MaxBytes
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
