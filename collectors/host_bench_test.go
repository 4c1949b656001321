package collectors

import (
	"context"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/net"
)

// Direct reads of /proc/diskstats and /proc/net/dev (points included)
// against gopsutil's IOCounters (structs only) on this machine. Run one at
// a time: `go test ./collectors -run '^$' -bench 'DiskIO|NetIO'`.

func BenchmarkDiskIO(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		h := NewHost(HostOptions{}, discard())
		t := time.Now()
		b.ReportAllocs()
		for b.Loop() {
			t = t.Add(time.Second)
			if _, err := h.diskIO(t); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gopsutil", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := disk.IOCountersWithContext(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkNetIO(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		h := NewHost(HostOptions{}, discard())
		t := time.Now()
		b.ReportAllocs()
		for b.Loop() {
			t = t.Add(time.Second)
			if _, err := h.netIO(t); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gopsutil", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := net.IOCountersWithContext(ctx, true); err != nil {
				b.Fatal(err)
			}
		}
	})
}
