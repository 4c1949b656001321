package gpubench

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

// poisonF32 is a NaN no kernel writes, so a missed store cannot pass.
const poisonF32 = 0x7fbadbad

// fmaWork measures FP32 FMA throughput.
type fmaWork struct {
	p           fmaParams
	fn          cuFunction
	grid, block dim3
	out         devicePtr
	bufs        buffers
	threads     uint64
}

func (w *fmaWork) name() string         { return KernelFP32FMA }
func (w *fmaWork) unit() string         { return UnitFlops }
func (w *fmaWork) module() *ptxModule   { return &modFMA }
func (w *fmaWork) initialScale() uint32 { return 64 }

// maxScale keeps the host's replay of one thread (256 FMAs per iteration)
// under about a second.
func (w *fmaWork) maxScale() uint32 { return 1 << 17 }
func (w *fmaWork) note() string {
	return "FMA counted as 2 FLOPs; 16 independent chains per thread"
}

func (w *fmaWork) setup(d driver, dev Device, fns map[string]cuFunction) error {
	w.p = defaultFMAParams()
	w.fn = fns[ptxgen.EntryFMA]
	var err error
	if w.grid, w.block, err = launchShape(d, dev, w.fn, 256); err != nil {
		return err
	}
	w.threads = uint64(w.grid.x) * uint64(w.block.x)
	w.out, err = w.bufs.alloc(d, w.threads*4)
	return err
}

func (w *fmaWork) step(d driver, iters uint32) (float64, error) {
	err := d.launch(w.fn, w.grid, w.block, argPtr(w.out), argU32(iters),
		argF32(w.p.a), argF32(w.p.b), argF32(w.p.c), argF32(w.p.d), argF32(w.p.seed), argF32(w.p.step))
	return fmaFlops(w.threads, iters), err
}

func (w *fmaWork) arm(d driver) error { return d.memsetD32(w.out, poisonF32, w.threads) }

func (w *fmaWork) verify(d driver, iters uint32) error {
	got := make([]byte, w.threads*4)
	if err := d.memcpyDtoH(got, w.out); err != nil {
		return err
	}
	want := math.Float32bits(fmaExpected(w.p, iters))
	bad, first := 0, -1
	for i := 0; i < int(w.threads); i++ {
		if le32(got, i) != want {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	if bad > 0 {
		return verifyErr("fp32_fma: %d of %d threads wrong (thread %d: got %g, want %g)", bad, w.threads,
			first, math.Float32frombits(le32(got, first)), math.Float32frombits(want))
	}
	return nil
}

func (w *fmaWork) teardown(d driver) { _ = w.bufs.free(d) }

func argF32(f float32) kernelArg { return kernelArg{4, uint64(math.Float32bits(f))} }

// mmaWork measures dense tensor-core throughput with mma.sync m16n8k16.
type mmaWork struct {
	kernel, entry string
	bf16          bool
	seed          uint64

	fn          cuFunction
	grid, block dim3
	ops, out    devicePtr
	bufs        buffers
	threads     uint64
	want        [32][ptxgen.MMAOutPerLane]float32
}

func (w *mmaWork) name() string         { return w.kernel }
func (w *mmaWork) unit() string         { return UnitFlops }
func (w *mmaWork) module() *ptxModule   { return &modMMA }
func (w *mmaWork) initialScale() uint32 { return 16 }
func (w *mmaWork) maxScale() uint32     { return 1 << 22 }
func (w *mmaWork) note() string {
	return "dense m16n8k16 mma.sync, FP32 accumulate; 2*16*8*16 FLOPs per warp-level mma"
}

// mmaFlopsPerWarpStep is the work of one loop iteration of one warp.
const mmaFlopsPerWarpStep = 2 * ptxgen.MMAAccums * (2 * 16 * 8 * 16)

func (w *mmaWork) setup(d driver, dev Device, fns map[string]cuFunction) error {
	w.fn = fns[w.entry]
	var err error
	if w.grid, w.block, err = launchShape(d, dev, w.fn, 128); err != nil {
		return err
	}
	w.threads = uint64(w.grid.x) * uint64(w.block.x)
	frag, want := mmaOperands(w.bf16, w.seed)
	w.want = want
	if w.ops, err = w.bufs.alloc(d, uint64(len(frag))); err != nil {
		return err
	}
	if w.out, err = w.bufs.alloc(d, w.threads*ptxgen.MMAOutPerLane*4); err != nil {
		return err
	}
	return d.memcpyHtoD(w.ops, frag)
}

func (w *mmaWork) step(d driver, iters uint32) (float64, error) {
	err := d.launch(w.fn, w.grid, w.block, argPtr(w.ops), argPtr(w.out), argU32(iters))
	warps := float64(w.threads / 32)
	return warps * (float64(iters)*mmaFlopsPerWarpStep + mmaFlopsPerWarpStep/2), err
}

func (w *mmaWork) arm(d driver) error {
	return d.memsetD32(w.out, poisonF32, w.threads*ptxgen.MMAOutPerLane)
}

func (w *mmaWork) verify(d driver, _ uint32) error {
	got := make([]byte, w.threads*ptxgen.MMAOutPerLane*4)
	if err := d.memcpyDtoH(got, w.out); err != nil {
		return err
	}
	bad := 0
	var firstMsg string
	for t := 0; t < int(w.threads); t++ {
		for j := 0; j < ptxgen.MMAOutPerLane; j++ {
			g := math.Float32frombits(le32(got, t*ptxgen.MMAOutPerLane+j))
			if g != w.want[t%32][j] {
				if bad == 0 {
					firstMsg = fmt.Sprintf("thread %d element %d: got %g, want %g", t, j, g, w.want[t%32][j])
				}
				bad++
			}
		}
	}
	if bad > 0 {
		return verifyErr("%s: %d wrong outputs (%s)", w.kernel, bad, firstMsg)
	}
	return nil
}

func (w *mmaWork) teardown(d driver) { _ = w.bufs.free(d) }

// mmaOperands draws random 16x16 A and 16x8 B matrices with values +-[1,2)
// on 8 significant bits (bf16's precision; fp16 is given the same), packs
// them into each lane's m16n8k16 fragments and computes the D = A*B each
// lane must hold. Every product is a multiple of 2^-14 below 4 and every
// sum of 16 stays below 64, so the tensor cores' accumulation is exact and
// the check can demand bit equality.
func mmaOperands(bf16 bool, seed uint64) ([]byte, [32][ptxgen.MMAOutPerLane]float32) {
	rng := rand.New(rand.NewPCG(seed, 0x6d6d61))
	var a [16][16]float32
	var b [16][8]float32
	draw := func() float32 {
		v := float32(128+rng.IntN(128)) / 128
		if rng.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	for i := range a {
		for j := range a[i] {
			a[i][j] = draw()
		}
	}
	for i := range b {
		for j := range b[i] {
			b[i][j] = draw()
		}
	}
	enc := func(f float32) uint32 {
		if bf16 {
			return math.Float32bits(f) >> 16 // exact: low 16 bits are zero
		}
		return uint32(float32ToHalf(f))
	}
	pack := func(lo, hi float32) uint32 { return enc(lo) | enc(hi)<<16 }
	frag := make([]byte, 32*ptxgen.MMAWordsPerLn*4)
	var want [32][ptxgen.MMAOutPerLane]float32
	var c [16][8]float32
	for i := 0; i < 16; i++ {
		for j := 0; j < 8; j++ {
			var s float64
			for k := 0; k < 16; k++ {
				s += float64(a[i][k]) * float64(b[k][j])
			}
			c[i][j] = float32(s)
		}
	}
	for lane := 0; lane < 32; lane++ {
		g, t := lane/4, lane%4
		words := [ptxgen.MMAWordsPerLn]uint32{
			pack(a[g][2*t], a[g][2*t+1]),
			pack(a[g+8][2*t], a[g+8][2*t+1]),
			pack(a[g][2*t+8], a[g][2*t+9]),
			pack(a[g+8][2*t+8], a[g+8][2*t+9]),
			pack(b[2*t][g], b[2*t+1][g]),
			pack(b[2*t+8][g], b[2*t+9][g]),
		}
		for i, v := range words {
			putLE32(frag, lane*ptxgen.MMAWordsPerLn+i, v)
		}
		for u := 0; u < ptxgen.MMAAccums; u++ {
			want[lane][4*u+0] = c[g][2*t]
			want[lane][4*u+1] = c[g][2*t+1]
			want[lane][4*u+2] = c[g+8][2*t]
			want[lane][4*u+3] = c[g+8][2*t+1]
		}
	}
	return frag, want
}

// float32ToHalf converts a float32 that is exactly representable as a
// normal IEEE half (as mmaOperands' values are) to its bits.
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	mant := uint16(b>>13) & 0x3ff
	return sign | uint16(exp)<<10 | mant
}

// halfToFloat32 decodes IEEE half bits (normal numbers and zero).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	if exp == 0 && mant == 0 {
		return math.Float32frombits(sign)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13)
}
