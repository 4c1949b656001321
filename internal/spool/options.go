package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// SyncPolicy says when appended records are forced to stable storage, which
// decides what survives a power cut (a killed process loses nothing under any
// policy: acknowledged records are already in the kernel's page cache).
type SyncPolicy int

const (
	// SyncEveryAppend fsyncs before Append returns: an acknowledged record
	// survives both a process crash and a power loss. One fsync per Append
	// call, so callers append whole batches, not single points.
	SyncEveryAppend SyncPolicy = iota
	// SyncInterval acknowledges after write(2) and fsyncs every SyncInterval
	// (group commit): power loss can take at most the last interval.
	SyncInterval
	// SyncNever leaves flushing to the kernel (dirty_expire, typically 30 s):
	// power loss can take whatever the kernel had not written back.
	SyncNever
)

// String returns the config spelling ([spool] sync = "batch" | "interval" | "none").
func (p SyncPolicy) String() string {
	switch p {
	case SyncEveryAppend:
		return "batch"
	case SyncInterval:
		return "interval"
	case SyncNever:
		return "none"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// ParseSyncPolicy maps the config spelling to a policy.
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	switch s {
	case "batch", "":
		return SyncEveryAppend, nil
	case "interval":
		return SyncInterval, nil
	case "none":
		return SyncNever, nil
	}
	return 0, fmt.Errorf("spool sync %q is not one of batch, interval, none", s)
}

// FullPolicy says what Append does when MaxBytes would be exceeded. A disk
// that is really full (ENOSPC) always refuses new records instead: dropping
// acknowledged data cannot be undone, and the space may belong to others.
type FullPolicy int

const (
	// DropOldest deletes the oldest segments, unsent or not, to make room;
	// counted in Stats.DroppedRecords and logged. Fresh data beats old data
	// for a monitoring agent.
	DropOldest FullPolicy = iota
	// RejectNew refuses the new records (Append returns ErrFull) and keeps
	// everything already spooled.
	RejectNew
)

func (p FullPolicy) String() string {
	if p == RejectNew {
		return "reject_new"
	}
	return "drop_oldest"
}

// ParseFullPolicy maps the config spelling ("drop_oldest", "reject_new").
func ParseFullPolicy(s string) (FullPolicy, error) {
	switch s {
	case "drop_oldest", "":
		return DropOldest, nil
	case "reject_new":
		return RejectNew, nil
	}
	return 0, fmt.Errorf("spool full policy %q is not one of drop_oldest, reject_new", s)
}

// Defaults used for zero Options fields.
const (
	DefaultMaxBytes     = 1 << 30
	DefaultSegmentBytes = 16 << 20
	DefaultSyncInterval = time.Second
	// MaxRecordBytes bounds one record so that a corrupt length can never
	// make recovery allocate gigabytes.
	MaxRecordBytes = 64 << 20
)

// Options configure a spool. The zero value is usable: 1 GiB cap, 16 MiB
// segments, fsync on every Append, drop-oldest when full, the real filesystem.
type Options struct {
	MaxBytes     int64 // cap on the bytes of all segments together; bounded by the filesystem at Open (FreeShare)
	SegmentBytes int64 // a segment is rolled when the next batch would pass this
	Sync         SyncPolicy
	SyncInterval time.Duration // group-commit period for SyncInterval
	Full         FullPolicy
	Logger       *slog.Logger
	FS           FS // nil means the operating system's filesystem

	// Test-only knobs, set from _test.go files in this package.
	mutant mutant
	crash  func(point string)
}

// ErrInvalidOptions wraps every problem found in Options.
var ErrInvalidOptions = errors.New("invalid spool options")

func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = min(DefaultSegmentBytes, o.MaxBytes/4)
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("spool.max_size %d is negative", o.MaxBytes))
	}
	if o.SegmentBytes < 4096 {
		errs = append(errs, fmt.Errorf("spool.segment_size %d is below 4096 bytes", o.SegmentBytes))
	}
	// Two segments must fit under the cap, or drop-oldest would have to
	// delete the segment being written.
	if o.MaxBytes > 0 && o.SegmentBytes > o.MaxBytes/2 {
		errs = append(errs, fmt.Errorf("spool.segment_size %d is more than half of spool.max_size %d", o.SegmentBytes, o.MaxBytes))
	}
	if o.SyncInterval < 0 {
		errs = append(errs, fmt.Errorf("spool.sync_interval %v is negative", o.SyncInterval))
	}
	switch o.Sync {
	case SyncEveryAppend, SyncInterval, SyncNever:
	default:
		errs = append(errs, fmt.Errorf("spool.sync policy %d is unknown", int(o.Sync)))
	}
	switch o.Full {
	case DropOldest, RejectNew:
	default:
		errs = append(errs, fmt.Errorf("spool full policy %d is unknown", int(o.Full)))
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FS == nil {
		o.FS = OSFS{}
	}
	return o, nil
}
