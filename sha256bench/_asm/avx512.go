package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avx512 keeps all 16 live message words in registers (Z8..Z23, word t in
// Z8+t%16) and uses VPRORD and VPTERNLOGD: a round is about 19 instructions.
type avx512 struct {
	c   consts
	tab Register
}

func avx512ISA(c consts) *avx512 { return &avx512{c: c} }

func (*avx512) name() string { return "avx512" }
func (*avx512) lanes() int   { return 16 }

var zregs = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
	Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}

func (x *avx512) mem(idx int) Mem { return Mem{Base: x.tab, Disp: 4 * idx} }

func (x *avx512) setup(tab, nonce Register) {
	x.tab = tab
	w3 := x.newW(3)
	VPBROADCASTD(nonce, w3)
	VPADDD(x.c.laneOffsets, w3, w3)
	VPSHUFB(x.c.bswapMask, w3, w3)
}

func (*avx512) state() [8]VecPhysical                  { return [8]VecPhysical(zregs[:8]) }
func (*avx512) temps() (VecPhysical, VecPhysical)      { return Z24, Z25 }
func (*avx512) sigmaSpare() (VecPhysical, VecPhysical) { return Z28, Z29 }

func (x *avx512) bcst(dst VecPhysical, idx int)    { VPBROADCASTD(x.mem(idx), dst) }
func (x *avx512) bcstAdd(dst VecPhysical, idx int) { VPADDD_BCST(x.mem(idx), dst, dst) }
func (*avx512) add(src Op, dst VecPhysical)        { VPADDD(src, dst, dst) }
func (*avx512) mov(src Op, dst VecPhysical)        { VMOVDQA64(src, dst) }

func (*avx512) bigSigma(dst, x VecPhysical, r1, r2, r3 int) {
	VPRORD(U8(r1), x, dst)
	VPRORD(U8(r2), x, Z26)
	VPRORD(U8(r3), x, Z27)
	VPTERNLOGD(U8(0x96), Z27, Z26, dst)
}

func (*avx512) smallSigma(dst, x VecPhysical, r1, r2, s int) {
	VPRORD(U8(r1), x, dst)
	VPRORD(U8(r2), x, Z30)
	VPSRLD(U8(s), x, Z31)
	VPTERNLOGD(U8(0x96), Z31, Z30, dst)
}

// ch: dst = e ? f : g (truth table 0xCA with dst=e, then f, then g). A copy
// plus one ternary op measured faster than XOR plus ternary op: register
// copies are eliminated at rename on the CPUs this was measured on.
func (*avx512) ch(dst, e, f, g VecPhysical) {
	VMOVDQA64(e, dst)
	VPTERNLOGD(U8(0xCA), g, f, dst)
}

func (*avx512) majStart(b, c VecPhysical) {}

func (*avx512) maj(dst, a, b, c VecPhysical) VecPhysical {
	VMOVDQA64(a, dst)
	VPTERNLOGD(U8(0xE8), c, b, dst)
	return dst
}

func (*avx512) w(t int) Op                            { return zregs[8+t%16] }
func (*avx512) wReg(t int, _ VecPhysical) VecPhysical { return zregs[8+t%16] }
func (*avx512) newW(t int) VecPhysical                { return zregs[8+t%16] }
func (*avx512) storeW(t int, v VecPhysical) {
	if w := zregs[8+t%16]; w != v {
		VMOVDQA64(v, w)
	}
}

func (x *avx512) finish(e VecPhysical, mask Register) {
	Comment("H7 = IV7 + e; a candidate when bswap(H7) <= the target's top word.")
	VPADDD_BCST(x.mem(tabIV7), e, e)
	VPSHUFB(x.c.bswapMask, e, e)
	VPCMPUD_BCST(U8(2), x.mem(tabTop), e, K1)
	KMOVW(K1, mask)
}
