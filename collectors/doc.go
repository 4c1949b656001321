// Package collectors reads the machines perwatt watches: the host itself
// (CPU, memory, disks, network, pressure, temperatures), NVIDIA GPUs through
// NVML, CPU package power through Linux RAPL, server wall power through the
// BMC (IPMI DCMI, Redfish), and ASIC miners through the cgminer-family JSON
// API.
//
// Every collector has Name() and Collect(ctx) ([]metric.Point, error); the
// agent and `perwatt collect` call them, benchmarks use RAPL.EnergyJ and
// NVML.Sample for power during a run. A collector that cannot read its source
// returns its own error and never blocks past ctx's deadline; when the
// hardware is simply absent the error wraps ErrUnavailable so callers can log
// it quietly.
package collectors

// ErrUnavailable marks a source this host does not have (no GPU driver, no
// powercap, no BMC, built without cgo). It is a state, not a fault: the
// error answers Absent() true through any wrapping, so the agent can tell
// it from a failure without importing this package, and errors.Is matches
// it here.
var ErrUnavailable error = absentError{}

type absentError struct{}

func (absentError) Error() string { return "unavailable" }

// Absent reports that the source does not exist on this host.
func (absentError) Absent() bool { return true }
