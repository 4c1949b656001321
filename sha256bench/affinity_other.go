//go:build !linux

package sha256bench

import (
	"errors"
	"runtime"
)

func allowedCPUs() ([]int, error) {
	cpus := make([]int, runtime.NumCPU())
	for i := range cpus {
		cpus[i] = i
	}
	return cpus, nil
}

func pinThread(int) error { return errors.New("thread pinning is only implemented on Linux") }
