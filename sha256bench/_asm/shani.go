package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func genCPUID() {
	TEXT("cpuid7EBX", NOSPLIT, "func() uint32")
	Doc("cpuid7EBX returns CPUID leaf 7 sub-leaf 0 EBX; golang.org/x/sys/cpu does not expose the SHA bit.")
	MOVL(U32(7), EAX)
	XORL(ECX, ECX)
	CPUID()
	Store(EBX, ReturnIndex(0))
	RET()
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

// stream is one nonce's registers in the SHA-NI kernel: state as ABEF and
// CDGH, the four message registers (words 4g..4g+3 in m[g%4]) and a temporary.
type stream struct {
	abef, cdgh VecPhysical
	m          [4]VecPhysical
	tmp        VecPhysical
}

type shani struct {
	tab              Register
	k                Mem // K as 64 uint32
	maskAE, maskLast Mem
	s                [2]*stream
}

func (x *shani) mem(idx int) Mem { return Mem{Base: x.tab, Disp: 4 * idx} }

// each emits f for both streams, so their independent work interleaves and
// each hides the other's SHA256RNDS2 latency.
func (x *shani) each(f func(s *stream)) {
	for _, s := range x.s {
		f(s)
	}
}

// rnds2 runs two rounds with X0's low two words; the register that held
// CDGH now holds ABEF, so the names swap.
func (s *stream) rnds2() {
	SHA256RNDS2(X0, s.abef, s.cdgh)
	s.abef, s.cdgh = s.cdgh, s.abef
}

// quadMsg runs rounds 4g..4g+3 from message register m[g%4] plus K.
func (x *shani) quadMsg(s *stream, g int, only2 bool) {
	MOVO(s.m[g%4], X0)
	PADDD(x.k.Offset(16*g), X0)
	s.rnds2()
	if only2 {
		return
	}
	PSHUFD(U8(0x0e), X0, X0)
	s.rnds2()
}

// quadConst runs rounds 4g..4g+3 whose K+W the table already holds.
func (x *shani) quadConst(s *stream, kTab, g int) {
	MOVQ(x.mem(kTab+4*g), X0)
	s.rnds2()
	MOVQ(x.mem(kTab+4*g+2), X0)
	s.rnds2()
}

// schedule computes words 4g..4g+3 into m[g%4] (which held 4g-16..4g-13).
// Where the job's padding makes a step constant or zero it is skipped or
// loaded from the table (see work.go's tabShaP5 and tabShaC7).
func (x *shani) schedule4(s *stream, h2 bool, g int) {
	m := func(i int) VecPhysical { return s.m[(g+i)%4] } // m(0) is words 4g-16..
	switch {
	case g == 4:
		// Words 9..12 are zero in both blocks: no W[t-7] term.
		SHA256MSG1(m(1), m(0))
		SHA256MSG2(m(3), m(0))
		return
	case !h2 && g == 5:
		// Block 2's words 4..16 are all known: only MSG2 depends on the nonce.
		MOVOU(x.mem(tabShaP5), m(0))
		SHA256MSG2(m(3), m(0))
		return
	case !h2 && g == 6:
		// Words 8..12 are zero: MSG1 gives zero.
		MOVO(m(3), m(0))
		PALIGNR(U8(4), m(2), m(0))
		SHA256MSG2(m(3), m(0))
		return
	case !h2 && g == 7:
		MOVOU(x.mem(tabShaC7), m(0)) // MSG1 of known words 12..16
	case h2 && g == 6:
		// Words 8..12 are 0x80000000 and zeros: MSG1 leaves them as they are.
	default:
		SHA256MSG1(m(1), m(0))
	}
	MOVO(m(3), s.tmp)
	PALIGNR(U8(4), m(2), s.tmp)
	PADDD(s.tmp, m(0))
	SHA256MSG2(m(3), m(0))
}

func genSHANI(c consts) {
	genCPUID()
	x := &shani{}
	x.k = GLOBL("k256", RODATA|NOPTR)
	for i, v := range k256 {
		DATA(4*i, U32(v))
	}
	// Byte-swapped nonce into dwords 1 and 3 (E and A of ABEF) or dword 3 (W3).
	x.maskAE = GLOBL("shaniMaskAE", RODATA|NOPTR)
	for i := range 16 {
		ae := 0x80
		if i >= 4 && i < 8 || i >= 12 {
			ae = 3 - i%4
		}
		DATA(i, U8(ae))
	}
	x.maskLast = GLOBL("shaniMaskW3", RODATA|NOPTR)
	for i := range 16 {
		last := 0x80
		if i >= 12 {
			last = 3 - i%4
		}
		DATA(i, U8(last))
	}

	TEXT("shaniScan", NOSPLIT, "func(tab *uint32, nonce uint32, pairs uint32) uint64")
	Pragma("noescape")
	Doc("shaniScan hashes nonce, nonce+1, ... two at a time for up to pairs pairs and stops after",
		"the first pair with a candidate. It returns pairs done << 32 | the pair's candidate bits.")
	x.tab = Load(Param("tab"), GP64())
	nonce := Load(Param("nonce"), GP32())
	pairs := Load(Param("pairs"), GP32())
	done := GP64()
	XORQ(done, done)
	mask := GP64()
	XORQ(mask, mask)
	TESTL(pairs, pairs)
	JZ(LabelRef("out"))

	Label("loop")
	x.s = [2]*stream{
		{X1, X2, [4]VecPhysical{X3, X4, X5, X6}, X7},
		{X8, X9, [4]VecPhysical{X10, X11, X12, X13}, X14},
	}
	Comment("Block 2 starts after round 3: ABEF gets W3 in A and E, W3 goes into message word 3.")
	n := GP32()
	MOVL(nonce, n)
	for _, s := range x.s {
		MOVD(n, X15)
		MOVOU(x.mem(tabShaB2), s.abef)
		MOVOU(x.mem(tabShaB2+4), s.cdgh)
		MOVOU(x.mem(tabShaB2Msg), s.m[0])
		MOVO(X15, s.tmp)
		PSHUFB(x.maskAE, s.tmp)
		PADDD(s.tmp, s.abef)
		PSHUFB(x.maskLast, X15)
		PADDD(X15, s.m[0])
		// Words 8..11 (zero) are never read: see schedule4.
		MOVOU(x.mem(tabShaB2Msg+4), s.m[1])
		MOVOU(x.mem(tabShaB2Msg+12), s.m[3])
		INCL(n)
	}
	for g := 1; g < 4; g++ {
		x.each(func(s *stream) { x.quadConst(s, tabB2K, g) })
	}
	for g := 4; g < 16; g++ {
		x.each(func(s *stream) { x.schedule4(s, false, g) })
		x.each(func(s *stream) { x.quadMsg(s, g, false) })
	}

	Comment("Feed-forward, then the digest as the second hash's words 0..7.")
	x.each(func(s *stream) {
		MOVOU(x.mem(tabShaMid), s.tmp)
		PADDD(s.tmp, s.abef)
		MOVOU(x.mem(tabShaMid+4), s.tmp)
		PADDD(s.tmp, s.cdgh)
		PSHUFD(U8(0x1b), s.abef, s.m[0]) // A,B,E,F
		PSHUFD(U8(0x1b), s.cdgh, s.tmp)  // C,D,G,H
		MOVO(s.m[0], s.m[1])
		PUNPCKLQDQ(s.tmp, s.m[0]) // A,B,C,D
		PUNPCKHQDQ(s.tmp, s.m[1]) // E,F,G,H
		MOVOU(x.mem(tabShaIV), s.abef)
		MOVOU(x.mem(tabShaIV+4), s.cdgh)
		MOVOU(x.mem(tabShaH2Msg), s.m[2])
		MOVOU(x.mem(tabShaH2Msg+4), s.m[3])
	})
	for g := 0; g < 2; g++ {
		x.each(func(s *stream) { x.quadMsg(s, g, false) })
	}
	for g := 2; g < 4; g++ {
		x.each(func(s *stream) { x.quadConst(s, tabH2K, g) })
	}
	for g := 4; g < 16; g++ {
		x.each(func(s *stream) { x.schedule4(s, true, g) })
		// Rounds 62 and 63 cannot change H7: stop after 60 and 61.
		x.each(func(s *stream) { x.quadMsg(s, g, g == 15) })
	}

	Comment("F of ABEF is e after round 60, which is H7 less IV7.")
	for i, s := range x.s {
		h := GP32()
		MOVD(s.abef, h)
		ADDL(x.mem(tabIV7), h)
		BSWAPL(h)
		CMPL(h, x.mem(tabTop))
		skip := "nohit" + string(rune('a'+i))
		JHI(LabelRef(skip))
		ORQ(U8(1<<i), mask)
		Label(skip)
	}
	INCQ(done)
	ADDL(U8(2), nonce)
	TESTQ(mask, mask)
	JNZ(LabelRef("out"))
	DECL(pairs)
	JNZ(LabelRef("loop"))

	Label("out")
	SHLQ(U8(32), done)
	ORQ(mask, done)
	Store(done, ReturnIndex(0))
	RET()
}
