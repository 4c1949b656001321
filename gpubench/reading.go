package gpubench

import "github.com/perwatt/perwatt/economics/appraisal"

// Reading is one GPU's run in the appraisal's terms: the SHA-256d rate with
// the board power it drew, the highest board power under the compute
// kernels (what a tenant's AI load draws) and the highest compute rate
// reached. Unverified kernels say nothing; a GPU with no verified kernel
// has no reading.
func (g GPUResult) Reading(rep *Report) (appraisal.Reading, bool) {
	out := appraisal.Reading{Kind: appraisal.KindGPU, ID: g.PCIBusID, Model: g.Name}
	if rep != nil {
		out.At = rep.Finished
	}
	ok := false
	for _, k := range g.Kernels {
		if !k.Verified || !(k.Rate > 0) {
			continue
		}
		ok = true
		w := 0.0
		if k.Power != nil {
			w = k.Power.AvgW
		}
		switch {
		case k.Kernel == KernelSHA256d:
			out.HashrateHS, out.HashPowerW = k.Rate, w
		case k.Unit == UnitFlops:
			out.AILoadW = max(out.AILoadW, w)
			out.FLOPS = max(out.FLOPS, k.Rate)
		}
	}
	return out, ok
}

// Readings is every GPU of the report that has a reading.
func (r *Report) Readings() []appraisal.Reading {
	if r == nil {
		return nil
	}
	var out []appraisal.Reading
	for _, g := range r.GPUs {
		if rd, ok := g.Reading(r); ok {
			out = append(out, rd)
		}
	}
	return out
}
