//go:build !spoolcrash

package spool

// envCrashHook is nil in normal builds; see crash_spoolcrash.go.
func envCrashHook() func(string) { return nil }
