package sha256bench

import (
	"testing"

	"github.com/perwatt/perwatt/economics/appraisal"
)

func TestResultReading(t *testing.T) {
	w := 95.0
	for _, tc := range []struct {
		name   string
		r      Result
		ok     bool
		source appraisal.PowerSource
	}{
		{"rapl", Result{HashrateHS: 2e7, Verified: true, PowerW: &w, PowerSource: PowerSourceMeter, CPUModel: "EPYC"}, true, appraisal.PowerMeasured},
		{"wall meter", Result{HashrateHS: 2e7, Verified: true, PowerW: &w, PowerSource: PowerSourceFlag}, true, appraisal.PowerWall},
		{"no power", Result{HashrateHS: 2e7, Verified: true, PowerSource: PowerSourceUnavailable, PowerNote: "no RAPL"}, true, appraisal.PowerNone},
		{"interrupted", Result{HashrateHS: 2e7, Verified: true, Interrupted: true}, false, ""},
		{"unverified", Result{HashrateHS: 2e7}, false, ""},
	} {
		rd, ok := tc.r.Reading()
		if ok != tc.ok || rd.PowerSource != tc.source {
			t.Errorf("%s: ok %v source %q; want %v %q", tc.name, ok, rd.PowerSource, tc.ok, tc.source)
			continue
		}
		if !ok {
			continue
		}
		if rd.Kind != appraisal.KindCPU || rd.HashrateHS != 2e7 || rd.Model != tc.r.CPUModel {
			t.Errorf("%s: %+v", tc.name, rd)
		}
		if (rd.PowerSource == appraisal.PowerNone) != (rd.PowerW == 0) || rd.PowerSource == appraisal.PowerNone && rd.PowerNote == "" {
			t.Errorf("%s: power %v from %q, note %q", tc.name, rd.PowerW, rd.PowerSource, rd.PowerNote)
		}
	}
}
