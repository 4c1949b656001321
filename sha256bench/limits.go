package sha256bench

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// What the runner can measure. Workers publish their counts every chunk of
// nonces and the sampler reads the clock once per window, so a window much
// shorter than this is mostly timer and scheduling noise (a 1 ns window once
// reported 78 GH/s on a 2-core machine).
const (
	// MinWindow is the shortest rate window.
	MinWindow = 100 * time.Millisecond
	// MinDuration is the shortest measured run: at least one window.
	MinDuration = MinWindow
)

// ErrBadConfig marks a Config the runner refuses before starting.
var ErrBadConfig = errors.New("benchmark settings out of range")

// MaxThreads is how many workers Run accepts: the logical CPUs this process
// may use. More threads than CPUs only take turns on them (and thousands of
// locked OS threads exhaust the runtime's thread limit).
func MaxThreads() int {
	cpus, err := allowedCPUs()
	if err != nil || len(cpus) == 0 {
		return runtime.NumCPU()
	}
	return len(cpus)
}

// Check reports every setting the runner cannot honour; zero values are
// defaults and always pass.
func (c Config) Check() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format+": %w", append(args, ErrBadConfig)...))
	}
	if max := MaxThreads(); c.Threads < 0 || c.Threads > max {
		bad("threads %d: want 1 to %d (the logical CPUs this process may use), or 0 for all", c.Threads, max)
	}
	if c.Duration != 0 && c.Duration < MinDuration {
		bad("duration %s: want at least %s", c.Duration, MinDuration)
	}
	if c.Window != 0 && c.Window < MinWindow {
		bad("window %s: want at least %s", c.Window, MinWindow)
	}
	if c.Yardstick < 0 {
		bad("yardstick %s: must not be negative", c.Yardstick)
	}
	return errors.Join(errs...)
}
