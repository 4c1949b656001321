package powerprice

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var cdt = time.FixedZone("CDT", -5*3600)

func TestParseAmount(t *testing.T) {
	at := time.Date(2026, 7, 8, 18, 0, 0, 0, cdt)
	for _, tc := range []struct {
		in   string
		want float64
		at   time.Time
		err  string
	}{
		{"42.5 usd/mwh\n", 42.5, time.Time{}, ""},
		{"0.0425 USD/kWh", 42.5, time.Time{}, ""},
		{"-12 $/MWh 2026-07-08T18:00:00-05:00", -12, at, ""},
		{"42.5", 0, time.Time{}, "no unit"},
		{"42.5 eur/mwh", 0, time.Time{}, "unit \"eur/mwh\""},
		{"forty usd/mwh", 0, time.Time{}, "not a number"},
		{"425 usd/kwh", 0, time.Time{}, "not a believable"}, // 425,000 USD/MWh: a unit mix-up
		{"NaN usd/mwh", 0, time.Time{}, "not a believable"},
		{"42 usd/mwh yesterday", 0, time.Time{}, "not RFC 3339"},
		{"", 0, time.Time{}, "empty"},
	} {
		v, got, err := ParseAmount(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || v != tc.want || !got.Equal(tc.at) {
			t.Errorf("%q: %v %v %v, want %v %v", tc.in, v, got, err, tc.want, tc.at)
		}
	}
}

func TestParseDocument(t *testing.T) {
	now := time.Date(2026, 7, 8, 18, 20, 0, 0, cdt)
	csv := "timestamp,usd_per_mwh\n2026-07-08T18:00:00-05:00,1800\n2026-07-08T18:15:00-05:00,4500\n2026-07-08T18:30:00-05:00,900\n"
	for _, tc := range []struct {
		name, doc string
		want      float64
		until     string
		err       string
	}{
		{"csv series", csv, 4500, "2026-07-08T18:30:00-05:00", ""},
		{"json one", `{"usd_per_mwh": -3.5, "time": "2026-07-08T18:15:00-05:00"}`, -3.5, "", ""},
		{"json kwh", `{"usd_per_kwh": 0.0425, "time": "2026-07-08T18:15:00-05:00"}`, 42.5, "", ""},
		{"json series", `{"prices": [{"start": "2026-07-08T18:00:00-05:00", "usd_per_mwh": 10}, {"start": "2026-07-08T18:15:00-05:00", "usd_per_mwh": 20}]}`, 20, "2026-07-08T18:30:00-05:00", ""},
		{"json no time", `{"usd_per_mwh": 42}`, 0, "", "age cannot be checked"},
		{"json both units", `{"usd_per_mwh": 42, "usd_per_kwh": 0.042, "time": "2026-07-08T18:15:00-05:00"}`, 0, "", "give one"},
		{"json unknown key", `{"price": 42, "time": "2026-07-08T18:15:00-05:00"}`, 0, "", "unknown field"},
		{"series over", "2026-07-08T17:00:00-05:00,10\n2026-07-08T17:15:00-05:00,20\n", 0, "", "series ends at 2026-07-08T17:30:00-05:00"},
		{"series later", "2026-07-08T19:00:00-05:00,10\n", 0, "", "starts at"},
		{"csv bad row", "2026-07-08T18:00:00-05:00,thirty\n", 0, "", "p.csv row 1"},
	} {
		q, err := ParseDocument([]byte(tc.doc), "p.csv", now)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || q.USDPerMWh != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.name, q.USDPerMWh, err, tc.want)
		}
		if tc.until != "" && q.Until.Format(time.RFC3339) != tc.until {
			t.Errorf("%s: until %s, want %s", tc.name, q.Until.Format(time.RFC3339), tc.until)
		}
	}
}

func TestSchedule(t *testing.T) {
	// Weekday peak 14:00–20:00 at $120, every night 22:00–06:00 at $25,
	// anything else the fixed $50.
	s := Schedule{Location: cdt, OtherUSDPerMWh: 50, Windows: []Window{
		{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, StartHour: 14, EndHour: 20, USDPerMWh: 120},
		{StartHour: 22, EndHour: 6, USDPerMWh: 25},
	}}
	for at, want := range map[string]float64{
		"2026-07-08T15:30:00-05:00": 120, // Wednesday peak
		"2026-07-11T15:30:00-05:00": 50,  // Saturday: no peak
		"2026-07-08T23:00:00-05:00": 25,
		"2026-07-09T03:00:00-05:00": 25,  // past midnight
		"2026-07-08T20:00:00Z":      120, // 15:00 local: the schedule's zone, not the clock's
		"2026-07-08T10:00:00-05:00": 50,
	} {
		now, _ := time.Parse(time.RFC3339, at)
		q, err := Chain{Sources: []Source{s}, MaxAge: time.Minute}.Price(context.Background(), now)
		if err != nil || q.USDPerMWh != want || q.Source != "schedule" {
			t.Errorf("%s: %v %v, want %v", at, q.USDPerMWh, err, want)
		}
	}
}

func TestFileAndExec(t *testing.T) {
	now := time.Date(2026, 7, 8, 18, 20, 0, 0, cdt)
	p := filepath.Join(t.TempDir(), "price.json")
	if err := os.WriteFile(p, []byte(`{"usd_per_mwh": 4500, "time": "2026-07-08T18:15:00-05:00"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if q, err := (File{Path: p}).Price(context.Background(), now); err != nil || q.USDPerMWh != 4500 {
		t.Errorf("file: %v %v", q, err)
	}
	if _, err := (File{Path: p + ".missing"}).Price(context.Background(), now); err == nil || !strings.Contains(err.Error(), "price.json.missing") {
		t.Errorf("missing file: %v", err)
	}
	if runtime.GOOS == "windows" {
		return
	}
	if q, err := (Exec{Command: []string{"echo", "0.0425", "usd/kwh"}}).Price(context.Background(), now); err != nil || q.USDPerMWh != 42.5 || !q.At.Equal(now) {
		t.Errorf("exec: %+v %v", q, err)
	}
	if _, err := (Exec{Command: []string{"echo", "42.5"}}).Price(context.Background(), now); err == nil || !strings.Contains(err.Error(), "printed \"42.5\" has no unit") {
		t.Errorf("bare number: %v", err)
	}
	if _, err := (Exec{Command: []string{"sh", "-c", "echo boom >&2; exit 3"}}).Price(context.Background(), now); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("failing command: %v", err)
	}
	if _, err := (Exec{Command: []string{"sleep", "5"}, Timeout: 50 * time.Millisecond}).Price(context.Background(), now); err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("slow command: %v", err)
	}
}

// TestChainFallsBackAndComesBack: a feed that fails, goes stale or serves a
// gap gives way to the fixed price, and is used again the moment it is
// healthy, with no restart.
func TestChainFallsBackAndComesBack(t *testing.T) {
	var mode atomic.Int32 // 0 ok, 1 HTTP 503, 2 stale, 3 gap
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case 1:
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
		case 2:
			w.Write([]byte(`{"usd_per_mwh": 4500, "time": "2026-07-08T15:00:00-05:00"}`))
		case 3:
			// 17:15 to 18:30 is missing: the 17:00 row would last 90 minutes.
			w.Write([]byte("2026-07-08T17:00:00-05:00,30\n2026-07-08T18:30:00-05:00,40\n2026-07-08T18:45:00-05:00,50\n"))
		default:
			w.Write([]byte(`{"usd_per_mwh": 4500, "time": "2026-07-08T18:15:00-05:00"}`))
		}
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1)
	c := Chain{Sources: []Source{URL{URL: u}, Fixed{USDPerMWh: 50}}, MaxAge: 2 * time.Hour, MaxGap: time.Hour}
	now := time.Date(2026, 7, 8, 18, 20, 0, 0, cdt)
	for _, step := range []struct {
		mode   int32
		source string
		price  float64
		why    error
	}{
		{0, "url", 4500, nil},
		{1, "fixed", 50, nil},
		{2, "fixed", 50, ErrStale},
		{0, "url", 4500, nil}, // the feed is back
		{3, "fixed", 50, ErrGap},
		{0, "url", 4500, nil},
	} {
		mode.Store(step.mode)
		r, err := c.Resolve(context.Background(), now)
		if err != nil || r.Source != step.source || r.USDPerMWh != step.price || r.Fallback() != (step.source == "fixed") {
			t.Errorf("mode %d: %+v %v, want %s at %v", step.mode, r, err, step.source, step.price)
		}
		for _, e := range r.Skipped {
			if strings.Contains(e.Error(), "hunter2") {
				t.Errorf("password in error: %v", e)
			}
		}
		if step.why != nil && (len(r.Skipped) != 1 || !errors.Is(r.Skipped[0], step.why)) {
			t.Errorf("mode %d: skipped %v, want %v", step.mode, r.Skipped, step.why)
		}
	}
	// A bearer token is sent, and stays out of errors.
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"usd_per_kwh": 0.03, "time": "2026-07-08T18:15:00-05:00"}`))
	}))
	defer auth.Close()
	if q, err := (URL{URL: auth.URL, Token: "s3cret"}).Price(context.Background(), now); err != nil || q.USDPerMWh != 30 {
		t.Errorf("with token: %v %v", q, err)
	}
	if _, err := (URL{URL: auth.URL, Token: "wrong"}).Price(context.Background(), now); err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("bad token: %v", err)
	}
	if _, err := (Chain{Sources: []Source{File{Path: "/nonexistent"}}}).Resolve(context.Background(), now); err == nil || !strings.Contains(err.Error(), "no power price") {
		t.Errorf("empty chain: %v", err)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"42.5 usd/mwh", "0.0425 usd/kwh 2026-07-08T18:00:00-05:00", "42", "1e400 usd/mwh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, _, err := ParseAmount(s)
		if err == nil && checkPrice(v, "") != nil {
			t.Fatalf("%q accepted as %v", s, v)
		}
	})
}

func FuzzParseDocument(f *testing.F) {
	for _, s := range []string{
		`{"usd_per_mwh": 42.5, "time": "2026-07-08T18:00:00-05:00"}`,
		`{"prices": [{"start": "2026-07-08T18:00:00-05:00", "usd_per_mwh": 10}]}`,
		"timestamp,usd_per_mwh\n2026-07-08T18:00:00-05:00,1800\n",
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 7, 8, 18, 20, 0, 0, cdt)
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := ParseDocument(b, "fuzz", now)
		if err == nil && checkPrice(q.USDPerMWh, "") != nil {
			t.Fatalf("%q accepted as %v", b, q.USDPerMWh)
		}
	})
}
