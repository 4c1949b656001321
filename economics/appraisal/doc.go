// Package appraisal turns device readings into money: for every rig, GPU
// and CPU it prices the device's watts as a miner and, where it can lease,
// as a leased AI device, and says which use earns more per watt.
//
// It is the one path from measurement to revenue per watt, shared by the
// CLI (bench, econ --measured) and the agent (the appraisal job). Readings
// are plain values filled by their producers (collectors and benchmarks), so
// nothing here knows how a rig or a GPU is read, and nothing there knows
// how a watt is priced.
package appraisal
