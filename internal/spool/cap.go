package spool

import (
	"errors"
	"time"
)

// FreeShare is the share of the space available to the spool (its own
// bytes plus the filesystem's free space) that the cap may take: a cap
// configured larger than the disk must not let the spool fill it, because
// the disk is shared with logs and the system, and a full disk refuses
// new points.
const FreeShare = 0.5

// minCap is the least the bound lowers the cap to: four minimum segments.
const minCap = 4 * 4096

// freeSpacer is a filesystem that can tell how much room is left.
type freeSpacer interface {
	Free(dir string) (int64, error)
}

// boundCap lowers MaxBytes at Open to FreeShare of the space available to
// the spool, but never below what it already holds (nothing acknowledged
// is dropped because another program filled the disk), and the segment
// size with it, and logs the change. It runs before any other goroutine
// sees the options.
func (s *Spool) boundCap() {
	s.configuredMax = s.opts.MaxBytes
	free, ok := s.free()
	if !ok {
		return
	}
	bound := max(s.totalBytes, int64(float64(free+s.totalBytes)*FreeShare), minCap)
	if s.opts.MaxBytes <= bound {
		s.log.Debug("spool cap fits the filesystem", "max_size", s.opts.MaxBytes, "free_bytes", free)
		return
	}
	seg := max(min(s.opts.SegmentBytes, bound/4), 4096)
	s.log.Warn("spool.max_size is larger than its filesystem allows; lowered to half of the space available to the spool",
		"max_size", s.opts.MaxBytes, "free_bytes", free, "spool_bytes", s.totalBytes, "effective_max_size", bound, "segment_size", seg)
	s.opts.MaxBytes, s.opts.SegmentBytes = bound, seg
	s.capLowered = true
}

// raiseCap, when the spool reaches a cap that boundCap lowered, raises it
// to FreeShare of the space available now (at most the configured
// max_size): space freed since the start, by the operator or by the spool
// draining, is used again. It never lowers the cap, so a disk filled by
// another program makes appends fail (ENOSPC, nothing dropped) instead of
// deleting acknowledged points. Called with wmu held, at most once a second.
func (s *Spool) raiseCap() {
	if !s.capLowered || time.Since(s.capChecked) < time.Second {
		return
	}
	s.capChecked = time.Now()
	free, ok := s.free()
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bound := min(int64(float64(free+s.totalBytes)*FreeShare), s.configuredMax)
	if bound <= s.opts.MaxBytes {
		return
	}
	s.log.Info("spool cap raised: its filesystem has more room", "effective_max_size", bound, "was", s.opts.MaxBytes, "free_bytes", free)
	s.opts.MaxBytes = bound
	s.capLowered = bound < s.configuredMax
}

func (s *Spool) free() (int64, bool) {
	fsys, ok := s.fs.(freeSpacer)
	if !ok {
		return 0, false
	}
	free, err := fsys.Free(s.dir)
	if errors.Is(err, errors.ErrUnsupported) {
		return 0, false
	}
	if err != nil {
		s.log.Warn("cannot measure free space for the spool; keeping the cap as it is", "err", err)
		return 0, false
	}
	return free, true
}
