package spool

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// On-disk format, little endian.
//
// Segment header (20 bytes):
//
//	magic "PWSP" | version u8 | 3 zero bytes | segment id u64 | crc32c(previous 16 bytes)
//
// Record frame (12-byte header + payload):
//
//	word0 u32: payload length; the top bit marks a padding frame instead
//	word1 u32: crc32c(payload)
//	word2 u32: crc32c(word0 | word1)
//
// The header checksum lets recovery find the next frame after a damaged one
// by testing every offset cheaply, without trusting a corrupt length.
// A padding frame (word0 = padFlag | total length, word1 = 0) is written over
// a damaged region during repair so that offsets, and with them the
// checkpoint, stay valid while the bad bytes are never read again.
const (
	segMagic       = "PWSP"
	segVersion     = 1
	segHeaderLen   = 20
	frameHeaderLen = 12
	padFlag        = 1 << 31
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

func appendSegHeader(dst []byte, id uint64) []byte {
	start := len(dst)
	dst = append(dst, segMagic...)
	dst = append(dst, segVersion, 0, 0, 0)
	dst = binary.LittleEndian.AppendUint64(dst, id)
	return binary.LittleEndian.AppendUint32(dst, crc(dst[start:]))
}

var (
	errSegHeader  = errors.New("segment header is damaged")
	errSegVersion = errors.New("segment has an unsupported format version")
)

// parseSegHeader returns the id stored in a segment header.
func parseSegHeader(b []byte) (uint64, error) {
	if len(b) < segHeaderLen || string(b[:4]) != segMagic ||
		binary.LittleEndian.Uint32(b[16:20]) != crc(b[:16]) {
		return 0, errSegHeader
	}
	if b[4] != segVersion {
		return 0, errSegVersion
	}
	return binary.LittleEndian.Uint64(b[8:16]), nil
}

func appendFrame(dst, payload []byte) []byte {
	var h [frameHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], crc(payload))
	binary.LittleEndian.PutUint32(h[8:], crc(h[:8]))
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

func padHeader(total int64) []byte {
	var h [frameHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:], padFlag|uint32(total))
	binary.LittleEndian.PutUint32(h[8:], crc(h[:8]))
	return h[:]
}

type itemKind int

const (
	itemRecord itemKind = iota
	itemPad
	itemBad // bytes that are no valid frame: [off, end)
)

type item struct {
	kind     itemKind
	off, end int64
	payload  []byte // valid until the next call to next
}

// scanner walks the frames of one segment between off and end, reading
// through a window so that neither recovery nor replay holds a whole
// segment in memory.
type scanner struct {
	r        io.ReaderAt
	off, end int64
	buf      []byte
	bufOff   int64
	skipCRC  bool // mutNoCRC
	window   int
}

func newScanner(r io.ReaderAt, off, end int64) *scanner {
	return &scanner{r: r, off: off, end: end, window: 64 << 10, bufOff: -1}
}

// peek returns n bytes at off, or nil if they are not all below end.
func (s *scanner) peek(off int64, n int) ([]byte, error) {
	if off < 0 || off+int64(n) > s.end {
		return nil, nil
	}
	if s.bufOff >= 0 && off >= s.bufOff && off+int64(n) <= s.bufOff+int64(len(s.buf)) {
		return s.buf[off-s.bufOff : off-s.bufOff+int64(n)], nil
	}
	want := int(min(int64(max(n, s.window)), s.end-off))
	if cap(s.buf) < want {
		s.buf = make([]byte, want)
	}
	s.buf = s.buf[:want]
	got, err := s.r.ReadAt(s.buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		s.bufOff = -1
		return nil, err
	}
	s.buf, s.bufOff = s.buf[:got], off
	if got < n {
		// The file is shorter than end: a concurrent truncation or a
		// filesystem that lost bytes. Treat it as the end of data.
		s.end = off + int64(got)
		return nil, nil
	}
	return s.buf[:n], nil
}

// frameAt reports the frame starting at off, or ok=false if none is valid.
func (s *scanner) frameAt(off int64) (it item, ok bool, err error) {
	h, err := s.peek(off, frameHeaderLen)
	if h == nil || err != nil {
		return item{}, false, err
	}
	if binary.LittleEndian.Uint32(h[8:]) != crc(h[:8]) {
		return item{}, false, nil
	}
	w0, sum := binary.LittleEndian.Uint32(h[0:]), binary.LittleEndian.Uint32(h[4:])
	if w0&padFlag != 0 {
		total := int64(w0 &^ padFlag)
		if total < frameHeaderLen || off+total > s.end {
			return item{}, false, nil
		}
		return item{kind: itemPad, off: off, end: off + total}, true, nil
	}
	n := int64(w0)
	if n > MaxRecordBytes || off+frameHeaderLen+n > s.end {
		return item{}, false, nil
	}
	p, err := s.peek(off+frameHeaderLen, int(n))
	if err != nil || (p == nil && n > 0) {
		return item{}, false, err
	}
	if !s.skipCRC && crc(p) != sum {
		return item{}, false, nil
	}
	return item{kind: itemRecord, off: off, end: off + frameHeaderLen + n, payload: p}, true, nil
}

// next returns the next record, padding frame or damaged region, or io.EOF
// at end. A damaged region runs to the next offset where a whole valid frame
// starts, or to end when there is none (a torn tail).
func (s *scanner) next() (item, error) {
	if s.off >= s.end {
		return item{}, io.EOF
	}
	it, ok, err := s.frameAt(s.off)
	if err != nil {
		return item{}, err
	}
	if ok {
		s.off = it.end
		return it, nil
	}
	bad := item{kind: itemBad, off: s.off, end: s.end}
	for p := s.off + 1; p+frameHeaderLen <= s.end; p++ {
		if _, ok, err := s.frameAt(p); err != nil {
			return item{}, err
		} else if ok {
			bad.end = p
			break
		}
	}
	s.off = bad.end
	return bad, nil
}
