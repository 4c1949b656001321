package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"

	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/gpubench"
	"github.com/perwatt/perwatt/sha256bench"
)

// benchFile is the union of what the bench commands write with --json:
// `bench sha256` (a result at the top level), `bench gpu` (a report at the
// top level) and `bench all` (both under sha256 and gpu). Economics the
// file carries are ignored: devices are priced again at today's market.
type benchFile struct {
	sha256bench.Result
	GPUs   []gpubench.GPUResult `json:"gpus"`
	SHA256 *sha256bench.Result  `json:"sha256"`
	GPU    *gpubench.Report     `json:"gpu"`
}

// measuredReadings reads one saved benchmark into device readings, refusing
// a file that is not a benchmark or has no power reading at all.
func measuredReadings(file string) ([]appraisal.Reading, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usagef("--measured: %w", err)
	}
	var v benchFile
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, usagef("--measured %s: not JSON (byte %d: %v); want the output of 'perwatt bench sha256|gpu|all --json'", file, se.Offset, err)
		}
		return nil, usagef("--measured %s: not the JSON of 'perwatt bench sha256|gpu|all --json': %v", file, err)
	}
	var rs []appraisal.Reading
	for _, res := range []*sha256bench.Result{&v.Result, v.SHA256} {
		if rd, ok := res.Reading(); ok {
			rs = append(rs, rd)
		}
	}
	for _, rep := range []*gpubench.Report{{GPUs: v.GPUs}, v.GPU} {
		rs = append(rs, rep.Readings()...)
	}
	if len(rs) == 0 {
		return nil, usagef("--measured %s: no verified SHA-256d rate and no verified GPU kernel in it", file)
	}
	for _, r := range rs {
		if r.PowerW > 0 || r.HashPowerW > 0 || r.AILoadW > 0 {
			return rs, nil
		}
	}
	return nil, usagef("--measured %s: the benchmark has no power reading (%s); rerun it with --power-w", file, rs[0].PowerNote)
}

// measuredProfiles appraises the readings of the --measured files and
// returns the profiles of every use that has power, to stand beside the
// catalogue; a device without power is left out (its file was refused
// above only when nothing in it had power).
func measuredProfiles(files []string, m economics.Market, terms appraisal.Terms) ([]economics.Profile, error) {
	var rs []appraisal.Reading
	for _, file := range files {
		r, err := measuredReadings(file)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r...)
	}
	var out []economics.Profile
	for _, r := range appraisal.Merge(rs) {
		a, err := appraisal.Appraise(m, terms, r)
		if err != nil {
			return nil, usageError{err}
		}
		for _, u := range []*appraisal.Use{a.Mining, a.Leasing} {
			if u != nil && u.Profile != nil {
				out = append(out, u.Profile)
			}
		}
	}
	return out, nil
}
