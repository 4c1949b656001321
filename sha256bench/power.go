package sha256bench

import "context"

// EnergyMeter reads a monotonic energy counter in joules covering the CPU
// package(s) doing the hashing; the difference between two reads is the
// energy used in between. collectors.RAPL satisfies it.
type EnergyMeter interface {
	EnergyJ(ctx context.Context) (float64, error)
}

// Power sources reported in Result.PowerSource.
const (
	PowerSourceMeter       = "rapl"
	PowerSourceFlag        = "wall-meter (--power-w)"
	PowerSourceUnavailable = "unavailable"
)
