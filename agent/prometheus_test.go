package agent_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/metric"
)

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, typ dto.MetricType, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	if f.GetType() != typ {
		t.Errorf("%s is a %v, want %v", name, f.GetType(), typ)
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		if m.Gauge != nil {
			return m.Gauge.GetValue()
		}
		return m.Counter.GetValue()
	}
	t.Fatalf("%s has no sample with labels %v", name, want)
	return 0
}

func TestPrometheusEndpoint(t *testing.T) {
	t.Parallel()
	host := &fakeCollector{name: "host", fn: func(_ context.Context, call int64) ([]metric.Point, error) {
		return []metric.Point{
			metric.New("host_diskio", map[string]string{"device": "nvme0n1"}, map[string]any{
				"read_time_ms_total": uint64(2500), "read_bytes_total": uint64(1 << 20), "util_percent": 12.5,
			}, time.Time{}),
			metric.New("rapl", map[string]string{"zone": "package", "package": "0"}, map[string]any{
				"energy_j": 1234.5, "power_w": 88.25, "energy_uj": uint64(1234500000),
			}, time.Time{}),
			metric.New("host_power", map[string]string{"source": "ipmi", "bmc": "local"}, map[string]any{"power_w": 612.0}, time.Time{}),
			metric.New("asic", map[string]string{"rig": "s21-07", "model": "Antminer S21"}, map[string]any{
				"hashrate_hs": 2.0e14, "alive": true, "pool": "stratum+tcp://x", "temp_max_c": int64(71),
			}, time.Time{}),
			// The same family with other tags: labels are the union.
			metric.New("asic", map[string]string{"rig": "m60-02"}, map[string]any{"hashrate_hs": 1.7e14}, time.Time{}),
		}, nil
	}}
	gpu := &fakeCollector{name: "nvml", fn: func(context.Context, int64) ([]metric.Point, error) {
		return nil, fmt.Errorf("nvml: %w: no driver", absentErr{})
	}}
	q := newMemQueue()
	dl, _ := agent.OpenDeadLetter(filepath.Join(t.TempDir(), "dead.lp"))
	sched := func(c agent.Collector) agent.ScheduledCollector {
		return agent.ScheduledCollector{Collector: c, Interval: 20 * time.Millisecond, Timeout: 20 * time.Millisecond}
	}
	ag, err := agent.New(agent.Options{Queue: q, DeadLetter: dl, Logger: slog.New(slog.DiscardHandler)}, agent.Settings{
		Sink: &recordingSink{}, FlushInterval: 10 * time.Millisecond, Tags: map[string]string{"site": "tx-1"},
		Collectors: []agent.ScheduledCollector{sched(host), sched(gpu)},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ag.EnablePrometheus(time.Minute))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ag.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 10*time.Second, "two rounds", func() bool { return host.calls.Load() >= 2 && gpu.calls.Load() >= 2 })

	fams := scrape(t, srv.URL+"/metrics")
	if testing.Verbose() {
		for k := range fams {
			t.Log(k)
		}
	}
	G, C := dto.MetricType_GAUGE, dto.MetricType_COUNTER
	if v := value(t, fams, "perwatt_host_power_watts", G, map[string]string{"source": "ipmi", "site": "tx-1"}); v != 612 {
		t.Errorf("wall power = %v", v)
	}
	if v := value(t, fams, "perwatt_rapl_energy_joules_total", C, map[string]string{"zone": "package"}); v != 1234.5 {
		t.Errorf("energy = %v", v)
	}
	if v := value(t, fams, "perwatt_rapl_power_watts", G, nil); v != 88.25 {
		t.Errorf("rapl power = %v", v)
	}
	if v := value(t, fams, "perwatt_host_diskio_read_time_seconds_total", C, map[string]string{"device": "nvme0n1"}); v != 2.5 {
		t.Errorf("read time = %v s, want 2.5 (from 2500 ms)", v)
	}
	if v := value(t, fams, "perwatt_host_diskio_read_bytes_total", C, nil); v != 1<<20 {
		t.Errorf("read bytes = %v", v)
	}
	if v := value(t, fams, "perwatt_asic_hashrate_hashes_per_second", G, map[string]string{"rig": "m60-02", "model": ""}); v != 1.7e14 {
		t.Errorf("hashrate = %v", v)
	}
	if v := value(t, fams, "perwatt_asic_alive", G, map[string]string{"rig": "s21-07"}); v != 1 {
		t.Errorf("alive = %v", v)
	}
	if v := value(t, fams, "perwatt_asic_temp_max_celsius", G, nil); v != 71 {
		t.Errorf("temp = %v", v)
	}
	if _, ok := fams["perwatt_asic_pool"]; ok {
		t.Error("a string field exported as a metric")
	}
	// The agent's own health, absent hardware not counted as failing.
	if v := value(t, fams, "perwatt_agent_up", G, nil); v != 1 {
		t.Errorf("up = %v", v)
	}
	if v := value(t, fams, "perwatt_agent_points_spooled_total", C, nil); v < 10 {
		t.Errorf("points spooled = %v", v)
	}
	if v := value(t, fams, "perwatt_collector_absent", G, map[string]string{"collector": "nvml"}); v != 1 {
		t.Errorf("nvml absent = %v", v)
	}
	if v := value(t, fams, "perwatt_collector_errors_total", C, map[string]string{"collector": "nvml"}); v != 0 {
		t.Errorf("nvml errors = %v, want 0: absent is not an error", v)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}

	// A scraper that stops reading does not hold up collection.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil { // status line, then stall
		t.Fatal(err)
	}
	before := host.calls.Load()
	waitFor(t, 10*time.Second, "collection continues beside a stalled scrape", func() bool { return host.calls.Load() >= before+5 })
}
