//go:build !amd64

package sha256bench

func archKernels() []Kernel { return nil }
