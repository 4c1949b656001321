//go:build spoolcrash

package spool

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// CrashEnv names the crash point at which a binary built with
// -tags spoolcrash kills itself with SIGKILL: "point" or "point:N" for the
// Nth time the point is reached. Points: append-before-write,
// append-before-fsync, append-after-fsync, segment-created,
// commit-before-checkpoint, checkpoint-before-rename,
// commit-between-checkpoint-and-delete. Agent-level kill -9 tests use it.
const CrashEnv = "PERWATT_SPOOL_CRASH"

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
