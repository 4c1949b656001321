package metric

import (
	"math"
	"testing"
	"time"
)

func TestAppendLine(t *testing.T) {
	ts := time.Unix(1700000000, 123456789)
	tests := []struct {
		name string
		p    Point
		want string
	}{
		{
			name: "sorted tags and fields with types",
			p: New("gpu", map[string]string{"uuid": "GPU-1", "host": "n1"},
				map[string]any{"power_w": 312.5, "energy_mj": uint64(42), "pstate": int64(0), "throttled": true, "model": "H100"}, ts),
			want: `gpu,host=n1,uuid=GPU-1 energy_mj=42i,model="H100",power_w=312.5,pstate=0i,throttled=true 1700000000123456789`,
		},
		{
			name: "escapes",
			p: New("my meas,x", map[string]string{"a b": "c=d,e"},
				map[string]any{"f\"": `say "hi"\`}, ts),
			want: `my\ meas\,x,a\ b=c\=d\,e f"="say \"hi\"\\" 1700000000123456789`,
		},
		{
			name: "empty tags and NaN fields dropped",
			p:    New("m", map[string]string{"empty": ""}, map[string]any{"nan": math.NaN(), "ok": 1.0}, ts),
			want: `m ok=1 1700000000123456789`,
		},
		{
			name: "huge unsigned keeps u suffix",
			p:    New("m", nil, map[string]any{"c": uint64(math.MaxUint64)}, ts),
			want: `m c=18446744073709551615u 1700000000123456789`,
		},
		{
			name: "no storable field gives nothing",
			p:    New("m", nil, map[string]any{"inf": math.Inf(1)}, ts),
			want: ``,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.p); got != tt.want {
				t.Errorf("Line()\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestWithTagsPointTagsWin(t *testing.T) {
	p := New("m", map[string]string{"host": "own"}, map[string]any{"v": 1.0}, time.Unix(1, 0))
	q := p.WithTags(map[string]string{"host": "global", "site": "s1"})
	if q.Tags["host"] != "own" || q.Tags["site"] != "s1" {
		t.Fatalf("tags = %v", q.Tags)
	}
	if _, ok := p.Tags["site"]; ok {
		t.Fatal("WithTags modified the original point")
	}
}

func TestValidate(t *testing.T) {
	ts := time.Unix(1, 0)
	bad := []Point{
		New("", nil, map[string]any{"v": 1.0}, ts),
		New("m", nil, nil, ts),
		New("m", nil, map[string]any{"v": 1.0}, time.Time{}),
		New("m", nil, map[string]any{"v": math.NaN()}, ts),
		New("m", nil, map[string]any{"v": 3}, ts), // plain int is not allowed
	}
	for i, p := range bad {
		if p.Validate() == nil {
			t.Errorf("case %d: Validate() = nil, want error", i)
		}
	}
	if err := New("m", nil, map[string]any{"v": 1.0}, ts).Validate(); err != nil {
		t.Errorf("valid point: %v", err)
	}
}
