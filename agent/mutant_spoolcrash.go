//go:build spoolcrash

package agent

import "os"

// MutantEnv, in binaries built with -tags spoolcrash only, breaks the agent
// on purpose so the crash tests can prove they notice: "ack-before-append"
// acknowledges points before the spool has them.
const MutantEnv = "PERWATT_AGENT_MUTANT"

func ackBeforeAppend() bool { return os.Getenv(MutantEnv) == "ack-before-append" }
