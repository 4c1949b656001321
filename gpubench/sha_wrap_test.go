package gpubench

import (
	"encoding/binary"
	"testing"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

// At GPU rates the 2^32 nonces of one header last under a second. A step
// that would run past the end rolls the header's time field and starts
// its nonces from zero, instead of letting the kernel's nonce wrap and
// rescan the same hashes.
func TestSHARollsHeaderInsteadOfRescanning(t *testing.T) {
	f := newFakeDriver(smallGPU("NVIDIA H100 80GB HBM3", 9, 0))
	dev, err := probeDevice(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ctxAcquire(dev.dev); err != nil {
		t.Fatal(err)
	}
	m, _, err := f.moduleLoad(modSHA.text())
	if err != nil {
		t.Fatal(err)
	}
	fn, err := f.moduleFunction(m, ptxgen.EntrySHA256d)
	if err != nil {
		t.Fatal(err)
	}
	w := &shaWork{header: parseDefaultHeader(), steadyTarget: 0x0fffffff, verifyTarget: 0x0fffffff, verifyN: 64}
	if err := w.setup(f, dev, map[string]cuFunction{ptxgen.EntrySHA256d: fn}); err != nil {
		t.Fatal(err)
	}
	defer w.teardown(f)
	if err := w.arm(f); err != nil {
		t.Fatal(err)
	}
	var bases []uint64
	f.afterLaunch = func(_ *fakeDriver, _ string, args []kernelArg) { bases = append(bases, args[3].bits) }
	t0 := binary.LittleEndian.Uint32(w.header[headerTimeOffset:])
	w.next = 1<<32 - w.threads // room for exactly one step of one nonce per thread
	for range 2 {
		if _, err := w.step(f, 1); err != nil {
			t.Fatal(err)
		}
	}
	want := []uint64{1<<32 - w.threads, 0}
	if len(bases) != 2 || bases[0] != want[0] || bases[1] != want[1] {
		t.Fatalf("launch bases %#x, want %#x: the second step must start a new header's nonces", bases, want)
	}
	if got := binary.LittleEndian.Uint32(w.header[headerTimeOffset:]); got != t0+1 {
		t.Errorf("header time %d after the wrap, want %d", got, t0+1)
	}
	job := make([]byte, ptxgen.SHAJobWords*4)
	if err := f.memcpyDtoH(job, w.job); err != nil {
		t.Fatal(err)
	}
	if wantJob := shaJob(&w.header); le32(job, 8) != wantJob[8] || le32(job, 17) != wantJob[17] {
		t.Error("the GPU's job was not rewritten for the rolled header")
	}
	if err := f.ctxSynchronize(); err != nil {
		t.Fatal(err)
	}
	// Hits from both headers verify.
	if err := w.verify(f, 1); err != nil {
		t.Fatal(err)
	}
}
