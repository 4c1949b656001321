package sha256bench

import "github.com/perwatt/perwatt/economics/appraisal"

// Reading is the result in the appraisal's terms: this CPU as an SHA-256d
// miner, with the power measured over the run (RAPL or a wall meter) or the
// reason there is none. An interrupted or unverified run says nothing.
func (r *Result) Reading() (appraisal.Reading, bool) {
	if r == nil || r.Interrupted || !r.Verified || !(r.HashrateHS > 0) {
		return appraisal.Reading{}, false
	}
	out := appraisal.Reading{Kind: appraisal.KindCPU, ID: "cpu", Model: r.CPUModel, At: r.Start,
		HashrateHS: r.HashrateHS, PowerNote: r.PowerNote}
	if r.PowerW != nil && *r.PowerW > 0 {
		out.PowerW, out.PowerNote = *r.PowerW, ""
		out.PowerSource = appraisal.PowerMeasured
		if r.PowerSource == PowerSourceFlag {
			out.PowerSource = appraisal.PowerWall
		}
	} else if out.PowerNote == "" {
		out.PowerNote = "no power reading during the benchmark; pass --power-w with a wall-meter reading"
	}
	return out, true
}
