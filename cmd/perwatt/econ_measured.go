package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/perwatt/perwatt/economics"
)

// measuredProfiles turns saved `perwatt bench sha256 --json` and `perwatt
// bench gpu --json` outputs into profiles, so `econ` can put this host's own
// measured figures next to the catalogue.
func measuredProfiles(file string) ([]economics.Profile, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usagef("--measured: %w", err)
	}
	return measuredProfilesJSON(b, file)
}

// measuredProfilesJSON reads the JSON contract of the benchmark commands, so
// a saved file (`econ --measured`) and a run in progress (`bench all`) turn
// into profiles the same way. file names the origin in errors and sources.
func measuredProfilesJSON(b []byte, file string) ([]economics.Profile, error) {
	var v struct {
		HashrateHS *float64 `json:"hashrate_hs"`
		PowerW     *float64 `json:"power_w"`
		CPUModel   string   `json:"cpu_model"`
		Kernel     string   `json:"kernel"`
		Economics  []struct {
			Name    string            `json:"name"`
			GPU     int               `json:"gpu"`
			Leasing *economics.Result `json:"leasing"`
			Mining  *economics.Result `json:"mining"`
		} `json:"economics"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, usagef("--measured %s: not the JSON of 'perwatt bench sha256 --json' or 'perwatt bench gpu --json': %v", file, err)
	}
	var out []economics.Profile
	if v.HashrateHS != nil {
		if v.PowerW == nil || !(*v.PowerW > 0) {
			return nil, usagef("--measured %s: the benchmark has no power reading (no RAPL here?); rerun it with --power-w", file)
		}
		p := economics.NewMining(fmt.Sprintf("this host: %s %s", v.CPUModel, v.Kernel), *v.HashrateHS, *v.PowerW)
		p.Source = "measured: " + file
		out = append(out, p)
	}
	for _, e := range v.Economics {
		if r := e.Mining; r != nil && r.HashrateHS > 0 && r.DevicePowerW > 0 {
			p := economics.NewMining(fmt.Sprintf("GPU %d %s SHA-256d (measured)", e.GPU, e.Name), r.HashrateHS, r.DevicePowerW)
			p.PUE, p.Source = r.FacilityPowerW/r.DevicePowerW, "measured: "+file
			out = append(out, p)
		}
		if r := e.Leasing; r != nil && r.DevicePowerW > 0 {
			// The benchmark priced the lease already; keep its revenue exactly by
			// billing the effective rate (rate × utilization) every hour.
			p := economics.Leasing{Name: fmt.Sprintf("GPU %d %s lease (measured power)", e.GPU, e.Name),
				RateUSDPerGPUHour: r.RevenueUSDPerDay / 24, PowerW: r.DevicePowerW, Utilization: 1,
				PUE: r.FacilityPowerW / r.DevicePowerW, Source: "measured: " + file}
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, usagef("--measured %s: no hashrate_hs with power_w, and no GPU economics, to build a profile from", file)
	}
	for _, p := range out {
		if err := p.Validate(); err != nil {
			return nil, usagef("--measured %s: %w", file, err)
		}
	}
	return out, nil
}
