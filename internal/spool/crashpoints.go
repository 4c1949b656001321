package spool

// CrashEnv names the crash point at which a binary built with
// -tags spoolcrash kills itself with SIGKILL: "point" or "point:N" for the
// Nth arrival. Without the tag the variable is ignored. The agent's
// binary-level kill -9 tests use it to stop at exact moments.
const CrashEnv = "PERWATT_SPOOL_CRASH"

// CrashPoints lists the named points in the write and commit paths.
func CrashPoints() []string {
	return []string{
		"append-before-write",
		"append-before-fsync",
		"append-after-fsync",       // durable but not yet acknowledged
		"segment-created",          // new segment file exists, header not yet durable
		"commit-before-checkpoint", // the sink accepted the batch, the spool has not advanced
		"checkpoint-before-rename",
		"commit-between-checkpoint-and-delete",
	}
}
