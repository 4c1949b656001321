//go:build cgo

package collectors

import (
	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/gpuid"
)

// Readings is every GPU's board power from the last collection, in the
// appraisal's terms; the GPU is identified by its normalised PCI bus id, as
// gpubench identifies it, so the two readings of one GPU meet.
func (n *NVML) Readings() []appraisal.Reading {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]appraisal.Reading(nil), n.last...)
}

func (n *NVML) reading(g *gpuDevice, s GPUSample) appraisal.Reading {
	id, err := gpuid.NormalizePCIBusID(g.info.PCIBusID)
	if err != nil {
		id = g.info.PCIBusID
	}
	r := appraisal.Reading{Kind: appraisal.KindGPU, ID: id, Model: g.info.Model, At: s.Time}
	if s.PowerW > 0 {
		r.PowerW, r.PowerSource = s.PowerW, appraisal.PowerMeasured
	} else {
		r.PowerNote = "NVML gave no board power for this GPU"
	}
	return r
}
