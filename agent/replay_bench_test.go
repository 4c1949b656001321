package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/influx"
	"github.com/perwatt/perwatt/internal/influxtest"
	"github.com/perwatt/perwatt/internal/spool"
)

// replayPoints is the backlog size of the replay target.
const replayPoints = 1_000_000

// replayLines builds n host-like lines: 1000 series, distinct timestamps.
func replayLines(n int) [][]byte {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "host_cpu,host=rig-%03d,cpu=cpu%d,site=tx-1 usage_percent=%d.25,idle_percent=%d.75 %d",
			i%1000, i%8, i%100, 99-i%100, base+int64(i/1000)*int64(time.Second))
	}
	return out
}

// BenchmarkReplay drains a 1,000,000-point spool into the test InfluxDB
// through the agent and compares it with a plain line-protocol POST loop of
// the same lines into the same server, measured in the same run:
//
//	scripts/with-influxd.sh go test ./agent -run '^$' -bench Replay -benchtime 1x
func BenchmarkReplay(b *testing.B) {
	url := influxtest.URL(b)
	lines := replayLines(replayPoints)
	for range b.N {
		plain := postLoop(b, url, influxtest.NewBucket(b, url), lines)
		gz := drainSpool(b, url, influxtest.NewBucket(b, url), lines, true)
		raw := drainSpool(b, url, influxtest.NewBucket(b, url), lines, false)
		b.ReportMetric(plain, "plain-post-points/s")
		b.ReportMetric(gz, "agent-gzip-points/s")
		b.ReportMetric(raw, "agent-points/s")
		b.ReportMetric(gz/plain, "gzip-ratio")
		b.ReportMetric(raw/plain, "ratio")
	}
}

// postLoop is the yardstick: 5000 lines per uncompressed POST, one at a time.
func postLoop(b *testing.B, url, bucket string, lines [][]byte) float64 {
	b.Helper()
	client := &http.Client{Timeout: time.Minute}
	var body bytes.Buffer
	start := time.Now()
	for i := 0; i < len(lines); i += 5000 {
		body.Reset()
		for _, l := range lines[i:min(i+5000, len(lines))] {
			body.Write(l)
			body.WriteByte('\n')
		}
		resp, err := client.Post(url+"/api/v2/write?precision=ns&bucket="+bucket, "text/plain", &body)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b.Fatalf("plain POST: %s", resp.Status)
		}
	}
	return float64(len(lines)) / time.Since(start).Seconds()
}

// drainSpool fills a spool with lines, then times the agent shipping it.
func drainSpool(b *testing.B, url, bucket string, lines [][]byte, gzip bool) float64 {
	b.Helper()
	dir := b.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{MaxBytes: 4 << 30, SegmentBytes: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	for i := 0; i < len(lines); i += 5000 {
		if err := sp.Append(lines[i:min(i+5000, len(lines))]); err != nil {
			b.Fatal(err)
		}
	}
	sink, err := influx.New(influx.Config{URL: url, Bucket: bucket, Gzip: gzip, Timeout: time.Minute}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	dl, _ := agent.OpenDeadLetter(filepath.Join(dir, "dead.lp"))
	q := spoolQueue{sp}
	ag, err := agent.New(agent.Options{Queue: q, DeadLetter: dl, Logger: slog.New(slog.DiscardHandler)},
		agent.Settings{Sink: sink, BatchLines: 5000, FlushInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	start := time.Now()
	go func() { done <- ag.Run(ctx) }()
	for q.Stats().Records > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	cancel()
	<-done
	if snap := ag.Stats().Snapshot(time.Now(), q); snap.PointsWritten != int64(len(lines)) || snap.DeadLettered != 0 {
		b.Fatalf("agent wrote %d points and dead-lettered %d; want %d and 0 (last error %q)", snap.PointsWritten, snap.DeadLettered, len(lines), snap.LastError)
	}
	return float64(len(lines)) / took.Seconds()
}
