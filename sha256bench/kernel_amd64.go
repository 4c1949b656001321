//go:build amd64 && !purego

package sha256bench

import "golang.org/x/sys/cpu"

func archKernels() []Kernel {
	return []Kernel{
		{
			Name:        "avx512",
			Description: "AVX-512 assembly, 16 nonces per ZMM lane set (VPRORD, VPTERNLOGD)",
			Lanes:       16,
			scan:        resumeScan(avx512Scan, 16),
			support: func() string {
				if !cpu.X86.HasAVX512F || !cpu.X86.HasAVX512BW {
					return "needs AVX-512 F and BW, enabled by the OS"
				}
				return ""
			},
		},
		{
			Name:        "shani",
			Description: "SHA-NI assembly (SHA256RNDS2/MSG1/MSG2), two nonces interleaved",
			Lanes:       2,
			scan:        resumeScan(shaniScan, 2),
			support: func() string {
				if !hasSHANI() || !cpu.X86.HasSSE41 {
					return "needs the SHA extensions (SHA-NI) and SSE4.1"
				}
				return ""
			},
		},
		{
			Name:        "avx2",
			Description: "AVX2 assembly, 8 nonces per YMM lane set",
			Lanes:       8,
			scan:        resumeScan(avx2Scan, 8),
			support: func() string {
				if !cpu.X86.HasAVX2 {
					return "needs AVX2, enabled by the OS"
				}
				return ""
			},
		},
	}
}

// resumeScan drives an assembly loop that hashes batches of lanes nonces
// and returns after the first batch with a candidate (batches done << 32 |
// that batch's candidate bits); it is called again from the next batch.
func resumeScan(fn func(tab *uint32, nonce, batches uint32) uint64, lanes uint32) func(*work, uint32, uint32, []uint32) []uint32 {
	return func(wk *work, start, count uint32, cands []uint32) []uint32 {
		tab := &wk.tab[0]
		for batches := count / lanes; batches > 0; {
			r := fn(tab, start, batches)
			done := uint32(r >> 32)
			if m := uint32(r); m != 0 {
				first := start + lanes*(done-1)
				for l := range lanes {
					if m&(1<<l) != 0 {
						cands = append(cands, first+l)
					}
				}
			}
			start += lanes * done
			batches -= done
		}
		return cands
	}
}

func hasSHANI() bool { return cpuid7EBX()&(1<<29) != 0 }
