package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avx2 has 16 registers and no rotate or ternary-logic instructions: rotates
// are two shifts and an XOR, Maj reuses a^b from the previous round as b^c,
// and message words live in work.scratch (32 bytes per word).
type avx2 struct {
	c      consts
	tab    Register
	bc, ab VecPhysical // Maj's carried b^c and this round's a^b
}

func avx2ISA(c consts) *avx2 { return &avx2{c: c, bc: Y14, ab: Y15} }

func (*avx2) name() string { return "avx2" }
func (*avx2) lanes() int   { return 8 }

func (x *avx2) mem(idx int) Mem { return Mem{Base: x.tab, Disp: 4 * idx} }

func (x *avx2) setup(tab, nonce Register) {
	x.tab = tab
	VMOVD(nonce, X13)
	VPBROADCASTD(X13, Y13)
	VPADDD(x.c.laneOffsets, Y13, Y13)
	VPSHUFB(x.c.bswapMask, Y13, Y13)
	x.storeW(3, Y13)
}

func (*avx2) state() [8]VecPhysical             { return [8]VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7} }
func (*avx2) temps() (VecPhysical, VecPhysical) { return Y8, Y9 }
func (*avx2) sigmaSpare() (VecPhysical, VecPhysical) {
	return Y11, Y12
}

func (x *avx2) bcst(dst VecPhysical, idx int) { VPBROADCASTD(x.mem(idx), dst) }

// bcstAdd borrows Y12: a broadcast load needs no ALU, only a register.
func (x *avx2) bcstAdd(dst VecPhysical, idx int) {
	VPBROADCASTD(x.mem(idx), Y12)
	VPADDD(Y12, dst, dst)
}
func (*avx2) add(src Op, dst VecPhysical) { VPADDD(src, dst, dst) }
func (*avx2) mov(src Op, dst VecPhysical) {
	if IsYMM(src) {
		VMOVDQA(src, dst)
	} else {
		VMOVDQU(src, dst)
	}
}

func (*avx2) ror(dst, x VecPhysical, r int, first bool) {
	if first {
		VPSRLD(U8(r), x, dst)
	} else {
		VPSRLD(U8(r), x, Y10)
		VPXOR(Y10, dst, dst)
	}
	VPSLLD(U8(32-r), x, Y10)
	VPXOR(Y10, dst, dst)
}

func (a *avx2) bigSigma(dst, x VecPhysical, r1, r2, r3 int) {
	a.ror(dst, x, r1, true)
	a.ror(dst, x, r2, false)
	a.ror(dst, x, r3, false)
}

func (a *avx2) smallSigma(dst, x VecPhysical, r1, r2, s int) {
	VPSRLD(U8(s), x, dst)
	a.ror(dst, x, r1, false)
	a.ror(dst, x, r2, false)
}

func (*avx2) ch(dst, e, f, g VecPhysical) {
	VPXOR(f, g, dst)
	VPAND(e, dst, dst)
	VPXOR(g, dst, dst)
}

func (x *avx2) majStart(b, c VecPhysical) { VPXOR(b, c, x.bc) }

// maj = b ^ ((a^b) & (b^c)); next round's b^c is this round's a^b.
func (x *avx2) maj(dst, a, b, c VecPhysical) VecPhysical {
	VPXOR(a, b, x.ab)
	VPAND(x.ab, x.bc, dst)
	VPXOR(b, dst, dst)
	x.ab, x.bc = x.bc, x.ab
	return dst
}

func (x *avx2) wmem(t int) Mem { return Mem{Base: x.tab, Disp: scratchOff + 32*t} }
func (x *avx2) w(t int) Op     { return x.wmem(t) }
func (x *avx2) wReg(t int, spare VecPhysical) VecPhysical {
	VMOVDQU(x.wmem(t), spare)
	return spare
}
func (*avx2) newW(t int) VecPhysical        { return Y13 }
func (x *avx2) storeW(t int, v VecPhysical) { VMOVDQU(v, x.wmem(t)) }

func (x *avx2) finish(e VecPhysical, mask Register) {
	Comment("H7 = IV7 + e; a candidate when bswap(H7) <= the target's top word.")
	x.bcstAdd(e, tabIV7)
	VPSHUFB(x.c.bswapMask, e, e)
	VPBROADCASTD(x.mem(tabTop), Y12)
	VPMINUD(Y12, e, Y11)
	VPCMPEQD(Y11, e, Y11)
	VMOVMSKPS(Y11, mask)
}
