//go:build spoolcrash

package spool

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

func envCrashHook() func(string) {
	v := os.Getenv(CrashEnv)
	if v == "" {
		return nil
	}
	point, nth := parseCrashSpec(v)
	var hits atomic.Int64
	return func(p string) {
		if p == point && hits.Add(1) == nth {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // SIGKILL is asynchronous; never run past the point
		}
	}
}

func parseCrashSpec(v string) (string, int64) {
	point, count, ok := strings.Cut(v, ":")
	nth := int64(1)
	if ok {
		if n, err := strconv.ParseInt(count, 10, 64); err == nil && n > 0 {
			nth = n
		}
	}
	return point, nth
}
