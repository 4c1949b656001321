// Package collectors reads the machines perwatt watches: the host itself
// (CPU, memory, temperatures), NVIDIA GPUs through NVML, CPU package power
// through Linux RAPL, and ASIC miners through the cgminer-family JSON API.
//
// Every collector has Name() and Collect(ctx) ([]metric.Point, error); the
// agent and `perwatt collect` call them, benchmarks use RAPL.EnergyJ and
// NVML.Sample for power during a run. A collector that cannot read its source
// returns its own error and never blocks past ctx's deadline; when the
// hardware is simply absent the error wraps ErrUnavailable so callers can log
// it quietly.
package collectors

import "errors"

// ErrUnavailable marks a source this host does not have (no GPU driver, no
// powercap, built without cgo). It is a state, not a fault.
var ErrUnavailable = errors.New("unavailable")
