//go:build cgo

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
	protocol "github.com/influxdata/line-protocol"

	"github.com/perwatt/perwatt/collectors"
	"github.com/perwatt/perwatt/economics/market"
	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/internal/metric"
	"github.com/perwatt/perwatt/internal/rigtest"
)

// oneH100 is an NVML mock with one H100 drawing 350 W.
func oneH100() nvml.Interface {
	srv := dgxh100.New()
	srv.Devices = srv.Devices[:1]
	dev := srv.Devices[0].(*server.Device)
	busID := "00000000:3B:00.0"
	dev.GetPciInfoFunc = func() (nvml.PciInfo, nvml.Return) {
		var p nvml.PciInfo
		for j := range len(busID) {
			p.BusId[j] = int8(busID[j])
		}
		return p, nvml.SUCCESS
	}
	dev.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 350000, nvml.SUCCESS }
	dev.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 123456789, nvml.SUCCESS }
	// Everything else this driver does not support: power and energy are
	// all the appraisal needs.
	ns := nvml.ERROR_NOT_SUPPORTED
	dev.GetMaxClockInfoFunc = func(nvml.ClockType) (uint32, nvml.Return) { return 0, ns }
	dev.GetClockInfoFunc = func(nvml.ClockType) (uint32, nvml.Return) { return 0, ns }
	dev.GetFieldValuesFunc = func([]nvml.FieldValue) nvml.Return { return ns }
	dev.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return 0, ns }
	dev.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) { return nvml.Utilization{}, ns }
	dev.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 0, ns }
	dev.GetPerformanceStateFunc = func() (nvml.Pstates, nvml.Return) { return 0, ns }
	dev.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) { return 0, ns }
	return srv
}

// TestAgentOnceAppraisesEveryDevice runs one `agent --once` round over a
// test fleet — this host, a Whatsminer whose firmware meters its power, a
// stock Antminer without power or nameplate, and an H100 through the NVML
// mock — at the embedded market, and checks each appraisal point against
// the formula computed here by hand. The H100's lease comes out the same
// from `econ --measured` on a benchmark file of the same power.
func TestAgentOnceAppraisesEveryDevice(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"STATE_DIRECTORY": state} // no cache: the embedded snapshot
	cfg := config.Default()
	cfg.Tags = map[string]string{"host": "golden-host", "site": "tx-1"}
	cfg.Economics.MempoolURL, cfg.Economics.BlockchainURL = "", ""
	cfg.Spool.Dir = filepath.Join(t.TempDir(), "spool")
	log := slog.New(slog.DiscardHandler)

	wm := rigtest.CGMiner(t, "../../collectors/testdata/asic/whatsminer")
	s19 := rigtest.CGMiner(t, "../../collectors/testdata/asic/antminer_s19")
	asic := collectors.NewASIC([]collectors.ASICRig{{Address: wm, Name: "m50s-1"}, {Address: s19, Name: "s19-1"}}, collectors.ASICOptions{}, log)
	cs := []wiredCollector{
		{collectors.NewHost(collectors.HostOptions{}, log), time.Second},
		{asic, 30 * time.Second},
		{collectors.NewNVML(oneH100(), log), time.Second},
	}
	var out bytes.Buffer
	a := &app{ctx: context.Background(), getenv: func(k string) string { return env[k] }, stdout: &out, logger: log, cfg: cfg}
	if err := a.onceRound(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	lines, err := parseLP(out.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := map[string]metric.Point{}
	hostSeen := false
	for _, p := range lines {
		switch p.Measurement {
		case "appraisal":
			got[p.Tags["device"]] = p
			if p.Tags["host"] != "golden-host" || p.Tags["site"] != "tx-1" || p.Tags["market_source"] != "offline" {
				t.Errorf("appraisal tags %v", p.Tags)
			}
		case "host":
			hostSeen = true
		}
	}
	if !hostSeen || len(got) != 3 {
		t.Fatalf("want host points and 3 appraisals, got host=%v appraisals=%v\n%s", hostSeen, got, out.String())
	}

	// By hand, at the embedded market m: BTC per H/s per day is
	// 86400 × (subsidy + fees) / (difficulty × 2^32); a 2.5 % pool keeps
	// 2.5 %; power costs $0.05/kWh at PUE 1.
	m := market.Offline().Market()
	usdPerHashDay := 86400 * (m.SubsidyBTC + m.FeesBTCPerBlock) / (m.Difficulty * math.Pow(2, 32)) * m.BTCPriceUSD
	mine := func(hs, w float64) (rev, net, netPerWYr, breakeven float64) {
		rev = hs * usdPerHashDay * 0.975
		net = rev - w/1000*24*0.05
		return rev, net, net * 365 / w, rev / (w / 1000 * 24)
	}
	field := func(p metric.Point, k string) float64 {
		t.Helper()
		v, ok := p.Fields[k].(float64)
		if !ok {
			t.Errorf("%s %s: %v", p.Tags["device"], k, p.Fields[k])
		}
		return v
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.10g, want %.10g", what, got, want)
		}
	}

	// The Whatsminer meters 3276 W and hashes 126.01234567 TH/s on average.
	w := got["m50s-1"]
	rev, net, perW, be := mine(1.2601234567e14, 3276)
	if w.Tags["power_source"] != "measured" || w.Tags["device_kind"] != "asic" || w.Tags["model"] == "" {
		t.Errorf("whatsminer tags %v", w.Tags)
	}
	near("whatsminer revenue", field(w, "mining_revenue_usd_per_day"), rev)
	near("whatsminer net", field(w, "mining_net_usd_per_day"), net)
	near("whatsminer net/W-yr", field(w, "mining_net_usd_per_w_year"), perW)
	near("whatsminer breakeven", field(w, "mining_breakeven_usd_per_kwh"), be)
	if w.Fields["best_use"] != "mining" {
		t.Errorf("whatsminer best use %v", w.Fields["best_use"])
	}

	// The stock Antminer has no power: revenue only, and why.
	s := got["s19-1"]
	rev, _, _, _ = mine(9.487612e13, 1)
	near("s19 revenue", field(s, "mining_revenue_usd_per_day"), rev)
	for _, k := range []string{"power_w", "mining_net_usd_per_day", "mining_revenue_usd_per_w_year", "best_use"} {
		if _, ok := s.Fields[k]; ok {
			t.Errorf("s19 without power has %s", k)
		}
	}
	if s.Tags["power_source"] != "none" || s.Fields["power_note"] == nil {
		t.Errorf("s19: %v %v", s.Tags, s.Fields)
	}

	// The H100: $2.00/GPU-h × 24 × 0.7 over 350 W board + 575 W of server.
	g := got["0000:3b:00.0"]
	leaseRev := 2.00 * 24 * 0.7
	leaseNet := leaseRev - 0.925*24*0.05
	near("h100 lease revenue", field(g, "leasing_revenue_usd_per_day"), leaseRev)
	near("h100 lease net/W-yr", field(g, "leasing_net_usd_per_w_year"), leaseNet*365/925)
	if g.Tags["power_source"] != "measured" || g.Fields["best_use"] != "leasing" {
		t.Errorf("h100: %v %v", g.Tags, g.Fields)
	}

	// econ --measured on a benchmark of the same GPU at the same power
	// prices the lease identically.
	file := filepath.Join(t.TempDir(), "gpu.json")
	os.WriteFile(file, []byte(`{"gpus":[{"name":"NVIDIA H100 80GB HBM3","pci_bus_id":"0000:3b:00.0","kernels":[
		{"kernel":"bf16_mma","unit":"flop/s","rate":6e14,"verified":true,"power":{"avg_w":350}}]}]}`), 0o644)
	outJSON, errOut, code := perwatt(t, env, "econ", "--offline", "--json", "--miner", "name=S21", "--measured", file)
	if code != 0 {
		t.Fatalf("econ --measured: exit %d: %s", code, errOut)
	}
	var v struct {
		Profiles []struct {
			Name      string  `json:"name"`
			NetPerWYr float64 `json:"net_usd_per_w_year"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(outJSON), &v); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range v.Profiles {
		if p.Name == fmt.Sprintf("GPU %s (%s) lease", "0000:3b:00.0", "NVIDIA H100 80GB HBM3") {
			found = true
			near("econ --measured lease net/W-yr", p.NetPerWYr, field(g, "leasing_net_usd_per_w_year"))
		}
	}
	if !found {
		t.Errorf("no H100 lease in %+v", v.Profiles)
	}
}

// parseLP reads line protocol with InfluxData's own parser, so the test
// checks what InfluxDB would store, not what perwatt meant to write.
func parseLP(b []byte) ([]metric.Point, error) {
	ms, err := protocol.NewParser(protocol.NewMetricHandler()).Parse(b)
	if err != nil {
		return nil, err
	}
	out := make([]metric.Point, len(ms))
	for i, m := range ms {
		p := metric.Point{Measurement: m.Name(), Tags: map[string]string{}, Fields: map[string]any{}, Time: m.Time()}
		for _, t := range m.TagList() {
			p.Tags[t.Key] = t.Value
		}
		for _, f := range m.FieldList() {
			p.Fields[f.Key] = f.Value
		}
		out[i] = p
	}
	return out, nil
}
