package market

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// Each host fetches the market once an hour at its own slot: a snapshot
// fetched since the host's last slot is fresh, one from before it is not.
func TestSlotFreshFor(t *testing.T) {
	slot := Spread("gpu-node-17", time.Hour)
	hour := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		after time.Duration // now = the slot + after
		want  time.Duration
	}{
		{time.Minute, DefaultFreshFor}, // just past the slot: anything older than the slot is stale, and at least 15 min is fresh
		{40 * time.Minute, 40 * time.Minute},
		{59 * time.Minute, 59 * time.Minute},
	} {
		now := hour.Add(slot + tc.after)
		if got := SlotFreshFor("gpu-node-17", now); got != tc.want {
			t.Errorf("%s after the slot: fresh for %s, want %s", tc.after, got, tc.want)
		}
	}
	// Different hosts get different slots.
	if Spread("gpu-node-17", time.Hour) == Spread("gpu-node-18", time.Hour) {
		t.Error("two hosts share a slot")
	}
}

// With NoEmbedded, sources that all fail and no cache give ErrNoMarket,
// not the embedded snapshot; with no source configured, the embedded
// snapshot is still the answer (the operator chose it).
func TestNoEmbeddedRefusesTheSnapshotOnlyWhenSourcesFail(t *testing.T) {
	dead := fakeAPI(t, map[string]reply{})
	r := newResolver(t, Options{BlockchainURL: dead.URL, CacheFile: filepath.Join(t.TempDir(), "m.json"), NoEmbedded: true})
	if _, err := r.Resolve(context.Background()); !errors.Is(err, ErrNoMarket) {
		t.Fatalf("dead source: %v, want ErrNoMarket", err)
	}
	res := resolve(t, newResolver(t, Options{NoEmbedded: true}))
	if res.Via != ViaOffline {
		t.Fatalf("no source configured: via %s, want the embedded snapshot", res.Via)
	}
}
