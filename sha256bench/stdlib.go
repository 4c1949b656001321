package sha256bench

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"
)

// stdlibScanner hashes with crypto/sha256 from a saved midstate, so it runs
// on whatever SHA instructions Go's own implementation uses (the ARMv8 SHA2
// extension on arm64, SHA-NI or AVX2 on amd64). It is the portable kernel
// for CPUs this package has no assembly for.
type stdlibScanner struct {
	mid  []byte // marshalled state after the first 64 header bytes
	tail [16]byte
	d    hash.Hash
	buf  [32]byte
}

func newStdlibScanner(h *Header) *stdlibScanner {
	d := sha256.New()
	d.Write(h[:64])
	mid, err := d.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(err) // crypto/sha256 digests always marshal
	}
	s := &stdlibScanner{mid: mid, d: d}
	copy(s.tail[:], h[64:])
	return s
}

func scanStdlib(wk *work, start, count uint32, cands []uint32) []uint32 {
	s := wk.stdlib
	top := wk.tab[tabTop]
	um := s.d.(encoding.BinaryUnmarshaler)
	for i := range count {
		nonce := start + i
		binary.LittleEndian.PutUint32(s.tail[12:], nonce)
		if err := um.UnmarshalBinary(s.mid); err != nil {
			panic(err)
		}
		s.d.Write(s.tail[:])
		first := s.d.Sum(s.buf[:0])
		d := sha256.Sum256(first)
		if binary.LittleEndian.Uint32(d[28:]) <= top {
			cands = append(cands, nonce)
		}
	}
	return cands
}
