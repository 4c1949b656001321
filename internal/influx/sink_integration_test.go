package influx

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/influxtest"
	"github.com/perwatt/perwatt/internal/metric"
)

// TestWriteAndQueryBack writes through the sink into the real InfluxDB and
// reads the points back with Flux through the client's QueryAPI.
func TestWriteAndQueryBack(t *testing.T) {
	base := influxtest.URL(t)
	bucket := influxtest.NewBucket(t, base)
	sink, err := New(Config{URL: base, Bucket: bucket, Gzip: true, BatchLines: 7}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sink.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	// 20 points in batches of 7: three requests, gzip on. Timestamps carry
	// nanoseconds so precision loss would show.
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second).Add(123456789)
	var lines []string
	for i := range 20 {
		p := metric.New("gpu",
			map[string]string{"host": "n1", "uuid": fmt.Sprintf("GPU-%d", i%2)},
			map[string]any{"power_w": 100.5 + float64(i), "pstate": int64(i % 3)},
			t0.Add(time.Duration(i)*time.Second))
		lines = append(lines, metric.Line(p))
	}
	n, err := sink.Write(ctx, lines)
	if err != nil || n != len(lines) {
		t.Fatalf("Write = %d, %v", n, err)
	}

	flux := fmt.Sprintf(`from(bucket: %q)
  |> range(start: -1h)
  |> filter(fn: (r) => r._measurement == "gpu" and r._field == "power_w")`, bucket)
	res, err := sink.Client().QueryAPI("").Query(ctx, flux)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	type row struct {
		t    time.Time
		uuid string
		v    float64
	}
	var rows []row
	for res.Next() {
		r := res.Record()
		if r.ValueByKey("host") != "n1" {
			t.Errorf("host tag = %v", r.ValueByKey("host"))
		}
		rows = append(rows, row{r.Time(), r.ValueByKey("uuid").(string), r.Value().(float64)})
	}
	if res.Err() != nil {
		t.Fatal(res.Err())
	}
	if len(rows) != 20 {
		t.Fatalf("got %d rows, want 20", len(rows))
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].t.Before(rows[j].t) })
	for i, r := range rows {
		if want := t0.Add(time.Duration(i) * time.Second); !r.t.Equal(want) {
			t.Errorf("row %d time %s, want %s", i, r.t, want)
		}
		if want := fmt.Sprintf("GPU-%d", i%2); r.uuid != want {
			t.Errorf("row %d uuid %s, want %s", i, r.uuid, want)
		}
		if want := 100.5 + float64(i); r.v != want {
			t.Errorf("row %d power_w %v, want %v", i, r.v, want)
		}
	}
}

// TestRejectedLineIsClassified checks the real server's answer to a field
// type conflict: a permanent rejection, not something to retry.
func TestRejectedLineIsClassified(t *testing.T) {
	base := influxtest.URL(t)
	bucket := influxtest.NewBucket(t, base)
	sink, err := New(Config{URL: base, Bucket: bucket}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	ctx := context.Background()
	now := time.Now().UnixNano()
	if err := sink.WriteBody(ctx, fmt.Sprintf("m v=1 %d", now)); err != nil {
		t.Fatal(err)
	}
	err = sink.WriteBody(ctx, fmt.Sprintf("m v=\"text\" %d", now+1))
	if ClassOf(err) != Rejected {
		t.Fatalf("field type conflict classified %v (%v), want rejected", ClassOf(err), err)
	}
}
