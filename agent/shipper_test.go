package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/influx"
)

// syncBuffer is a log destination the test can read while the agent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLines(n int) [][]byte {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "m,series=s%d seq=%di %d", i%3, i, base+int64(i))
	}
	return out
}

func isBad(line string) bool {
	for _, s := range []string{"seq=13i", "seq=250i", "seq=499i"} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// after returns a responder that answers first for the first n requests, then 204.
func after(n int, first reply) func([]string) reply {
	calls := 0
	return func([]string) reply {
		calls++
		if calls <= n {
			return first
		}
		return reply{}
	}
}

func TestShipperAnswers(t *testing.T) {
	t.Parallel()
	partial := func(status int, storeGood bool, errorKey ...bool) func([]string) reply {
		return func(lines []string) reply {
			store := make([]bool, len(lines))
			bad := 0
			for i, l := range lines {
				store[i] = storeGood && !isBad(l)
				if isBad(l) {
					bad++
				}
			}
			if bad == 0 {
				return reply{}
			}
			return reply{status: status, store: store, errorKey: len(errorKey) > 0 && errorKey[0],
				body: fmt.Sprintf(`partial write: field type conflict: input field "seq" on measurement "m" is type integer, already exists as type float dropped=%d`, bad)}
		}
	}
	tests := []struct {
		name        string
		respond     func([]string) reply
		lines       int
		wantDead    int
		isDead      func(string) bool
		wantLog     string
		minGap      time.Duration // least time between the first two requests
		wantSplits  bool
		wantRetries bool
	}{
		{name: "healthy", respond: nil, lines: 12000},
		{name: "503 with Retry-After", respond: after(2, reply{status: 503, retryAfter: "1"}), lines: 600, minGap: time.Second, wantRetries: true},
		{name: "429 with Retry-After", respond: after(1, reply{status: 429, retryAfter: "1"}), lines: 600, minGap: time.Second, wantRetries: true},
		{name: "413 splits", respond: func(l []string) reply {
			if len(l) > 70 {
				return reply{status: 413, body: "request entity too large"}
			}
			return reply{}
		}, lines: 600, wantSplits: true},
		{name: "1.x partial write", respond: partial(400, true), lines: 600, wantDead: 3, isDead: isBad, wantLog: "dead-letter", wantSplits: true},
		{name: "1.x partial write, reason only in the body", respond: partial(400, true, true), lines: 600, wantDead: 3, isDead: isBad, wantLog: "dead-letter", wantSplits: true},
		{name: "2.x 422", respond: partial(422, false), lines: 600, wantDead: 3, isDead: isBad, wantLog: "dead-letter", wantSplits: true},
		{name: "401 kept and retried", respond: after(3, reply{status: 401, body: "unauthorized access"}), lines: 600, wantLog: "refuses", wantRetries: true},
		{name: "403 kept and retried", respond: after(3, reply{status: 403, body: "forbidden"}), lines: 600, wantLog: "refuses", wantRetries: true},
		{name: "404 kept and retried", respond: after(3, reply{status: 404, body: `database not found: "perwatt"`}), lines: 600, wantLog: "refuses", wantRetries: true},
		{name: "500 kept and retried", respond: after(3, reply{status: 500, body: "engine: cache full"}), lines: 600, wantRetries: true},
		{name: "one line too large alone", respond: func(l []string) reply {
			for _, x := range l {
				if strings.Contains(x, "seq=250i") {
					return reply{status: 413, body: "request entity too large"}
				}
			}
			return reply{}
		}, lines: 600, wantDead: 1, isDead: func(l string) bool { return strings.Contains(l, "seq=250i") }, wantSplits: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeInflux(t)
			var times []time.Time
			var tmu sync.Mutex
			srv.set(func(l []string) reply {
				tmu.Lock()
				times = append(times, time.Now())
				tmu.Unlock()
				if tc.respond == nil {
					return reply{}
				}
				return tc.respond(l)
			})
			sink, err := influx.New(influx.Config{URL: srv.URL(), Bucket: "db/rp", Token: "s3cret-token", Gzip: true, Timeout: 5 * time.Second}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			q := newMemQueue()
			all := testLines(tc.lines)
			if err := q.Append(all); err != nil {
				t.Fatal(err)
			}
			dlPath := filepath.Join(t.TempDir(), "dead.lp")
			dl, _ := agent.OpenDeadLetter(dlPath)
			var logs syncBuffer
			ag, err := agent.New(agent.Options{Queue: q, DeadLetter: dl, Logger: slog.New(slog.NewTextHandler(&logs, nil))},
				agent.Settings{Sink: sink, BatchLines: 5000, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- ag.Run(ctx) }()
			waitFor(t, 20*time.Second, "spool drained", func() bool { return q.pending() == 0 })
			cancel()
			<-done

			stored := srv.snapshot()
			for _, l := range all {
				key, _ := splitLine(string(l))
				_, on := stored[key]
				if bad := tc.isDead != nil && tc.isDead(string(l)); on == bad {
					t.Errorf("line %q: on server = %v, want %v", l, on, !bad)
				}
			}
			dead, _ := os.ReadFile(dlPath)
			var deadLines []string
			for _, l := range strings.Split(string(dead), "\n") {
				if l != "" && !strings.HasPrefix(l, "#") {
					deadLines = append(deadLines, l)
				}
			}
			if len(deadLines) != tc.wantDead {
				t.Errorf("dead-letter holds %d lines, want %d:\n%s", len(deadLines), tc.wantDead, dead)
			}
			if tc.wantDead > 1 && !strings.Contains(string(dead), "field type conflict") {
				t.Errorf("dead-letter file lacks the server's reason:\n%s", dead)
			}
			snap := ag.Stats().Snapshot(time.Now(), q)
			if snap.DeadLettered != int64(tc.wantDead) {
				t.Errorf("points_dead_lettered = %d, want %d", snap.DeadLettered, tc.wantDead)
			}
			if tc.wantSplits != (snap.BatchSplits > 0) {
				t.Errorf("batch_splits = %d, want splits: %v", snap.BatchSplits, tc.wantSplits)
			}
			if tc.wantRetries != (snap.WriteRetries > 0) {
				t.Errorf("write_retries = %d, want retries: %v", snap.WriteRetries, tc.wantRetries)
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, logs.String())
			}
			if strings.Contains(logs.String(), "s3cret-token") || strings.Contains(string(dead), "s3cret-token") {
				t.Error("the token appears in the log or dead-letter file")
			}
			if tc.minGap > 0 {
				tmu.Lock()
				gap := times[1].Sub(times[0])
				tmu.Unlock()
				if gap < tc.minGap-50*time.Millisecond {
					t.Errorf("second request came %v after the first; Retry-After asked for %v", gap, tc.minGap)
				}
			}
		})
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for: %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
