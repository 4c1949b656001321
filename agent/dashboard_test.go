package agent_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/collectors"
	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/economics/market"
	"github.com/perwatt/perwatt/economics/powerprice"
	"github.com/perwatt/perwatt/gpubench"
	"github.com/perwatt/perwatt/internal/influx"
	"github.com/perwatt/perwatt/internal/influxtest"
	"github.com/perwatt/perwatt/internal/metric"
	"github.com/perwatt/perwatt/internal/rigtest"
	"github.com/perwatt/perwatt/internal/spool"
	"github.com/perwatt/perwatt/sha256bench"
)

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Query string `json:"query"`
		} `json:"targets"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// fixedBenchmark stands in for a benchmark this host cannot run (no GPU);
// its points and readings come from the producing package's own methods.
type fixedBenchmark struct {
	name     string
	pts      func() []metric.Point
	readings func() []appraisal.Reading
}

func (f fixedBenchmark) Readings() []appraisal.Reading {
	if f.readings == nil {
		return nil
	}
	return f.readings()
}

// offlineMarket quotes the snapshot embedded in the binary.
type offlineMarket struct{}

func (offlineMarket) Quote(context.Context) (appraisal.Quote, error) {
	return appraisal.Quote{Market: market.Offline().Market(), Source: "offline"}, nil
}

func (f fixedBenchmark) Name() string                                    { return f.name }
func (f fixedBenchmark) Run(context.Context) ([]metric.Point, error)     { return f.pts(), nil }
func (f fixedBenchmark) Collect(context.Context) ([]metric.Point, error) { return f.pts(), nil }

// TestDashboardQueriesReturnRows fills a fresh InfluxDB database through the
// agent (real host, ASIC and SHA-256d sources, the last with a wall-meter
// reading as its power since this VM has no RAPL; GPU and economics points made
// by their packages' own encoders, since this host has no GPU) and runs
// every query of dashboards/perwatt.json, variables included, asserting
// that each returns rows.
func TestDashboardQueriesReturnRows(t *testing.T) {
	base := influxtest.URL(t)
	bucket := influxtest.NewBucket(t, base)
	db, _, _ := strings.Cut(bucket, "/")

	raw, err := os.ReadFile("../dashboards/perwatt.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboards/perwatt.json: %v", err)
	}

	log := slog.New(slog.DiscardHandler)
	rig := rigtest.CGMiner(t, "../collectors/testdata/asic/antminer_s19")
	gpuPoints := func() []metric.Point {
		return []metric.Point{metric.New("gpu", map[string]string{"index": "0", "uuid": "GPU-test", "model": "NVIDIA H100 80GB HBM3"},
			map[string]any{"power_w": 412.5, "energy_total_mj": uint64(time.Now().UnixMilli() % 1e9), "util_gpu_percent": 97.0, "temp_c": 64.0}, time.Time{})}
	}
	gpuReport := &gpubench.Report{Finished: time.Now(), GPUs: []gpubench.GPUResult{{
		Device: gpubench.Device{Index: 0, Name: "NVIDIA H100 80GB HBM3", PCIBusID: "0000:3b:00.0", Arch: "hopper"},
		Kernels: []gpubench.KernelResult{
			{Kernel: "bf16_mma", Unit: gpubench.UnitFlops, Rate: 6.1e14, Verified: true, RatePerW: 6.1e14 / 690, Power: &gpubench.PowerStats{AvgW: 690}},
			{Kernel: gpubench.KernelSHA256d, Unit: gpubench.UnitHashes, Rate: 9e9, Verified: true, RatePerW: 9e9 / 610, Power: &gpubench.PowerStats{AvgW: 610}},
		},
	}}}
	gpuBench := fixedBenchmark{name: "gpubench", pts: gpuReport.Points, readings: gpuReport.Readings}
	sha := sha256bench.NewBenchmark(sha256bench.Config{Threads: 1, Duration: 200 * time.Millisecond, Warmup: -1, PowerW: 120, Logger: log})

	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	sink, err := influx.New(influx.Config{URL: base, Bucket: bucket, Gzip: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	dl, _ := agent.OpenDeadLetter(filepath.Join(t.TempDir(), "dead.lp"))
	every := func(c agent.Collector) agent.ScheduledCollector {
		return agent.ScheduledCollector{Collector: c, Interval: 300 * time.Millisecond, Timeout: 5 * time.Second}
	}
	// The appraisal round over every part that holds readings, as the
	// wiring builds it, at the embedded market and with the catalogue.
	asic := collectors.NewASIC([]collectors.ASICRig{{Address: rig, Name: "s19-a", NameplateW: 3250}}, collectors.ASICOptions{}, log)
	job := &appraisal.Job{Market: offlineMarket{}, Terms: appraisal.DefaultTerms(0.05), Catalogue: true}
	for _, p := range []any{asic, sha, gpuBench} {
		if s, ok := p.(appraisal.Source); ok {
			job.Sources = append(job.Sources, s)
		}
	}
	// The advice on that round at a scarcity price: the rig is advised to
	// curtail, the GPU (leased) to run.
	advice := &appraisal.Advice{Appraisals: job, GPUsLeased: true, PriceAlways: true,
		Price: powerprice.Chain{Sources: []powerprice.Source{powerprice.Fixed{USDPerMWh: 4500}}}}
	ag, err := agent.New(agent.Options{Queue: spoolQueue{sp}, DeadLetter: dl, Logger: log}, agent.Settings{
		Sink: sink, FlushInterval: 100 * time.Millisecond, SelfMetricsInterval: 500 * time.Millisecond,
		Tags: map[string]string{"host": "dash-test", "site": "tx-1"},
		Collectors: []agent.ScheduledCollector{
			every(collectors.NewHost(collectors.HostOptions{PerCPU: true}, log)),
			every(asic),
			every(fixedBenchmark{name: "gpu", pts: gpuPoints}),
			every(job),
			every(advice),
		},
		Benchmarks: []agent.ScheduledBenchmark{
			{Benchmark: sha, Every: 200 * time.Millisecond},
			{Benchmark: gpuBench, Every: 200 * time.Millisecond},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- ag.Run(ctx) }()
	time.Sleep(3 * time.Second)
	cancel()
	<-done
	if snap := ag.Stats().Snapshot(time.Now(), spoolQueue{sp}); snap.Spool.Records != 0 || snap.DeadLettered != 0 {
		t.Fatalf("agent left %d records and dead-lettered %d (last error %q)", snap.Spool.Records, snap.DeadLettered, snap.LastError)
	}

	var queries []string
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			queries = append(queries, v.Query)
		}
	}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the datasource variable", p.Title)
		}
		for _, tg := range p.Targets {
			queries = append(queries, tg.Query)
		}
	}
	queries = append(queries, alertQueries(t, "../dashboards/alerts/curtail.yaml")...)
	if len(queries) < 15 {
		t.Fatalf("only %d queries in the dashboard", len(queries))
	}
	grafana := strings.NewReplacer("$timeFilter", "time > now() - 1h", "$__interval", "1s", "$host", ".*")
	for _, q := range queries {
		n, err := influxRows(base, db, grafana.Replace(q))
		if err != nil {
			t.Errorf("query %q: %v", q, err)
			continue
		}
		if n == 0 {
			t.Errorf("query returned no rows: %s", q)
		}
	}
}

// influxRows runs an InfluxQL query and counts the rows of every series.
func influxRows(base, db, q string) (int, error) {
	v := url.Values{"db": {db}, "q": {q}}
	resp, err := http.Get(base + "/query?" + v.Encode())
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var doc struct {
		Error   string `json:"error"`
		Results []struct {
			Error  string `json:"error"`
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return 0, err
	}
	if doc.Error != "" {
		return 0, &queryError{doc.Error}
	}
	n := 0
	for _, r := range doc.Results {
		if r.Error != "" {
			return 0, &queryError{r.Error}
		}
		for _, s := range r.Series {
			n += len(s.Values)
		}
	}
	return n, nil
}

type queryError struct{ msg string }

func (e *queryError) Error() string { return e.msg }

// alertQueries reads the InfluxQL of every rule in a Grafana alerting
// provisioning file (one single-quoted `query:` line per rule).
func alertQueries(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, l := range strings.Split(string(raw), "\n") {
		if q, ok := strings.CutPrefix(strings.TrimSpace(l), "query: '"); ok {
			qs = append(qs, strings.ReplaceAll(strings.TrimSuffix(q, "'"), "''", "'"))
		}
	}
	if len(qs) < 2 {
		t.Fatalf("%s: %d alert queries, want 2", path, len(qs))
	}
	return qs
}
