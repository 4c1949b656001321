package agent

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// Synthetic is a test aid, not a measurement: a collector whose points are
// known in advance, so crash and outage tests can check that every one of
// them reached the server. Enable it with PERWATT_TEST_SYNTHETIC (see
// ParseSynthetic); it is never built from the config file.
//
// Each point is perwatt_synthetic,series=<s> seq=<n>i,value=<n*0.5> at a
// timestamp unique across restarts (the collection time in µs plus the
// index), so (series, time) identifies it on the server.
type Synthetic struct {
	PerTick  int
	Interval time.Duration
	seq      int64
}

// ParseSynthetic reads "POINTS@INTERVAL", e.g. "200@10ms".
func ParseSynthetic(spec string) (*Synthetic, error) {
	n, iv, ok := strings.Cut(spec, "@")
	points, err1 := strconv.Atoi(n)
	d, err2 := time.ParseDuration(iv)
	if !ok || err1 != nil || err2 != nil || points < 1 || points > 999 || d < time.Millisecond {
		return nil, fmt.Errorf("PERWATT_TEST_SYNTHETIC=%q: want POINTS@INTERVAL with 1-999 points and an interval of at least 1ms, e.g. 200@10ms", spec)
	}
	return &Synthetic{PerTick: points, Interval: d}, nil
}

func (s *Synthetic) Name() string { return "synthetic" }

func (s *Synthetic) Collect(ctx context.Context) ([]metric.Point, error) {
	base := time.Now().Truncate(time.Microsecond)
	pts := make([]metric.Point, s.PerTick)
	for i := range pts {
		s.seq++
		pts[i] = metric.New("perwatt_synthetic",
			map[string]string{"series": "s" + strconv.Itoa(i%4)},
			map[string]any{"seq": s.seq, "value": float64(s.seq) * 0.5},
			base.Add(time.Duration(i)))
	}
	return pts, ctx.Err()
}
