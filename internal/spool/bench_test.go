package spool

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// point150 is a typical ~150-byte line-protocol point.
func point150(i int) []byte {
	return fmt.Appendf(nil, "gpu,host=gpu-node-017,site=fra1,rack=r12,role=lease,gpu=0,uuid=GPU-5f1c2d9e power_w=%d.5,energy_mj=%di,temp_c=61,util=0.97 %d",
		300+i%100, 123456789+i, 1763870000000000000+int64(i))
}

// BenchmarkAppend reports points/s on the real filesystem for each sync
// policy and batch size (one Append call per batch).
func BenchmarkAppend(b *testing.B) {
	cases := []struct {
		policy SyncPolicy
		batch  int
	}{
		{SyncEveryAppend, 1}, {SyncEveryAppend, 100}, {SyncEveryAppend, 5000},
		{SyncInterval, 1}, {SyncInterval, 100}, {SyncInterval, 5000},
		{SyncNever, 100},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("sync=%s/batch=%d", c.policy, c.batch), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{
				Logger: slog.New(slog.DiscardHandler), Sync: c.policy, SyncInterval: 100 * time.Millisecond,
				MaxBytes: 512 << 20,
			})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batch := make([][]byte, c.batch)
			bytes := 0
			for i := range batch {
				batch[i] = point150(i)
				bytes += len(batch[i])
			}
			b.SetBytes(int64(bytes))
			b.ResetTimer()
			for range b.N {
				if err := s.Append(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*c.batch)/b.Elapsed().Seconds(), "points/s")
			b.ReportMetric(float64(s.Stats().Syncs)/float64(b.N), "fsyncs/op")
		})
	}
}

// BenchmarkReplay drains a filled spool in agent-sized batches (read,
// then commit with its checkpoint fsync), as after an outage.
func BenchmarkReplay(b *testing.B) {
	s, err := Open(b.TempDir(), Options{Logger: slog.New(slog.DiscardHandler), MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := make([][]byte, 5000)
	for i := range batch {
		batch[i] = point150(i)
	}
	ctx := context.Background()
	b.ResetTimer()
	points := 0
	for range b.N {
		b.StopTimer()
		if err := s.Append(batch); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rb, err := s.Read(ctx, 5000, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(rb); err != nil {
			b.Fatal(err)
		}
		points += len(rb.Records)
	}
	b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkAppendConcurrent: 8 appenders of 100-point batches under the
// default policy share fsyncs (group commit), so throughput is no longer
// one batch per fsync latency.
func BenchmarkAppendConcurrent(b *testing.B) {
	s, err := Open(b.TempDir(), Options{Logger: slog.New(slog.DiscardHandler), MaxBytes: 512 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := make([][]byte, 100)
	for i := range batch {
		batch[i] = point150(i)
	}
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Append(batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(st.AppendedRecords)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(float64(st.Syncs)/float64(st.Appends), "fsyncs/append")
}
