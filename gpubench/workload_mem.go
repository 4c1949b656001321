package gpubench

import (
	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

const (
	poisonU32 = 0xdeadbeef
	// copyChunk bounds the host memory used to fill and check the buffers.
	copyChunk = 64 << 20
)

// copyBytesFor sizes each of the two buffers: 1 GiB, or an eighth of the
// device's memory on small cards, always far beyond any L2 (50 MiB on H100,
// 126 MiB on B200) so the copy measures DRAM.
func copyBytesFor(dev Device, override uint64) uint64 {
	n := override
	if n == 0 {
		n = 1 << 30
		if dev.MemoryBytes/8 < n {
			n = dev.MemoryBytes / 8
		}
	}
	return n &^ (16*ptxgen.CopyUnroll - 1)
}

// memWork is the bandwidth test shared by the copy kernel and
// cuMemcpyDtoD: src holds a pattern unique per word, dst is poisoned before
// the steady phase and must equal src after it.
type memWork struct {
	kernel   string
	viaCopy  bool // cuMemcpyDtoD instead of the PTX kernel
	override uint64

	fn          cuFunction
	grid, block dim3
	src, dst    devicePtr
	n           uint64
	bufs        buffers
}

func (w *memWork) name() string { return w.kernel }
func (w *memWork) unit() string { return UnitBytes }
func (w *memWork) module() *ptxModule {
	if w.viaCopy {
		return nil
	}
	return &modCopy
}
func (w *memWork) initialScale() uint32 { return 1 }
func (w *memWork) maxScale() uint32     { return 4096 }
func (w *memWork) note() string {
	return "bytes counted read+write: each copy of N bytes moves 2N through DRAM"
}

func (w *memWork) setup(d driver, dev Device, fns map[string]cuFunction) error {
	w.n = copyBytesFor(dev, w.override)
	if !w.viaCopy {
		w.fn = fns[ptxgen.EntryCopy]
		var err error
		if w.grid, w.block, err = launchShape(d, dev, w.fn, 256); err != nil {
			return err
		}
	}
	var err error
	if w.src, err = w.bufs.alloc(d, w.n); err != nil {
		return err
	}
	if w.dst, err = w.bufs.alloc(d, w.n); err != nil {
		return err
	}
	chunk := make([]byte, min(w.n, copyChunk))
	for off := uint64(0); off < w.n; off += uint64(len(chunk)) {
		part := chunk[:min(uint64(len(chunk)), w.n-off)]
		fillPattern(part, off)
		if err := d.memcpyHtoD(w.src+devicePtr(off), part); err != nil {
			return err
		}
	}
	return nil
}

// fillPattern writes word i of the buffer (at byte offset off+4i) as a
// mix of its index, so a misplaced or stale block cannot match.
func fillPattern(b []byte, off uint64) {
	for i := 0; i < len(b)/4; i++ {
		putLE32(b, i, patternWord(off/4+uint64(i)))
	}
}

func patternWord(i uint64) uint32 {
	x := uint32(i) * 0x9e3779b1
	x ^= uint32(i>>32) + 0x7f4a7c15
	return x ^ x>>15
}

func (w *memWork) step(d driver, launches uint32) (float64, error) {
	for i := uint32(0); i < launches; i++ {
		var err error
		if w.viaCopy {
			err = d.memcpyDtoD(w.dst, w.src, w.n)
		} else {
			err = d.launch(w.fn, w.grid, w.block, argPtr(w.src), argPtr(w.dst), argU64(w.n/16))
		}
		if err != nil {
			return 0, err
		}
	}
	return 2 * float64(w.n) * float64(launches), nil
}

func (w *memWork) arm(d driver) error { return d.memsetD32(w.dst, poisonU32, w.n/4) }

func (w *memWork) verify(d driver, _ uint32) error {
	chunk := make([]byte, min(w.n, copyChunk))
	for off := uint64(0); off < w.n; off += uint64(len(chunk)) {
		part := chunk[:min(uint64(len(chunk)), w.n-off)]
		if err := d.memcpyDtoH(part, w.dst+devicePtr(off)); err != nil {
			return err
		}
		for i := 0; i < len(part)/4; i++ {
			if got, want := le32(part, i), patternWord(off/4+uint64(i)); got != want {
				return verifyErr("%s: byte %d of %d: got %#08x, want %#08x", w.kernel, off+4*uint64(i), w.n, got, want)
			}
		}
	}
	return nil
}

func (w *memWork) teardown(d driver) { _ = w.bufs.free(d) }
