package spool

import "errors"

// FreeShare is the share of a filesystem's free space (at Open, on top of
// what the spool already holds) that the spool may take: a cap configured
// larger than the disk must not let the spool fill it, because the disk
// is shared with logs and the system, and a full disk stops commits too.
const FreeShare = 0.5

// minCap is the least the bound lowers the cap to: four minimum segments.
const minCap = 4 * 4096

// freeSpacer is a filesystem that can tell how much room is left.
type freeSpacer interface {
	Free(dir string) (int64, error)
}

// boundCap lowers MaxBytes to what the spool holds plus FreeShare of the
// free space, and the segment size with it, and logs the change. It runs
// once in Open, before any other goroutine sees the options.
func (s *Spool) boundCap() {
	fsys, ok := s.fs.(freeSpacer)
	if !ok {
		return
	}
	free, err := fsys.Free(s.dir)
	if errors.Is(err, errors.ErrUnsupported) {
		return
	}
	if err != nil {
		s.log.Warn("cannot measure free space for the spool; using spool.max_size as configured", "err", err)
		return
	}
	bound := max(s.totalBytes+int64(float64(free)*FreeShare), minCap)
	if s.opts.MaxBytes <= bound {
		s.log.Debug("spool cap fits the filesystem", "max_size", s.opts.MaxBytes, "free_bytes", free)
		return
	}
	seg := max(min(s.opts.SegmentBytes, bound/4), 4096)
	s.log.Warn("spool.max_size is larger than the filesystem can hold; lowered to the spool's size plus half the free space",
		"max_size", s.opts.MaxBytes, "free_bytes", free, "spool_bytes", s.totalBytes, "effective_max_size", bound, "segment_size", seg)
	s.opts.MaxBytes, s.opts.SegmentBytes = bound, seg
}
