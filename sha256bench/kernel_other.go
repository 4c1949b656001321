//go:build !amd64 || purego

package sha256bench

func archKernels() []Kernel { return nil }
