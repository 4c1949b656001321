//go:build !amd64 || purego

package sha256bench

// CPUFlags lists the CPU features the kernels care about; only amd64 has
// assembly kernels so far.
func CPUFlags() []string { return nil }
