package sha256bench

import (
	"encoding/binary"
	"math/bits"
)

// The per-job table shared by every kernel: everything that does not depend
// on the nonce, computed once per job. The assembly generator in _asm mirrors
// these indices; the kernel tests catch any drift because a wrong constant
// gives wrong hashes.
const (
	tabB2K     = 0   // [64] block 2 (first hash): K[t] + W[t] when W[t] is nonce-independent, else K[t]
	tabB2C     = 64  // [64] block 2: nonce-independent part of a nonce-dependent schedule word
	tabH2K     = 128 // [64] second hash: as tabB2K
	tabH2C     = 192 // [64] second hash: as tabB2C
	tabB2State = 256 // [8] block 2 state after round 3, less W3 in a and e
	tabMid     = 264 // [8] midstate, added to block 2's final state
	tabH2State = 272 // [8] second hash state after round 0, less W0 in a and e
	tabIV7     = 280 // IV word 7, added to e after round 60 to give H7
	tabTop     = 281 // target top word: candidate iff bswap(H7) <= this

	// The SHA-NI kernel keeps state as ABEF and CDGH (dword 0 first: F,E,B,A
	// and H,G,D,C) and message words four to a register.
	tabShaB2    = 288 // [8] block 2 state after round 3 less W3, ABEF then CDGH
	tabShaB2Msg = 296 // [16] block 2 words 0..15 with W3 = 0
	tabShaMid   = 312 // [8] midstate, ABEF then CDGH
	tabShaIV    = 320 // [8] IV, ABEF then CDGH
	tabShaH2Msg = 328 // [8] second hash words 8..15
	tabShaP5    = 336 // [4] block 2: W4..7 + sigma0(W5..8) + W13..16, all known
	tabShaC7    = 340 // [4] block 2: W12..15 + sigma0(W13..16), all known
	tabLen      = 344
)

// shaLayout puts a state in SHA-NI's ABEF, CDGH order.
func shaLayout(dst []uint32, s *[8]uint32) {
	copy(dst, []uint32{s[5], s[4], s[1], s[0], s[7], s[6], s[3], s[2]})
}

var k256 = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

var iv = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

func bigSigma0(x uint32) uint32 {
	return bits.RotateLeft32(x, -2) ^ bits.RotateLeft32(x, -13) ^ bits.RotateLeft32(x, -22)
}
func bigSigma1(x uint32) uint32 {
	return bits.RotateLeft32(x, -6) ^ bits.RotateLeft32(x, -11) ^ bits.RotateLeft32(x, -25)
}
func sigma0(x uint32) uint32    { return bits.RotateLeft32(x, -7) ^ bits.RotateLeft32(x, -18) ^ x>>3 }
func sigma1(x uint32) uint32    { return bits.RotateLeft32(x, -17) ^ bits.RotateLeft32(x, -19) ^ x>>10 }
func ch(e, f, g uint32) uint32  { return (e & f) ^ (^e & g) }
func maj(a, b, c uint32) uint32 { return (a & b) ^ (a & c) ^ (b & c) }

// wordKind says what the kernels know about a message word before the nonce.
type wordKind uint8

const (
	wordVar   wordKind = iota // depends on the nonce
	wordConst                 // known per job
	wordZero                  // zero in every job (padding)
)

// schedule describes one compression's message words and which of them vary.
type schedule struct {
	kind [64]wordKind
	w    [64]uint32 // value of every wordConst/wordZero word
	c    [64]uint32 // for wordVar words t >= 16: sum of the terms that are known
}

// newSchedule classifies words 16..63 from the first 16: a word is known when
// all four of its terms are. w must hold the known words 0..15.
func newSchedule(kind [16]wordKind, w [16]uint32) schedule {
	var s schedule
	copy(s.kind[:16], kind[:])
	copy(s.w[:16], w[:])
	for t := 16; t < 64; t++ {
		terms := [4]struct {
			src int
			f   func(uint32) uint32
		}{{t - 2, sigma1}, {t - 7, nil}, {t - 15, sigma0}, {t - 16, nil}}
		known, allZero := true, true
		var sum uint32
		for _, tm := range terms {
			switch s.kind[tm.src] {
			case wordVar:
				known = false
			case wordConst:
				allZero = false
				v := s.w[tm.src]
				if tm.f != nil {
					v = tm.f(v)
				}
				sum += v
			}
		}
		switch {
		case known && allZero:
			s.kind[t] = wordZero
		case known:
			s.kind[t] = wordConst
			s.w[t] = sum
		default:
			s.kind[t] = wordVar
			s.c[t] = sum
		}
	}
	return s
}

// Block 2 of the header: merkle tail, time, bits; nonce; then padding for 640 bits.
var block2Kinds = [16]wordKind{wordConst, wordConst, wordConst, wordVar, wordConst,
	wordZero, wordZero, wordZero, wordZero, wordZero, wordZero, wordZero, wordZero, wordZero, wordZero, wordConst}

// The second hash: 8 words of the first digest, then padding for 256 bits.
var hash2Kinds = [16]wordKind{wordVar, wordVar, wordVar, wordVar, wordVar, wordVar, wordVar, wordVar,
	wordConst, wordZero, wordZero, wordZero, wordZero, wordZero, wordZero, wordConst}

// work is one job prepared for the kernels; each worker owns its own copy.
type work struct {
	tab     [tabLen]uint32
	scratch [64 * 16]uint32 // message schedule for kernels that keep it in memory
	mid     [8]uint32
	b2w     [64]uint32 // block 2 words known per job (the generic kernel's copy)
	stdlib  *stdlibScanner
}

// newWork precomputes everything a kernel needs for header h (its nonce is
// ignored) and target t.
func newWork(h *Header, t Target) *work {
	wk := &work{}
	wk.mid = iv
	var blk [16]uint32
	for i := range blk {
		blk[i] = binary.BigEndian.Uint32(h[4*i:])
	}
	compress(&wk.mid, &blk)

	var w2 [16]uint32
	for i := range 3 {
		w2[i] = binary.BigEndian.Uint32(h[64+4*i:])
	}
	w2[4], w2[15] = 0x80000000, 640
	b2 := newSchedule(block2Kinds, w2)
	copy(wk.b2w[:], b2.w[:18])
	fillK(wk.tab[tabB2K:tabB2K+64], wk.tab[tabB2C:tabB2C+64], &b2)

	var w3 [16]uint32
	w3[8], w3[15] = 0x80000000, 256
	h2 := newSchedule(hash2Kinds, w3)
	fillK(wk.tab[tabH2K:tabH2K+64], wk.tab[tabH2C:tabH2C+64], &h2)

	// Block 2 rounds 0..2 use only known words; round 3 adds W3 (the nonce)
	// to T1 alone, so a and e after it are a constant plus W3.
	s := wk.mid
	for r := range 3 {
		s = round(s, k256[r]+w2[r])
	}
	t1 := s[7] + bigSigma1(s[4]) + ch(s[4], s[5], s[6]) + k256[3]
	t2 := bigSigma0(s[0]) + maj(s[0], s[1], s[2])
	copy(wk.tab[tabB2State:], []uint32{t1 + t2, s[0], s[1], s[2], s[3] + t1, s[4], s[5], s[6]})
	copy(wk.tab[tabMid:], wk.mid[:])

	// The second hash starts from the IV: round 0 is a constant plus W0.
	s = iv
	t1 = s[7] + bigSigma1(s[4]) + ch(s[4], s[5], s[6]) + k256[0]
	t2 = bigSigma0(s[0]) + maj(s[0], s[1], s[2])
	copy(wk.tab[tabH2State:], []uint32{t1 + t2, s[0], s[1], s[2], s[3] + t1, s[4], s[5], s[6]})
	wk.tab[tabIV7] = iv[7]

	b2s := [8]uint32(wk.tab[tabB2State : tabB2State+8])
	shaLayout(wk.tab[tabShaB2:], &b2s)
	copy(wk.tab[tabShaB2Msg:tabShaB2Msg+16], w2[:])
	shaLayout(wk.tab[tabShaMid:], &wk.mid)
	shaLayout(wk.tab[tabShaIV:], &iv)
	copy(wk.tab[tabShaH2Msg:tabShaH2Msg+8], w3[8:])
	for i := range 4 {
		wk.tab[tabShaP5+i] = b2.w[4+i] + sigma0(b2.w[5+i]) + b2.w[13+i]
		wk.tab[tabShaC7+i] = b2.w[12+i] + sigma0(b2.w[13+i])
	}
	wk.tab[tabTop] = t.topWord()
	wk.stdlib = newStdlibScanner(h)
	return wk
}

func fillK(k, c []uint32, s *schedule) {
	for t := range 64 {
		k[t] = k256[t]
		if s.kind[t] != wordVar {
			k[t] += s.w[t]
		}
		c[t] = s.c[t]
	}
}

func round(s [8]uint32, kw uint32) [8]uint32 {
	t1 := s[7] + bigSigma1(s[4]) + ch(s[4], s[5], s[6]) + kw
	t2 := bigSigma0(s[0]) + maj(s[0], s[1], s[2])
	return [8]uint32{t1 + t2, s[0], s[1], s[2], s[3] + t1, s[4], s[5], s[6]}
}

// compress is plain SHA-256 block compression, used once per job for the midstate.
func compress(h *[8]uint32, blk *[16]uint32) {
	var w [64]uint32
	copy(w[:], blk[:])
	for t := 16; t < 64; t++ {
		w[t] = sigma1(w[t-2]) + w[t-7] + sigma0(w[t-15]) + w[t-16]
	}
	s := *h
	for t := range 64 {
		s = round(s, k256[t]+w[t])
	}
	for i := range h {
		h[i] += s[i]
	}
}
