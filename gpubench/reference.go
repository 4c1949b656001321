package gpubench

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

// fma32 is IEEE-754 single-precision fused multiply-add (one rounding, to
// nearest even), as fma.rn.f32 computes it. The product of two float32 is
// exact in float64; the sum is computed exactly as s+e (TwoSum) and rounded
// to odd in float64, after which the final rounding to float32 is correct
// (53 >= 24+2 bits). Overflow and subnormals are out of scope: the FMA
// kernel's operands keep the chains near 1.
func fma32(x, a, b float32) float32 {
	p := float64(x) * float64(a)
	c := float64(b)
	s := p + c
	// TwoSum: e is the exact rounding error of s = p + c.
	bv := s - p
	e := (p - (s - bv)) + (c - bv)
	if e != 0 && math.Float64bits(s)&1 == 0 {
		// Round to odd: move s one ulp towards the exact value.
		if (e > 0) == (s > 0) {
			s = math.Float64frombits(math.Float64bits(s) + 1)
		} else {
			s = math.Float64frombits(math.Float64bits(s) - 1)
		}
	}
	return float32(s)
}

// fmaParams are the FMA kernel's scalar inputs. c ~ 1/a and d ~ -b/a undo
// (a, b), so a pair of FMAs leaves x almost where it was; d carries a small
// extra 2^-20 so every pair moves x (otherwise rounding makes the pair an
// exact identity and the output would not depend on the iteration count).
// The drift is at most 2^20 pairs x 2^-20 = 1 at the largest scale.
type fmaParams struct {
	a, b, c, d, seed, step float32
}

func defaultFMAParams() fmaParams {
	a := float32(1.0001221)
	b := float32(0.3183099)
	c := float32(1 / float64(a))
	d := float32(-float64(b)/float64(a) + 1.0/(1<<20))
	return fmaParams{a: a, b: b, c: c, d: d, seed: 1.0625, step: 0.0078125}
}

// fmaExpected replays one thread of the FMA kernel: every thread computes the
// same chains, so one replay checks every output.
func fmaExpected(p fmaParams, iters uint32) float32 {
	var x [ptxgen.FMAChains]float32
	x[0] = p.seed
	for i := 1; i < len(x); i++ {
		x[i] = x[i-1] + p.step
	}
	for it := uint32(0); it < iters; it++ {
		for u := 0; u < ptxgen.FMAPairsPerIt; u++ {
			for i := range x {
				x[i] = fma32(x[i], p.a, p.b)
			}
			for i := range x {
				x[i] = fma32(x[i], p.c, p.d)
			}
		}
	}
	sum := x[0]
	for i := 1; i < len(x); i++ {
		sum += x[i]
	}
	return sum
}

// fmaFlops is the floating-point work of one FMA launch: every FMA counts
// as two operations, as datasheets count them.
func fmaFlops(threads uint64, iters uint32) float64 {
	return float64(threads) * float64(iters) * ptxgen.FMAChains * ptxgen.FMAPairsPerIt * 2 * 2
}

// sha256Block runs the SHA-256 compression function on one 64-byte block.
func sha256Block(state [8]uint32, block []byte) [8]uint32 {
	var w [64]uint32
	for i := 0; i < 16; i++ {
		w[i] = binary.BigEndian.Uint32(block[4*i:])
	}
	for t := 16; t < 64; t++ {
		w[t] = sigma1(w[t-2]) + w[t-7] + sigma0(w[t-15]) + w[t-16]
	}
	s := shaRounds(state, w[:], 0, 64)
	for i := range s {
		s[i] += state[i]
	}
	return s
}

func shaRounds(s [8]uint32, w []uint32, from, to int) [8]uint32 {
	a, b, c, d, e, f, g, h := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
	for t := from; t < to; t++ {
		t1 := h + (bits.RotateLeft32(e, -6) ^ bits.RotateLeft32(e, -11) ^ bits.RotateLeft32(e, -25)) +
			((e & f) ^ (^e & g)) + ptxgen.K[t] + w[t]
		t2 := (bits.RotateLeft32(a, -2) ^ bits.RotateLeft32(a, -13) ^ bits.RotateLeft32(a, -22)) +
			((a & b) ^ (a & c) ^ (b & c))
		h, g, f, e, d, c, b, a = g, f, e, d+t1, c, b, a, t1+t2
	}
	return [8]uint32{a, b, c, d, e, f, g, h}
}

func sigma0(x uint32) uint32 {
	return bits.RotateLeft32(x, -7) ^ bits.RotateLeft32(x, -18) ^ (x >> 3)
}

func sigma1(x uint32) uint32 {
	return bits.RotateLeft32(x, -17) ^ bits.RotateLeft32(x, -19) ^ (x >> 10)
}

// shaJob is the 19-word input of the SHA-256d kernel for one 80-byte header:
// the midstate, the second block's state after the rounds that see no nonce,
// and that block's first three words.
func shaJob(header *[80]byte) [ptxgen.SHAJobWords]uint32 {
	var job [ptxgen.SHAJobWords]uint32
	mid := sha256Block(ptxgen.IV, header[:64])
	var w [16]uint32
	for i := 0; i < 3; i++ {
		w[i] = binary.BigEndian.Uint32(header[64+4*i:])
	}
	s3 := shaRounds(mid, w[:], 0, ptxgen.PrecomputedRounds)
	copy(job[0:8], mid[:])
	copy(job[8:16], s3[:])
	copy(job[16:19], w[:3])
	return job
}
