package spool

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Producers append while a consumer reads and commits, with rolls and
// group commits running: every record arrives exactly once, and each
// producer's records arrive in its own order. Run it with -race.
func TestConcurrentProducersAndConsumer(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncEveryAppend, SyncInterval} {
		t.Run(policy.String(), func(t *testing.T) {
			opts := memOpts(newMemFS(), mutNone)
			opts.Sync, opts.SyncInterval = policy, time.Millisecond
			s, err := Open(testDir, opts)
			if err != nil {
				t.Fatal(err)
			}
			const producers, batches, per = 4, 200, 5
			var wg sync.WaitGroup
			for p := range producers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for b := range batches {
						if err := s.Append(recs((p*batches+b)*per, per)); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			seen := map[int]bool{}
			last := map[int]int{}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for len(seen) < producers*batches*per {
				b, err := s.Read(ctx, 37, 0)
				if err != nil {
					t.Fatalf("read after %d records: %v", len(seen), err)
				}
				got, err := ids(b.Records)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range got {
					if seen[id] {
						t.Fatalf("record %d delivered twice", id)
					}
					seen[id] = true
					p := id / (batches * per)
					if prev, ok := last[p]; ok && id <= prev {
						t.Fatalf("producer %d: record %d after %d", p, id, prev)
					}
					last[p] = id
				}
				if err := s.Commit(b); err != nil {
					t.Fatal(err)
				}
			}
			wg.Wait()
			st := s.Stats()
			if st.PendingRecords != 0 || st.AppendedRecords != producers*batches*per {
				t.Fatalf("stats after draining: %+v", st)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			if err := s.Append(recs(0, 1)); err != ErrClosed {
				t.Fatalf("append after close: %v", err)
			}
		})
	}
}
