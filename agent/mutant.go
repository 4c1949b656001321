//go:build !spoolcrash

package agent

// ackBeforeAppend is a deliberately broken agent for the crash tests to
// catch (see mutant_spoolcrash.go); normal builds never have it.
func ackBeforeAppend() bool { return false }
