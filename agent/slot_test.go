package agent

import (
	"testing"
	"time"
)

// A job with a phase runs at that offset into each interval: a fleet's hosts
// with different phases do not all start on the hour.
func TestNextSlotKeepsThePhase(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		now   string
		phase time.Duration
		want  string
	}{
		{"2026-01-01T10:05:00Z", 0, "2026-01-01T11:00:00Z"},
		{"2026-01-01T10:05:00Z", 17 * time.Minute, "2026-01-01T10:17:00Z"},
		{"2026-01-01T10:17:00Z", 17 * time.Minute, "2026-01-01T11:17:00Z"},
		{"2026-01-01T10:50:00Z", 17 * time.Minute, "2026-01-01T11:17:00Z"},
		{"2026-01-01T10:50:00Z", 77 * time.Minute, "2026-01-01T11:17:00Z"}, // taken modulo the interval
	} {
		if got := nextSlot(at(tc.now), time.Hour, tc.phase); !got.Equal(at(tc.want)) {
			t.Errorf("now %s phase %s: next %s, want %s", tc.now, tc.phase, got.Format(time.RFC3339), tc.want)
		}
	}
}
