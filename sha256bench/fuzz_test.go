package sha256bench

import (
	"slices"
	"testing"
)

// FuzzKernel checks every kernel this CPU runs against crypto/sha256 on
// arbitrary headers, start nonces and target top words.
func FuzzKernel(f *testing.F) {
	for _, b := range loadMainnet(f) {
		f.Add(b.header[:], b.header.Nonce()-40, uint32(0))
	}
	f.Add(make([]byte, HeaderLen), uint32(0xffffffff-20), uint32(0xffffffff))
	f.Add(make([]byte, HeaderLen), uint32(12345), uint32(0x80000000))
	ks := supportedKernels(f)
	f.Fuzz(func(t *testing.T, raw []byte, start, top uint32) {
		var h Header
		copy(h[:], raw)
		const n = 67 // odd, so each kernel's tail path runs too
		want := refCandidates(h, top, start, int(min(n, 1<<32-uint64(start))))
		for _, k := range ks {
			got := NewScanner(k, h, targetWithTop(top)).scanCandidates(start, n, nil)
			if !slices.Equal(got, want) {
				t.Errorf("%s: candidates %v, want %v", k.Name, got, want)
			}
		}
	})
}
