package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// segment is the in-memory view of one segment file.
type segment struct {
	id      uint64
	size    int64 // readable end: everything below is whole frames or padding
	disk    int64 // bytes on disk, counted against MaxBytes
	records int64
	// inflight counts writes waiting for their fsync round. The reader
	// must not move past a segment until it is zero: a write made before
	// the roll may be published after the next segment exists.
	inflight int
}

const (
	segSuffix  = ".seg"
	corruptDir = "corrupt"
	lockName   = "LOCK"
)

func segName(id uint64) string { return fmt.Sprintf("%020d%s", id, segSuffix) }

func parseSegName(name string) (uint64, bool) {
	num, ok := strings.CutSuffix(name, segSuffix)
	if !ok || len(num) != 20 {
		return 0, false
	}
	id, err := strconv.ParseUint(num, 10, 64)
	return id, err == nil
}

// ErrCorrupt is returned only by the no-tail-repair test mutant; the real
// spool repairs and starts.
var ErrCorrupt = errors.New("spool segment is corrupt")

// recover scans the directory, repairs damage and sets the segment list and
// the commit and read positions. Damage never stops it, nor does a full
// disk: bad bytes are copied to dir/corrupt/ when there is room (dropped
// and logged when not) and made unreadable, and the good records are kept.
func (s *Spool) recover() error {
	names, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("open spool %s: %w", s.dir, err)
	}
	ck, haveCk, err := readCheckpoint(s.fs, s.dir)
	if errors.Is(err, errCheckpoint) {
		// Replaying everything is the at-least-once answer: duplicates
		// overwrite themselves in InfluxDB, lost points do not come back.
		s.log.Warn("spool checkpoint is damaged; replaying every spooled record", "dir", s.dir)
		s.stats.CorruptRegions++
		haveCk = false
	} else if err != nil {
		return fmt.Errorf("open spool %s: read checkpoint: %w", s.dir, err)
	}
	if !haveCk {
		ck = position{}
	}
	for _, name := range names {
		if name == checkpointName+".tmp" {
			_ = s.fs.Remove(filepath.Join(s.dir, name))
		}
		id, ok := parseSegName(name)
		if !ok {
			continue
		}
		s.nextID = max(s.nextID, id+1)
		if id < ck.seg {
			// Consumed: the checkpoint moved past it but the crash came
			// before the delete.
			if err := s.fs.Remove(filepath.Join(s.dir, name)); err != nil {
				s.log.Warn("cannot delete consumed spool segment", "segment", name, "err", err)
			}
			continue
		}
		ckOff := int64(-1)
		if id == ck.seg && haveCk {
			ckOff = ck.off
		}
		seg, start, err := s.recoverSegment(id, ckOff)
		if err != nil {
			return err
		}
		if seg == nil {
			continue
		}
		s.segs = append(s.segs, seg)
		s.totalBytes += seg.disk
		if ckOff >= 0 {
			s.commit = start
		}
	}
	s.nextID = max(s.nextID, ck.seg+1, 1)
	if s.commit.seg == 0 {
		if len(s.segs) > 0 {
			s.commit = position{seg: s.segs[0].id, off: segHeaderLen}
		} else {
			s.commit = position{seg: s.nextID, off: segHeaderLen}
		}
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		// Only the repairs' durability is at stake; the next commit or
		// segment syncs the directory again.
		s.log.Warn("cannot sync the spool directory at start; continuing", "err", err)
	}
	s.read = s.commit
	// A cap lowered since the last run applies now.
	s.enforceCap(0, false)
	return nil
}

// recoverSegment scans one segment and repairs it. ckOff >= 0 is the
// checkpoint offset in this segment; start is where reading resumes.
func (s *Spool) recoverSegment(id uint64, ckOff int64) (seg *segment, start position, err error) {
	name := segName(id)
	path := filepath.Join(s.dir, name)
	f, err := s.fs.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, start, fmt.Errorf("open spool segment %s: %w", path, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, start, fmt.Errorf("open spool segment %s: %w", path, err)
	}
	sc := newScanner(f, segHeaderLen, size)
	sc.skipCRC = s.mutant == mutNoCRC
	hdr, err := sc.peek(0, segHeaderLen)
	if err != nil {
		return nil, start, fmt.Errorf("read spool segment %s: %w", path, err)
	}
	hid, herr := parseSegHeader(hdr)
	if errors.Is(herr, errSegVersion) || (herr == nil && hid != id) {
		// Not ours to interpret (written by another version, or renamed by
		// hand): keep it whole for the operator.
		s.log.Error("spool segment has an unknown format; moved aside", "segment", path)
		s.stats.CorruptRegions++
		s.stats.CorruptBytes += size
		return nil, start, s.moveAside(name, 0, f, size, true)
	}

	var bad []item
	var records, pads int64
	start = position{seg: id, off: max(ckOff, segHeaderLen)}
	for {
		it, err := sc.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, start, fmt.Errorf("read spool segment %s: %w", path, err)
		}
		switch it.kind {
		case itemRecord:
			if it.off < start.off {
				start.idx++
			}
			records++
		case itemPad:
			pads++
		case itemBad:
			bad = append(bad, it)
			if start.off > it.off && start.off < it.end {
				start.off = it.end
			}
		}
	}
	if herr != nil {
		bad = append([]item{{kind: itemBad, off: 0, end: min(segHeaderLen, size)}}, bad...)
	}
	if len(bad) > 0 && s.mutant == mutNoTailRepair {
		return nil, start, fmt.Errorf("%w: %s at offset %d", ErrCorrupt, path, bad[0].off)
	}
	if herr != nil && records == 0 && pads == 0 {
		// A segment created just before a crash, or nothing but garbage.
		if size > 0 {
			s.countCorrupt(path, 0, size)
		}
		return nil, start, s.moveAside(name, 0, f, size, size > 0)
	}

	end := size
	for _, b := range bad {
		s.countCorrupt(path, b.off, b.end-b.off)
		if err := s.saveBad(name, f, b.off, b.end); err != nil {
			if s.mutant == mutCopyRequired {
				return nil, start, err
			}
			// Keeping a copy is a courtesy to the operator; starting is
			// not optional. A full disk must not stop the agent.
			s.log.Error("damaged spool bytes dropped without a copy", "segment", path, "offset", b.off, "bytes", b.end-b.off, "err", err)
		}
		switch {
		case b.off == 0 && herr != nil:
			_, err = f.WriteAt(appendSegHeader(nil, id), 0)
		case b.end == size:
			err = f.Truncate(b.off)
			end = b.off
		case b.end-b.off >= frameHeaderLen:
			_, err = f.WriteAt(padHeader(b.end-b.off), b.off)
		default:
			// Too short for a padding frame; the reader skips it again
			// on every start, which is harmless.
			s.log.Warn("spool damage too short to pad; it will be skipped on each start", "segment", path, "offset", b.off)
		}
		if err != nil {
			// The reader skips damage it meets, and nothing is ever
			// appended to a recovered segment, so the repair can wait
			// for the next start.
			s.log.Warn("cannot repair spool segment now; damage is skipped when read", "segment", path, "offset", b.off, "err", err)
			if b.end == size {
				end = b.off // a torn tail stays unread either way
			}
		}
	}
	// Always sync: records recovered from the page cache of a killed
	// process are not yet durable, and group commit promises they are
	// after one interval, not after this process happens to write again.
	if err := f.Sync(); err != nil {
		s.stats.WriteErrors++
		s.log.Error("cannot sync recovered spool segment; its records are delivered but a power cut before then could lose them",
			"segment", path, "err", err)
	}
	if start.off > end {
		// The checkpoint points past a truncated tail: everything that is
		// left before it was already delivered.
		start.off = end
	}
	return &segment{id: id, size: end, disk: end, records: records}, start, nil
}

func (s *Spool) countCorrupt(path string, off, n int64) {
	s.stats.CorruptRegions++
	s.stats.CorruptBytes += n
	s.log.Warn("spool segment damaged (torn write or corruption); good records kept, bad bytes moved aside",
		"segment", path, "offset", off, "bytes", n, "kept_in", filepath.Join(s.dir, corruptDir))
}

// saveBad copies [off, end) of a segment to dir/corrupt/<segment>.<off>.bad
// before repair overwrites it.
func (s *Spool) saveBad(name string, f File, off, end int64) error {
	dir := filepath.Join(s.dir, corruptDir)
	if err := s.fs.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keep damaged spool bytes: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s.%d.bad", name, off))
	out, err := s.fs.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("keep damaged spool bytes: %w", err)
	}
	buf := make([]byte, min(end-off, 1<<20))
	for p := off; p < end && err == nil; {
		n := min(int64(len(buf)), end-p)
		var got int
		got, err = f.ReadAt(buf[:n], p)
		if err == nil || (errors.Is(err, io.EOF) && got > 0) {
			_, err = out.Write(buf[:got])
		}
		p += int64(got)
		if got == 0 {
			break
		}
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fs.SyncDir(dir)
	}
	if err != nil {
		_ = s.fs.Remove(path) // a partial copy only takes space
		return fmt.Errorf("keep damaged spool bytes in %s: %w", path, err)
	}
	return nil
}

// moveAside removes a segment that holds no usable record, keeping a copy of
// its bytes when keep is set.
func (s *Spool) moveAside(name string, off int64, f File, size int64, keep bool) error {
	if keep {
		if err := s.saveBad(name, f, off, size); err != nil {
			// Left where it is, outside this run's segment list: the
			// next start tries again to keep it.
			s.log.Error("damaged spool segment left in place; no room to keep a copy", "segment", name, "bytes", size-off, "err", err)
			return nil
		}
	}
	if err := s.fs.Remove(filepath.Join(s.dir, name)); err != nil {
		// Left for the next start; it is not in this run's segment list.
		s.log.Warn("cannot remove damaged spool segment", "segment", name, "err", err)
	}
	return nil
}
