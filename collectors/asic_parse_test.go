package collectors

import (
	"github.com/perwatt/perwatt/internal/metric"

	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseReplyBroken(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string // substring; "" means it must parse
		check   func(t *testing.T, obj map[string]any)
	}{
		{file: "trailing_nul.json", check: wantSummaryHash(95000.5e9)},
		{file: "garbage_after_nul.json", check: wantSummaryHash(95000.5e9)},
		{file: "trailing_comma.json", check: wantSummaryHash(95000.5e9)},
		{file: "stray_newlines.json", check: wantSummaryHash(95000.5e9)},
		{file: "missing_comma.json", check: func(t *testing.T, obj map[string]any) {
			if n := len(section(obj, "STATS")); n != 2 {
				t.Fatalf("STATS has %d objects, want 2 (the `}{` pair)", n)
			}
		}},
		{file: "inf_nan.json", check: func(t *testing.T, obj map[string]any) {
			s := section(obj, "SUMMARY")[0]
			for _, k := range []string{"GHS 5s", "GHS av", "GHS 30m", "Accepted", "Rejected"} {
				if v, ok := numKey(s, k); ok {
					t.Errorf("%s = %v, want absent (inf/nan)", k, v)
				}
			}
			if v, ok := numKey(s, "Hardware Errors"); !ok || v != 3 {
				t.Errorf("Hardware Errors = %v, %v; want 3", v, ok)
			}
		}},
		{file: "truncated.json", wantErr: "reply truncated after"},
		{file: "html.txt", wantErr: "not JSON"},
		{file: "error_status.json", wantErr: `refused the command: "Invalid command"`},
		{file: "whatsminer_error.json", wantErr: `refused the command: "Permission denied"`},
		{file: "empty.json", wantErr: "empty reply"},
		{file: "array.json", wantErr: "want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "asic", "broken", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			obj, err := parseReply(b)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseReply error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseReply: %v", err)
			}
			tt.check(t, obj)
		})
	}
}

func wantSummaryHash(want float64) func(*testing.T, map[string]any) {
	return func(t *testing.T, obj map[string]any) {
		t.Helper()
		s := section(obj, "SUMMARY")
		if len(s) != 1 {
			t.Fatalf("SUMMARY has %d objects, want 1", len(s))
		}
		if got, ok := hashrate(s[0], "5s"); !ok || got != want {
			t.Fatalf("5s hashrate = %v (%v), want %v", got, ok, want)
		}
	}
}

func TestParseReplyTruncatedIsErrTruncated(t *testing.T) {
	_, err := parseReply([]byte(`{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"GHS 5s":"1`))
	if !errors.Is(err, errTruncated) {
		t.Fatalf("err = %v, want errTruncated", err)
	}
}

func TestRepairLeavesStringsAlone(t *testing.T) {
	obj, err := parseReply([]byte("{\"Msg\":\"a,}{b inf nan\",\"Desc\":\"x}\n{y\"}"))
	if err != nil {
		t.Fatal(err)
	}
	if obj["Msg"] != "a,}{b inf nan" {
		t.Errorf("Msg = %q", obj["Msg"])
	}
	if obj["Desc"] != "x} {y" {
		t.Errorf("Desc = %q, want the raw newline turned into a space", obj["Desc"])
	}
}

func TestNum(t *testing.T) {
	tests := []struct {
		in   any
		want float64
		ok   bool
	}{
		{"95000.12", 95000.12, true},
		{" 12 ", 12, true},
		{"inf", 0, false},
		{"NaN", 0, false},
		{"-Infinity", 0, false},
		{"", 0, false},
		{true, 0, false},
		{nil, 0, false},
		{3.5, 3.5, true},
	}
	for _, tt := range tests {
		got, ok := num(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("num(%#v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParse checks that no reply, however mangled, panics the parser or
// the normaliser, and that whatever comes out is writable to InfluxDB.
// Seeds: every fixture reply plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "asic", "*", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && !strings.HasSuffix(p, ".lp") {
			f.Add(b)
		}
	}
	rig := ASICRig{Address: "10.0.0.1:4028", NameplateW: 3000}
	ts := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		obj, err := parseReply(b)
		if err != nil {
			if obj != nil {
				t.Fatal("parseReply returned an object with an error")
			}
			return
		}
		replies := map[string]map[string]any{}
		for _, c := range []string{"summary", "stats", "devs", "pools", "version", "devdetails", "tunerstatus", "temps", "fans", "power",
			"get_version", "get_miner_info", "get_error_code"} {
			replies[c] = obj
		}
		for _, p := range normalizeRig(rig, replies, ts) {
			if err := p.Validate(); err != nil {
				t.Fatalf("normalised point is not writable: %v", err)
			}
		}
	})
}

// normalizeRig runs the cgminer-family normaliser the way a poll does.
func normalizeRig(rig ASICRig, replies map[string]map[string]any, ts time.Time) []metric.Point {
	r := ASICReading{Address: rig.Address, Name: rig.Name, At: ts, Up: true, API: apiCgminer}
	normalizeCgminer(&r, replies)
	r.finish(rig.NameplateW)
	return r.points()
}
