// Package sha256bench measures how fast this CPU computes what Bitcoin mining
// computes: SHA-256d of an 80-byte block header while scanning the nonce, with
// the hash compared against a target. It holds the kernels (portable Go and
// amd64 assembly), the reference they are checked against, and the runner that
// measures them.
package sha256bench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

// HeaderLen is the size of a Bitcoin block header in bytes.
const HeaderLen = 80

// Header is a serialized Bitcoin block header: version, previous block hash,
// merkle root, time, bits and nonce, all little-endian as on the wire.
type Header [HeaderLen]byte

// ParseHeader decodes 160 hex digits into a header.
func ParseHeader(s string) (Header, error) {
	var h Header
	b, err := hex.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("block header is not hex: %w", err)
	}
	if len(b) != HeaderLen {
		return h, fmt.Errorf("block header is %d bytes, want %d", len(b), HeaderLen)
	}
	copy(h[:], b)
	return h, nil
}

// Nonce is the header's nonce field.
func (h *Header) Nonce() uint32 { return binary.LittleEndian.Uint32(h[76:]) }

// SetNonce stores n in the header's nonce field.
func (h *Header) SetNonce(n uint32) { binary.LittleEndian.PutUint32(h[76:], n) }

// Bits is the header's compact target field.
func (h *Header) Bits() uint32 { return binary.LittleEndian.Uint32(h[72:]) }

// Hash is a SHA-256d digest in the byte order SHA-256 produces it. Bitcoin
// reads it as a little-endian 256-bit number: byte 31 is the most significant.
type Hash [32]byte

// String renders the hash the way block explorers do (most significant byte first).
func (h Hash) String() string {
	var r [32]byte
	for i := range h {
		r[31-i] = h[i]
	}
	return hex.EncodeToString(r[:])
}

// Target is a 256-bit number in the same byte order as Hash (little-endian).
type Target [32]byte

// String renders the target most significant byte first.
func (t Target) String() string { return Hash(t).String() }

// DoubleHash is the reference SHA-256d every kernel is checked against.
func DoubleHash(h *Header) Hash {
	first := sha256.Sum256(h[:])
	return sha256.Sum256(first[:])
}

// MeetsTarget reports whether h, read as a little-endian number, is <= t.
func MeetsTarget(h Hash, t Target) bool {
	for i := 31; i >= 0; i-- {
		if h[i] != t[i] {
			return h[i] < t[i]
		}
	}
	return true
}

// TargetFromBits expands the compact "bits" encoding of a header into a target.
// An exponent that does not fit 256 bits saturates to the all-ones target.
func TargetFromBits(compact uint32) Target {
	var t Target
	exp := int(compact >> 24)
	mant := compact & 0x007fffff
	if compact&0x00800000 != 0 {
		return t // negative targets are invalid; nothing meets them
	}
	for i := range 3 {
		pos := exp - 3 + i // byte position of mantissa byte i (little-endian)
		b := byte(mant >> (8 * i))
		if pos >= 32 {
			if b != 0 {
				for j := range t {
					t[j] = 0xff
				}
				return t
			}
			continue
		}
		if pos >= 0 {
			t[pos] = b
		}
	}
	return t
}

// TargetFromDifficultyBits returns a target with the top n bits zero and all
// others one: each additional bit halves the share of hashes that meet it.
func TargetFromDifficultyBits(n int) Target {
	var t Target
	for i := range 256 - min(max(n, 0), 256) {
		t[i/8] |= 1 << (i % 8)
	}
	return t
}

// topWord is the target's most significant 32 bits. A hash can only meet the
// target if its most significant 32 bits (bswap of SHA-256 state word 7) are
// at most this, which is what every kernel filters on.
func (t *Target) topWord() uint32 { return binary.LittleEndian.Uint32(t[28:]) }

func bswap(x uint32) uint32 { return bits.ReverseBytes32(x) }
