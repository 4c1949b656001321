//go:build !(linux && (amd64 || arm64))

package gpubench

import (
	"fmt"
	"runtime"
)

func openDriver() (driver, error) {
	return nil, fmt.Errorf("%w: GPU benchmarks need linux/amd64 or linux/arm64, this is %s/%s",
		ErrNoDriver, runtime.GOOS, runtime.GOARCH)
}
