package appraisal

import (
	"cmp"
	"slices"
)

// Merge folds readings of the same device (kind and id) from different
// producers into one, later non-zero fields over earlier ones, and spreads a
// server's wall power over its GPUs. The result is sorted by kind and id so
// points and tables come out in a stable order.
//
// Wall power covers the whole server: each GPU is given a share in
// proportion to its board power (the CPUs, fans and PSU losses run for the
// GPUs), its board power is kept beside the share, and its power source
// becomes "wall". A host with no GPU keeps its wall reading to itself: a
// CPU benchmark's watts were measured over the benchmark, not now.
func Merge(rs []Reading) []Reading {
	idx := map[[2]string]int{}
	var out []Reading
	for _, r := range rs {
		k := [2]string{string(r.Kind), r.ID}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, r)
			continue
		}
		out[i] = overlay(out[i], r)
	}
	spreadWall(out)
	slices.SortFunc(out, func(a, b Reading) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func overlay(a, b Reading) Reading {
	set := func(dst *float64, v float64) {
		if v != 0 {
			*dst = v
		}
	}
	if b.Model != "" {
		a.Model = b.Model
	}
	if b.At.After(a.At) {
		a.At = b.At
	}
	set(&a.HashrateHS, b.HashrateHS)
	if b.PowerSource != PowerNone && b.PowerW > 0 {
		a.PowerW, a.PowerSource, a.PowerNote = b.PowerW, b.PowerSource, ""
	} else if a.PowerSource == PowerNone && b.PowerNote != "" {
		a.PowerNote = b.PowerNote
	}
	set(&a.HashPowerW, b.HashPowerW)
	set(&a.AILoadW, b.AILoadW)
	set(&a.FLOPS, b.FLOPS)
	set(&a.BoardPowerW, b.BoardPowerW)
	return a
}

func spreadWall(rs []Reading) {
	wall := 0.0
	for _, r := range rs {
		if r.Kind == KindHost && r.PowerSource == PowerWall && r.PowerW > 0 {
			wall += r.PowerW
		}
	}
	if wall == 0 {
		return
	}
	var gpus []int
	boards := 0.0
	for i, r := range rs {
		if r.Kind == KindGPU && r.PowerSource == PowerMeasured && r.PowerW > 0 {
			gpus = append(gpus, i)
			boards += r.PowerW
		}
	}
	if len(gpus) == 0 {
		return
	}
	for _, i := range gpus {
		r := &rs[i]
		r.BoardPowerW = r.PowerW
		r.PowerW = wall * r.PowerW / boards
		r.PowerSource = PowerWall
	}
}
