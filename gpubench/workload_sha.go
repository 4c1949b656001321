package gpubench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

const (
	// maxHits bounds the hit buffer; a steady phase at difficulty 1 finds
	// about one hit per 4.3e9 hashes.
	maxHits = 4096
	// verifyTarget makes about one nonce in 4096 a hit, enough hits in the
	// verification range to compare sets with the CPU.
	verifyTarget = 0x000fffff
	// verifyNonces is about how many nonces the CPU re-scans.
	verifyNonces = 1 << 20
)

// defaultHeader is mainnet block 125552's header, the one the Bitcoin wiki
// uses to explain block hashing; any 80 bytes would do.
const defaultHeader = "01000000" +
	"81cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000" +
	"e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122b" +
	"c7f5d74d" + "f2b9441a" + "42a14695"

// shaWork scans nonces of one header with the SHA-256d kernel.
type shaWork struct {
	header [80]byte
	// Targets (top 32 bits of the hash) of the steady phase and of the
	// verification scan, and how many nonces the CPU re-scans.
	steadyTarget, verifyTarget uint32
	verifyN                    uint64
	fn                         cuFunction
	grid                       dim3
	block                      dim3
	job                        devicePtr
	hits                       devicePtr
	bufs                       buffers
	threads                    uint64
	next                       uint64 // first nonce of the next step; 1<<32: this header is done
	armHash                    uint64 // hashes enqueued since arm
	// scanned holds every header scanned since arm: the nonce space (2^32)
	// lasts well under a second at GPU rates, so on each wrap the header's
	// time field is rolled, as miners do, instead of rescanning nonces.
	scanned [][80]byte
}

func (w *shaWork) name() string         { return KernelSHA256d }
func (w *shaWork) unit() string         { return UnitHashes }
func (w *shaWork) module() *ptxModule   { return &modSHA }
func (w *shaWork) initialScale() uint32 { return 1 }
func (w *shaWork) maxScale() uint32     { return 1 << 12 }
func (w *shaWork) note() string {
	return "one hash = one SHA-256d of an 80-byte header (midstate precomputed, early reject on the top word)"
}

func parseDefaultHeader() [80]byte {
	b, err := hex.DecodeString(defaultHeader)
	if err != nil || len(b) != 80 {
		panic("gpubench: bad default header")
	}
	return [80]byte(b)
}

func (w *shaWork) setup(d driver, dev Device, fns map[string]cuFunction) error {
	w.fn = fns[ptxgen.EntrySHA256d]
	var err error
	if w.grid, w.block, err = launchShape(d, dev, w.fn, 256); err != nil {
		return err
	}
	w.threads = uint64(w.grid.x) * uint64(w.block.x)
	if w.job, err = w.bufs.alloc(d, ptxgen.SHAJobWords*4); err != nil {
		return err
	}
	if w.hits, err = w.bufs.alloc(d, (1+maxHits)*4); err != nil {
		return err
	}
	return w.upload(d)
}

// upload writes the current header's job (midstate and precomputed rounds).
func (w *shaWork) upload(d driver) error {
	job := shaJob(&w.header)
	buf := make([]byte, len(job)*4)
	for i, v := range job {
		putLE32(buf, i, v)
	}
	return d.memcpyHtoD(w.job, buf)
}

// headerTimeOffset is where the block header's nTime (little-endian) sits.
const headerTimeOffset = 68

// roll moves to the next header (nTime + 1) and the start of its nonce
// space. The copy is ordered after the kernels already queued on the
// default stream, so they finish on the old job.
func (w *shaWork) roll(d driver) error {
	t := binary.LittleEndian.Uint32(w.header[headerTimeOffset:])
	binary.LittleEndian.PutUint32(w.header[headerTimeOffset:], t+1)
	w.next = 0
	w.scanned = append(w.scanned, w.header)
	return w.upload(d)
}

func (w *shaWork) launch(d driver, base, perThread, target uint32) error {
	return d.launch(w.fn, w.grid, w.block, argPtr(w.job), argPtr(w.hits), argU32(maxHits),
		argU32(base), argU32(perThread), argU32(target))
}

func (w *shaWork) step(d driver, perThread uint32) (float64, error) {
	n := w.threads * uint64(perThread)
	if w.next+n > 1<<32 {
		if err := w.roll(d); err != nil {
			return 0, err
		}
	}
	err := w.launch(d, uint32(w.next), perThread, w.steadyTarget)
	w.next += n
	w.armHash += n
	return float64(n), err
}

func (w *shaWork) arm(d driver) error {
	w.armHash = 0
	w.scanned = [][80]byte{w.header}
	return d.memsetD32(w.hits, 0, 1+maxHits)
}

// readHits returns the kernel's hits, sorted.
func (w *shaWork) readHits(d driver) ([]uint32, uint32, error) {
	buf := make([]byte, (1+maxHits)*4)
	if err := d.memcpyDtoH(buf, w.hits); err != nil {
		return nil, 0, err
	}
	n := le32(buf, 0)
	got := make([]uint32, 0, min(n, maxHits))
	for i := 0; i < int(min(n, maxHits)); i++ {
		got = append(got, le32(buf, 1+i))
	}
	slices.Sort(got)
	return got, n, nil
}

// verify confirms every hit of the steady phase with the CPU reference, then
// scans a fresh range at an easy target on the GPU and on the CPU and
// demands the same hits.
func (w *shaWork) verify(d driver, _ uint32) error {
	hits, n, err := w.readHits(d)
	if err != nil {
		return err
	}
	if n > maxHits {
		return verifyErr("sha256d: %d hits in %d hashes overflow the hit buffer: not plausible at target %#08x", n, w.armHash, w.steadyTarget)
	}
	// A hit records its nonce, not its header: it must meet the target
	// under one of the headers scanned since arm.
	for _, nonce := range hits {
		ok := false
		for _, h := range w.scanned {
			ok = ok || hashTop(h, nonce) <= w.steadyTarget
		}
		if !ok {
			return verifyErr("sha256d: GPU hit nonce %#08x does not meet the target on the CPU under any of the %d headers scanned", nonce, len(w.scanned))
		}
	}

	perThread := uint32(max(1, (w.verifyN+w.threads-1)/w.threads))
	count := w.threads * uint64(perThread)
	base := uint32(w.next)
	if w.next+count > 1<<32 {
		base = 0 // the CPU scanner does not wrap
	}
	if err := d.memsetD32(w.hits, 0, 1+maxHits); err != nil {
		return err
	}
	if err := w.launch(d, base, perThread, w.verifyTarget); err != nil {
		return err
	}
	if err := d.ctxSynchronize(); err != nil {
		return err
	}
	gpu, n, err := w.readHits(d)
	if err != nil {
		return err
	}
	if n > maxHits {
		return verifyErr("sha256d: %d hits in %d nonces at the verification target, hit buffer holds %d", n, count, maxHits)
	}
	cpu, err := cpuHits(w.header, base, count, w.verifyTarget)
	if err != nil {
		return err
	}
	if !slices.Equal(gpu, cpu) {
		return verifyErr("sha256d: nonces %#08x+%d: GPU found %d hits, CPU %d (first difference %s)",
			base, count, len(gpu), len(cpu), firstDiff(gpu, cpu))
	}
	return nil
}

// cpuHits scans [base, base+count) on the CPU: the nonces whose SHA-256d's
// top 32 bits (Bitcoin reads the hash as a little-endian number) are <= top.
func cpuHits(header [80]byte, base uint32, count uint64, top uint32) ([]uint32, error) {
	var out []uint32
	for i := uint64(0); i < count; i++ {
		n := base + uint32(i)
		if hashTop(header, n) <= top {
			out = append(out, n)
		}
	}
	return out, nil
}

// hashTop is the most significant 32 bits of the header's SHA-256d with
// nonce n, computed with crypto/sha256 exactly as sha256bench.DoubleHash.
func hashTop(header [80]byte, n uint32) uint32 {
	binary.LittleEndian.PutUint32(header[76:], n)
	first := sha256.Sum256(header[:])
	h := sha256.Sum256(first[:])
	return binary.LittleEndian.Uint32(h[28:])
}

func firstDiff(a, b []uint32) string {
	for i := 0; i < max(len(a), len(b)); i++ {
		switch {
		case i >= len(a):
			return fmt.Sprintf("CPU-only nonce %#08x", b[i])
		case i >= len(b):
			return fmt.Sprintf("GPU-only nonce %#08x", a[i])
		case a[i] != b[i]:
			return fmt.Sprintf("GPU %#08x vs CPU %#08x", a[i], b[i])
		}
	}
	return "none"
}

func (w *shaWork) teardown(d driver) { _ = w.bufs.free(d) }
