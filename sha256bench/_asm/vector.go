package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// consts are the read-only vectors every kernel shares.
type consts struct {
	laneOffsets Mem // 0, 1, ..., 15 as uint32
	bswapMask   Mem // VPSHUFB mask that byte-swaps each uint32
}

func newConsts() consts {
	var c consts
	c.laneOffsets = GLOBL("laneOffsets", RODATA|NOPTR)
	for i := range 16 {
		DATA(4*i, U32(i))
	}
	c.bswapMask = GLOBL("bswapMask", RODATA|NOPTR)
	for k := range 64 {
		d, b := (k%16)/4, k%4
		DATA(k, U8(d*4+3-b))
	}
	return c
}

// vecISA is what differs between the AVX-512 and AVX2 kernels; the rounds
// and schedule are written once in terms of it.
type vecISA interface {
	name() string
	lanes() int
	setup(tab, nonce Register) // loads the lane nonces, bswapped, as block 2's W3
	state() [8]VecPhysical
	// bcst loads tab[idx] into every lane of dst; bcstAdd adds it.
	bcst(dst VecPhysical, idx int)
	bcstAdd(dst VecPhysical, idx int)
	add(src Op, dst VecPhysical) // dst += src
	bigSigma(dst, x VecPhysical, r1, r2, r3 int)
	smallSigma(dst, x VecPhysical, r1, r2, s int)
	ch(dst, e, f, g VecPhysical)
	majStart(b, c VecPhysical)                // called before the first round of a compression
	maj(dst, a, b, c VecPhysical) VecPhysical // returns where it put the result
	temps() (t0, t1 VecPhysical)
	// Message words: w(t) is an operand holding word t; wReg the same in a
	// register (may load it into spare); newW says where to build word t
	// and storeW publishes it once built.
	w(t int) Op
	wReg(t int, spare VecPhysical) VecPhysical
	newW(t int) VecPhysical
	storeW(t int, v VecPhysical)
	sigmaSpare() (VecPhysical, VecPhysical) // dst and load registers for schedule sigmas
	mov(src Op, dst VecPhysical)
	finish(e VecPhysical, mask Register) // H7 = e + IV7; the lanes' candidate bits into mask (32-bit)
}

func genVector(isa vecISA) {
	name := isa.name() + "Scan"
	TEXT(name, NOSPLIT, "func(tab *uint32, nonce uint32, batches uint32) uint64")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s hashes batches of %d nonces from nonce and stops after the first batch with a", name, isa.lanes()),
		"candidate. It returns batches done << 32 | that batch's lane mask of candidates.")
	tab := Load(Param("tab"), GP64())
	nonce := Load(Param("nonce"), GP32())
	batches := Load(Param("batches"), GP32())
	done, mask := GP64(), GP64()
	XORQ(done, done)
	XORQ(mask, mask)
	TESTL(batches, batches)
	JZ(LabelRef(name + "out"))

	Label(name + "loop")
	isa.setup(tab, nonce)

	s := isa.state()
	Comment("Block 2: state after round 3 is the table's plus W3 in a and e.")
	for i := range 8 {
		isa.bcst(s[i], tabB2State+i)
	}
	isa.add(isa.w(3), s[0])
	isa.add(isa.w(3), s[4])
	s = rounds(isa, &block2Plan, tabB2K, tabB2C, s, 4, 64)

	Comment("Feed-forward: the first digest becomes the second hash's W0..W7.")
	for i := range 8 {
		isa.bcstAdd(s[i], tabMid+i)
		isa.storeW(i, s[i])
	}
	s = isa.state()
	for i := range 8 {
		isa.bcst(s[i], tabH2State+i)
	}
	isa.add(isa.w(0), s[0])
	isa.add(isa.w(0), s[4])
	// Round 60 is the last one H7 depends on (h after round 63 is e after 60).
	s = rounds(isa, &hash2Plan, tabH2K, tabH2C, s, 1, 61)
	isa.finish(s[4], mask.As32())
	INCQ(done)
	ADDL(U8(isa.lanes()), nonce)
	TESTQ(mask, mask)
	JNZ(LabelRef(name + "out"))
	DECL(batches)
	JNZ(LabelRef(name + "loop"))

	Label(name + "out")
	VZEROUPPER()
	SHLQ(U8(32), done)
	ORQ(mask, done)
	Store(done, ReturnIndex(0))
	RET()
}

// rounds emits rounds [from, to) and returns the state registers renamed so
// that s[0] is a. The final round of the second hash only needs its e.
func rounds(isa vecISA, p *plan, kTab, cTab int, s [8]VecPhysical, from, to int) [8]VecPhysical {
	isa.majStart(s[1], s[2])
	t0, t1 := isa.temps()
	for t := from; t < to; t++ {
		a, b, c, d, e, f, g, h := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
		var wt Op
		if p.kind[t] == wordVar {
			if t >= 16 {
				wt = schedule(isa, p, cTab, t)
			} else {
				wt = isa.w(t)
			}
		}
		Commentf("round %d", t)
		isa.bcstAdd(h, kTab+t)
		if wt != nil {
			isa.add(wt, h)
		}
		isa.bigSigma(t0, e, 6, 11, 25)
		isa.add(t0, h)
		isa.ch(t0, e, f, g)
		isa.add(t0, h)
		isa.add(h, d) // d becomes e
		if kTab == tabH2K && t == 60 {
			return [8]VecPhysical{h, a, b, c, d, e, f, g}
		}
		// Round 60 reads d = a after round 56; a from rounds 57..59 is never used.
		if kTab == tabH2K && t > 56 {
			s = [8]VecPhysical{h, a, b, c, d, e, f, g}
			continue
		}
		isa.bigSigma(t0, a, 2, 13, 22)
		m := isa.maj(t1, a, b, c)
		isa.add(t0, h)
		isa.add(m, h) // h becomes a
		s = [8]VecPhysical{h, a, b, c, d, e, f, g}
	}
	return s
}

// schedule builds W[t] from its nonce-dependent terms plus the table's sum of
// the known ones, and returns the register holding it.
func schedule(isa vecISA, p *plan, cTab, t int) VecPhysical {
	dst := isa.newW(t)
	sdst, sload := isa.sigmaSpare()
	have := false
	put := func(v Op) {
		if have {
			isa.add(v, dst)
		} else {
			isa.mov(v, dst)
			have = true
		}
	}
	Commentf("W%d", t)
	for _, tm := range [4]term{{t - 16, 0}, {t - 7, 0}, {t - 15, 1}, {t - 2, 2}} {
		if p.kind[tm.src] != wordVar {
			continue
		}
		switch tm.fn {
		case 0:
			if tm.src == t-16 && isa.w(tm.src) == Op(dst) {
				have = true // the ring slot already holds W[t-16]
				continue
			}
			put(isa.w(tm.src))
		case 1, 2:
			x := isa.wReg(tm.src, sload)
			out := sdst
			if !have {
				out = dst
			}
			if tm.fn == 1 {
				isa.smallSigma(out, x, 7, 18, 3)
			} else {
				isa.smallSigma(out, x, 17, 19, 10)
			}
			if have {
				isa.add(out, dst)
			}
			have = true
		}
	}
	if p.hasConst[t] {
		isa.bcstAdd(dst, cTab+t)
	}
	isa.storeW(t, dst)
	return dst
}
