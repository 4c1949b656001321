package gpubench

import (
	"math"
	"slices"
	"testing"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

// simSetup loads a module into a fake driver with a current context.
func simSetup(t *testing.T, m ptxModule) (*fakeDriver, map[string]cuFunction) {
	t.Helper()
	f := newFakeDriver(smallGPU("NVIDIA H100 80GB HBM3", 9, 0))
	if _, err := f.ctxAcquire(0); err != nil {
		t.Fatal(err)
	}
	mod, _, err := f.moduleLoad(m.text())
	if err != nil {
		t.Fatal(err)
	}
	fns := map[string]cuFunction{}
	for _, e := range m.entries {
		if fns[e], err = f.moduleFunction(mod, e); err != nil {
			t.Fatal(err)
		}
	}
	return f, fns
}

// The SHA-256d kernel's hits must be exactly the CPU's for the same header
// and nonce range; a loose target makes hits frequent enough to compare.
func TestSimSHA256dHitsEqualCPU(t *testing.T) {
	f, fns := simSetup(t, modSHA)
	for _, tc := range []struct {
		name      string
		header    [80]byte
		base      uint32
		perThread uint32
		target    uint32
	}{
		{"mainnet header", parseDefaultHeader(), 0x42a14600, 2, 0x0fffffff},
		{"wrapping nonces", parseDefaultHeader(), 0xffffffc0, 1, 0x1fffffff},
		{"zero header", [80]byte{}, 7, 3, 0x07ffffff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &shaWork{header: tc.header}
			dev := Device{SMs: 1, maxThreadsPerSM: 64, maxThreadsPerBlk: 32}
			if err := w.setup(f, dev, fns); err != nil {
				t.Fatal(err)
			}
			defer w.teardown(f)
			if err := w.arm(f); err != nil {
				t.Fatal(err)
			}
			if err := w.launch(f, tc.base, tc.perThread, tc.target); err != nil {
				t.Fatal(err)
			}
			got, n, err := w.readHits(f)
			if err != nil {
				t.Fatal(err)
			}
			count := w.threads * uint64(tc.perThread)
			var want []uint32
			for i := uint64(0); i < count; i++ {
				nonce := tc.base + uint32(i)
				if hashTop(tc.header, nonce) <= tc.target {
					want = append(want, nonce)
				}
			}
			slices.Sort(want)
			if len(want) == 0 {
				t.Fatal("test range has no hits; loosen the target")
			}
			if int(n) != len(got) || !slices.Equal(got, want) {
				t.Errorf("GPU hits %x (count %d), CPU %x", got, n, want)
			}
		})
	}
}

func TestSimFMAKernelMatchesReplay(t *testing.T) {
	f, fns := simSetup(t, modFMA)
	w := &fmaWork{}
	if err := w.setup(f, Device{SMs: 2, maxThreadsPerSM: 32, maxThreadsPerBlk: 32}, fns); err != nil {
		t.Fatal(err)
	}
	defer w.teardown(f)
	for _, iters := range []uint32{0, 1, 5} {
		if err := w.arm(f); err != nil {
			t.Fatal(err)
		}
		if _, err := w.step(f, iters); err != nil {
			t.Fatal(err)
		}
		if err := w.verify(f, iters); err != nil {
			t.Errorf("iters %d: %v", iters, err)
		}
		// The replay must depend on the iteration count, or the check
		// would not notice a kernel that skipped work.
		if iters > 0 && fmaExpected(w.p, iters) == fmaExpected(w.p, iters-1) {
			t.Errorf("replay after %d and %d iterations is the same", iters, iters-1)
		}
	}
	if err := w.verify(f, 4); err == nil {
		t.Error("verify accepted outputs of 5 iterations as 4")
	}
}

func TestSimCopyKernelCopiesEveryByte(t *testing.T) {
	f, fns := simSetup(t, modCopy)
	// Sizes around the unrolled loop's edges: less than one unrolled
	// round, exact rounds, and a tail.
	for _, n := range []uint64{64, 4096, 4096 + 48, 16 * 1000} {
		w := &memWork{kernel: KernelCopy, override: n}
		if err := w.setup(f, Device{SMs: 1, maxThreadsPerSM: 64, maxThreadsPerBlk: 32, MemoryBytes: 1 << 30}, fns); err != nil {
			t.Fatal(err)
		}
		if err := w.arm(f); err != nil {
			t.Fatal(err)
		}
		if err := w.verify(f, 1); err == nil {
			t.Errorf("%d bytes: poisoned destination passed verification", n)
		}
		if _, err := w.step(f, 1); err != nil {
			t.Fatal(err)
		}
		if err := w.verify(f, 1); err != nil {
			t.Errorf("%d bytes (%d used): %v", n, w.n, err)
		}
		// Nothing past the buffer may be written.
		w.teardown(f)
	}
}

func TestSimMMAKernels(t *testing.T) {
	for _, tc := range []struct {
		kernel, entry string
		bf16          bool
	}{{KernelBF16MMA, ptxgen.EntryMMABF16, true}, {KernelFP16MMA, ptxgen.EntryMMAF16, false}} {
		t.Run(tc.kernel, func(t *testing.T) {
			f, fns := simSetup(t, modMMA)
			w := &mmaWork{kernel: tc.kernel, entry: tc.entry, bf16: tc.bf16, seed: 9}
			if err := w.setup(f, Device{SMs: 1, maxThreadsPerSM: 64, maxThreadsPerBlk: 64}, fns); err != nil {
				t.Fatal(err)
			}
			defer w.teardown(f)
			for _, iters := range []uint32{0, 3} {
				if err := w.arm(f); err != nil {
					t.Fatal(err)
				}
				if _, err := w.step(f, iters); err != nil {
					t.Fatal(err)
				}
				if err := w.verify(f, iters); err != nil {
					t.Errorf("iters %d: %v", iters, err)
				}
			}
		})
	}
}

// The operands must make the tensor-core sums exact: every product a
// multiple of 2^-14 and every partial sum of up to 17 terms within 24 bits.
func TestMMAOperandsExact(t *testing.T) {
	for _, bf16 := range []bool{true, false} {
		frag, want := mmaOperands(bf16, 3)
		seen := map[float32]bool{}
		for lane := 0; lane < 32; lane++ {
			for i := 0; i < ptxgen.MMAWordsPerLn; i++ {
				w := le32(frag, lane*ptxgen.MMAWordsPerLn+i)
				for _, h := range []uint32{w & 0xffff, w >> 16} {
					var v float32
					if bf16 {
						v = math.Float32frombits(h << 16)
					} else {
						v = halfToFloat32(uint16(h))
					}
					if a := math.Abs(float64(v)); a < 1 || a >= 2 {
						t.Fatalf("operand %g outside +-[1,2)", v)
					}
					if m := math.Float32bits(v) & 0xffff; m != 0 {
						t.Fatalf("operand %g has more than 8 significant bits", v)
					}
					seen[v] = true
				}
			}
			for _, d := range want[lane] {
				if math.Abs(float64(d)) >= 64 || d*16384 != float32(math.Round(float64(d)*16384)) {
					t.Fatalf("expected output %g not a multiple of 2^-14 below 64", d)
				}
			}
		}
		if len(seen) < 64 {
			t.Errorf("only %d distinct operand values: not random enough to load the tensor cores", len(seen))
		}
	}
}
