package ptxgen

import (
	"fmt"
	"math/bits"
	"strings"
)

// K is the SHA-256 round-constant table (FIPS 180-4 §4.2.2).
var K = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

// IV is the SHA-256 initial hash value.
var IV = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

// PrecomputedRounds of the header's second block the host runs: they only
// see W0..W2 (merkle-root tail, time, bits), which no nonce changes.
const PrecomputedRounds = 3

// val is a 32-bit value known either at generation time or in a register.
type val struct {
	reg   string
	c     uint32
	konst bool
}

func k(c uint32) val { return val{c: c, konst: true} }

type shaGen struct {
	b *strings.Builder
	n int
}

func (g *shaGen) fresh() val {
	g.n++
	return val{reg: fmt.Sprintf("%%s%d", g.n)}
}

// reg puts a constant into a register for instructions that take no
// immediates; ptxas folds it back where it can.
func (g *shaGen) reg(v val) string {
	if !v.konst {
		return v.reg
	}
	d := g.fresh()
	fmt.Fprintf(g.b, "\tmov.b32 %s, 0x%08x;\n", d.reg, v.c)
	return d.reg
}

func (g *shaGen) add(x, y val) val {
	switch {
	case x.konst && y.konst:
		return k(x.c + y.c)
	case x.konst && x.c == 0:
		return y
	case y.konst && y.c == 0:
		return x
	case x.konst:
		x, y = y, x
	}
	d := g.fresh()
	if y.konst {
		fmt.Fprintf(g.b, "\tadd.u32 %s, %s, 0x%08x;\n", d.reg, x.reg, y.c)
	} else {
		fmt.Fprintf(g.b, "\tadd.u32 %s, %s, %s;\n", d.reg, x.reg, y.reg)
	}
	return d
}

func (g *shaGen) rotr(x val, n int) val {
	if x.konst {
		return k(bits.RotateLeft32(x.c, -n))
	}
	d := g.fresh()
	fmt.Fprintf(g.b, "\tshf.r.wrap.b32 %s, %s, %s, %d;\n", d.reg, x.reg, x.reg, n)
	return d
}

func (g *shaGen) shr(x val, n int) val {
	if x.konst {
		return k(x.c >> n)
	}
	d := g.fresh()
	fmt.Fprintf(g.b, "\tshr.u32 %s, %s, %d;\n", d.reg, x.reg, n)
	return d
}

// lop3 applies a three-input boolean function given by its truth table
// (inputs 0xF0, 0xCC, 0xAA), as the lop3.b32 instruction does.
func (g *shaGen) lop3(x, y, z val, lut uint8) val {
	if x.konst && y.konst && z.konst {
		return k(Lop3(x.c, y.c, z.c, lut))
	}
	d := g.fresh()
	fmt.Fprintf(g.b, "\tlop3.b32 %s, %s, %s, %s, 0x%02x;\n", d.reg, g.reg(x), g.reg(y), g.reg(z), lut)
	return d
}

// Lop3 evaluates a lop3 truth table on host values.
func Lop3(a, b, c uint32, lut uint8) uint32 {
	var r uint32
	for i := 0; i < 8; i++ {
		if lut&(1<<i) == 0 {
			continue
		}
		m := ^uint32(0)
		if i&4 != 0 {
			m &= a
		} else {
			m &= ^a
		}
		if i&2 != 0 {
			m &= b
		} else {
			m &= ^b
		}
		if i&1 != 0 {
			m &= c
		} else {
			m &= ^c
		}
		r |= m
	}
	return r
}

const (
	lutXor3 = 0x96
	lutCh   = 0xca
	lutMaj  = 0xe8
)

func (g *shaGen) xor3(x, y, z val) val { return g.lop3(x, y, z, lutXor3) }

func (g *shaGen) bigSigma0(x val) val { return g.xor3(g.rotr(x, 2), g.rotr(x, 13), g.rotr(x, 22)) }
func (g *shaGen) bigSigma1(x val) val { return g.xor3(g.rotr(x, 6), g.rotr(x, 11), g.rotr(x, 25)) }
func (g *shaGen) sigma0(x val) val    { return g.xor3(g.rotr(x, 7), g.rotr(x, 18), g.shr(x, 3)) }
func (g *shaGen) sigma1(x val) val    { return g.xor3(g.rotr(x, 17), g.rotr(x, 19), g.shr(x, 10)) }

// schedule extends w (16 words) to n words.
func (g *shaGen) schedule(w []val, n int) []val {
	for t := len(w); t < n; t++ {
		w = append(w, g.add(g.add(g.sigma1(w[t-2]), w[t-7]), g.add(g.sigma0(w[t-15]), w[t-16])))
	}
	return w
}

// rounds runs SHA-256 rounds [from, to) on state s.
func (g *shaGen) rounds(s [8]val, w []val, from, to int) [8]val {
	for t := from; t < to; t++ {
		a, b, c, d, e, f, gg, h := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
		t1 := g.add(g.add(h, g.bigSigma1(e)), g.add(g.lop3(e, f, gg, lutCh), g.add(k(K[t]), w[t])))
		t2 := g.add(g.bigSigma0(a), g.lop3(a, b, c, lutMaj))
		s = [8]val{g.add(t1, t2), a, b, c, g.add(d, t1), e, f, gg}
	}
	return s
}

// SHA256d is the Bitcoin nonce-scan kernel. The host passes a 19-word job:
// the midstate after the header's first 64 bytes, the second block's state
// after PrecomputedRounds rounds, and its words W0..W2. Each thread scans
// p_per_thread nonces (p_nonce_base + global id + k*total threads); a nonce is
// a hit when the top 32 bits of the hash, read as Bitcoin does (little-endian
// 256-bit number, so bswap of the last state word), are <= p_target. Only
// rounds 0..60 of the second hash are run: the last word depends on nothing
// later (early reject). Hits go to p_hits[1+i] with p_hits[0] as the count.
func SHA256d() string {
	var b strings.Builder
	b.WriteString(preamble("sm_70"))
	var body strings.Builder
	g := &shaGen{b: &body}

	var mid, s3 [8]val
	var tail [3]val
	for i := range mid {
		mid[i] = g.fresh()
		fmt.Fprintf(&body, "\tld.global.u32 %s, [%%rd1+%d];\n", mid[i].reg, 4*i)
	}
	for i := range s3 {
		s3[i] = g.fresh()
		fmt.Fprintf(&body, "\tld.global.u32 %s, [%%rd1+%d];\n", s3[i].reg, 32+4*i)
	}
	for i := range tail {
		tail[i] = g.fresh()
		fmt.Fprintf(&body, "\tld.global.u32 %s, [%%rd1+%d];\n", tail[i].reg, 64+4*i)
	}
	// Nonce-independent schedule words, hoisted out of the loop by hand.
	w1 := make([]val, 16)
	copy(w1, tail[:])
	w1[4] = k(0x80000000)
	for i := 5; i < 15; i++ {
		w1[i] = k(0)
	}
	w1[15] = k(640)
	w16 := g.add(g.add(g.sigma1(w1[14]), w1[9]), g.add(g.sigma0(w1[1]), w1[0]))
	w17 := g.add(g.add(g.sigma1(w1[15]), w1[10]), g.add(g.sigma0(w1[2]), w1[1]))

	body.WriteString("$L_loop:\n")
	w3 := g.fresh()
	fmt.Fprintf(&body, "\tprmt.b32 %s, %%nonce, %%zero, 0x0123;\n", w3.reg)
	w1[3] = w3
	w := append(w1[:16:16], w16, w17)
	w = g.schedule(w, 64)
	st := g.rounds(s3, w, PrecomputedRounds, 64)
	w2 := make([]val, 16)
	for i := range 8 {
		w2[i] = g.add(st[i], mid[i])
	}
	w2[8] = k(0x80000000)
	for i := 9; i < 15; i++ {
		w2[i] = k(0)
	}
	w2[15] = k(256)
	w2 = g.schedule(w2, 61)
	var iv [8]val
	for i := range iv {
		iv[i] = k(IV[i])
	}
	st2 := g.rounds(iv, w2, 0, 61)
	// After round 60, e becomes the final h once it has shifted through
	// f and g in rounds 61..63.
	h7 := g.add(st2[4], k(IV[7]))
	top := g.fresh()
	fmt.Fprintf(&body, "\tprmt.b32 %s, %s, %%zero, 0x0123;\n", top.reg, g.reg(h7))
	fmt.Fprintf(&body, `	setp.gt.u32 %%p1, %s, %%target;
	@%%p1 bra $L_next;
	atom.global.add.u32 %%idx, [%%rd2], 1;
	setp.ge.u32 %%p2, %%idx, %%maxhits;
	@%%p2 bra $L_next;
	mul.wide.u32 %%rd3, %%idx, 4;
	add.u64 %%rd3, %%rd2, %%rd3;
	st.global.u32 [%%rd3+4], %%nonce;
$L_next:
	add.u32 %%nonce, %%nonce, %%stride;
	add.u32 %%k, %%k, 1;
	setp.lt.u32 %%p1, %%k, %%count;
	@%%p1 bra $L_loop;
$L_done:
	ret;
}
`, top.reg)

	fmt.Fprintf(&b, `.visible .entry %s(
	.param .u64 p_job,
	.param .u64 p_hits,
	.param .u32 p_maxhits,
	.param .u32 p_nonce_base,
	.param .u32 p_per_thread,
	.param .u32 p_target
)
{
	.reg .pred %%p<3>;
	.reg .b32 %%r<5>;
	.reg .b64 %%rd<4>;
	.reg .b32 %%nonce, %%stride, %%k, %%count, %%target, %%maxhits, %%idx, %%zero;
	.reg .b32 %%s<%d>;

	ld.param.u64 %%rd1, [p_job];
	cvta.to.global.u64 %%rd1, %%rd1;
	ld.param.u64 %%rd2, [p_hits];
	cvta.to.global.u64 %%rd2, %%rd2;
	ld.param.u32 %%maxhits, [p_maxhits];
	ld.param.u32 %%nonce, [p_nonce_base];
	ld.param.u32 %%count, [p_per_thread];
	ld.param.u32 %%target, [p_target];
	mov.u32 %%r1, %%ctaid.x;
	mov.u32 %%r2, %%ntid.x;
	mov.u32 %%r3, %%tid.x;
	mov.u32 %%r4, %%nctaid.x;
	mad.lo.u32 %%r1, %%r1, %%r2, %%r3;
	add.u32 %%nonce, %%nonce, %%r1;
	mul.lo.u32 %%stride, %%r4, %%r2;
	mov.u32 %%k, 0;
	mov.b32 %%zero, 0;
	setp.eq.u32 %%p1, %%count, 0;
	@%%p1 bra $L_done;
`, EntrySHA256d, g.n+1)
	b.WriteString(body.String())
	return b.String()
}
