package appraisal

import "time"

// Kind is the kind of device a reading describes; it is the `device_kind`
// tag of the appraisal measurement.
type Kind string

const (
	KindASIC Kind = "asic" // an SHA-256d mining rig polled over its API
	KindGPU  Kind = "gpu"  // an NVIDIA GPU (live NVML power and/or a gpubench run)
	KindCPU  Kind = "cpu"  // this host's CPU, from a sha256bench run
	KindHost Kind = "host" // the whole server at the wall (IPMI, Redfish)
)

// PowerSource says where a reading's watts come from; it is the
// `power_source` tag. An empty source means no power reading at all, and
// then only revenue is appraised, never net: power is never invented.
type PowerSource string

const (
	PowerNone      PowerSource = ""
	PowerMeasured  PowerSource = "measured"  // a meter on the device: NVML, RAPL, the rig's own power sensor
	PowerFirmware  PowerSource = "firmware"  // the firmware's own estimate (e.g. from its tuner), not a meter
	PowerNameplate PowerSource = "nameplate" // the operator's configured nameplate figure
	PowerWall      PowerSource = "wall"      // the server's power at the wall, from its BMC
)

// Reading is one device's latest measurement in the terms appraisal needs.
// Producers (collectors, benchmarks) fill what they measured and leave the
// rest zero; readings of the same device from different producers (a GPU's
// live NVML power and its last benchmark) are merged field by field.
type Reading struct {
	Kind  Kind
	ID    string // stable per device: rig address or name, GPU PCI bus id, "cpu"
	Model string // as the device names itself ("Antminer S21", "NVIDIA H100 80GB HBM3")
	At    time.Time

	// HashrateHS is the SHA-256d rate the device sustains (a rig's average,
	// a benchmark's result), in hashes per second.
	HashrateHS float64
	// PowerW is what the device draws now (or during the benchmark, for a
	// CPU), with its source. Zero with PowerNone when nothing measured it.
	PowerW      float64
	PowerSource PowerSource
	// PowerNote says why there is no power reading, for the operator.
	PowerNote string

	// GPU only, from a gpubench run: the board power while hashing
	// SHA-256d, the highest board power under the compute kernels (what a
	// tenant's AI load draws), and the dense tensor rate reached.
	HashPowerW float64
	AILoadW    float64
	FLOPS      float64

	// BoardPowerW is the GPU's own board power when PowerW is its share of
	// the server's wall power (set by Merge); it stays beside the wall figure.
	BoardPowerW float64
}
