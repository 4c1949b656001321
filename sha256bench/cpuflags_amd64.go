//go:build amd64 && !purego

package sha256bench

import "golang.org/x/sys/cpu"

// CPUFlags lists the CPU features the kernels care about that this CPU has
// (and the OS has enabled).
func CPUFlags() []string {
	var fl []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"sse4.1", cpu.X86.HasSSE41},
		{"avx2", cpu.X86.HasAVX2},
		{"avx512f", cpu.X86.HasAVX512F},
		{"avx512bw", cpu.X86.HasAVX512BW},
		{"sha-ni", hasSHANI()},
	} {
		if f.ok {
			fl = append(fl, f.name)
		}
	}
	return fl
}
