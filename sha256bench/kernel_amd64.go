//go:build amd64 && !purego

package sha256bench

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run . -out ../sha256d_amd64.s -stubs ../sha256d_stub_amd64.go -pkg sha256bench"

func archKernels() []Kernel {
	return []Kernel{
		{
			Name:        "avx512",
			Description: "AVX-512 assembly, 16 nonces per ZMM lane set (VPRORD, VPTERNLOGD)",
			Lanes:       16,
			scan:        batchScan(avx512Batch, 16),
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
			scan:        scanSHANI,
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
			scan:        batchScan(avx2Batch, 8),
			support: func() string {
				if !cpu.X86.HasAVX2 {
					return "needs AVX2, enabled by the OS"
				}
				return ""
			},
		},
	}
}

// batchScan loops a fixed-width kernel over a range; Go's call overhead is
// noise next to the hundreds of nanoseconds one batch takes.
func batchScan(batch func(tab *uint32, nonce uint32) uint32, lanes uint32) func(*work, uint32, uint32, []uint32) []uint32 {
	return func(wk *work, start, count uint32, cands []uint32) []uint32 {
		tab := &wk.tab[0]
		for i := uint32(0); i < count; i += lanes {
			if m := batch(tab, start+i); m != 0 {
				for l := range lanes {
					if m&(1<<l) != 0 {
						cands = append(cands, start+i+l)
					}
				}
			}
		}
		return cands
	}
}

func hasSHANI() bool { return cpuid7EBX()&(1<<29) != 0 }

// scanSHANI resumes the assembly loop after each pair with a candidate.
func scanSHANI(wk *work, start, count uint32, cands []uint32) []uint32 {
	tab := &wk.tab[0]
	for pairs := count / 2; pairs > 0; {
		r := shaniScan(tab, start, pairs)
		done := uint32(r >> 2)
		if m := r & 3; m != 0 {
			last := start + 2*(done-1)
			for l := range uint32(2) {
				if m&(1<<l) != 0 {
					cands = append(cands, last+l)
				}
			}
		}
		start += 2 * done
		pairs -= done
	}
	return cands
}
