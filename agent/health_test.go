package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/metric"
)

// faultyQueue is a memQueue whose appends or commits fail on demand, as a
// spool on a full disk does; a failed commit still moves on, as the spool's.
type faultyQueue struct {
	*memQueue
	failAppend, failCommit atomic.Bool
	refused                atomic.Int64
}

func (q *faultyQueue) Append(records [][]byte) error {
	if q.failAppend.Load() {
		q.refused.Add(int64(len(records)))
		return syscall.ENOSPC
	}
	return q.memQueue.Append(records)
}

func (q *faultyQueue) Commit(b agent.Batch) error {
	err := q.memQueue.Commit(b)
	if q.failCommit.Load() {
		return errors.New("spool checkpoint not saved: no space left on device")
	}
	return err
}

// /healthz is not ok while the spool refuses points or cannot save its
// commits, counts the refused points exactly, and is ok again by itself
// once the fault ends.
func TestHealthTellsSpoolFaults(t *testing.T) {
	q := &faultyQueue{memQueue: newMemQueue()}
	dl, _ := agent.OpenDeadLetter(filepath.Join(t.TempDir(), "dead.lp"))
	sink := &recordingSink{}
	c := &fakeCollector{name: "c", fn: func(_ context.Context, n int64) ([]metric.Point, error) {
		return []metric.Point{
			metric.New("m", nil, map[string]any{"v": n}, time.Time{}),
			metric.New("m2", nil, map[string]any{"v": n}, time.Time{}),
		}, nil
	}}
	ag, err := agent.New(agent.Options{Queue: q, DeadLetter: dl, Logger: slog.New(slog.DiscardHandler)}, agent.Settings{
		Sink: sink, FlushInterval: 10 * time.Millisecond,
		Collectors: []agent.ScheduledCollector{{Collector: c, Interval: 20 * time.Millisecond}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() { cancel(); <-done }()

	h := ag.HealthHandler(time.Hour)
	get := func() (int, map[string]any) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		return rec.Code, doc
	}
	wait := func(what string, cond func(code int, doc map[string]any) bool) {
		t.Helper()
		waitFor(t, 10*time.Second, what, func() bool { return cond(get()) })
	}

	wait("points delivered, healthy", func(code int, _ map[string]any) bool { return code == 200 && len(sink.all()) > 0 })

	q.failAppend.Store(true)
	wait("503 while appends are refused", func(code int, doc map[string]any) bool {
		return code == 503 && doc["spool_refusing"] == true && doc["points_refused"].(float64) > 0
	})
	q.failAppend.Store(false)
	wait("200 once appends succeed again", func(code int, doc map[string]any) bool {
		return code == 200 && doc["spool_refusing"] == false
	})
	if _, doc := get(); int64(doc["points_refused"].(float64)) != q.refused.Load() {
		t.Fatalf("points_refused %v, the queue refused %d", doc["points_refused"], q.refused.Load())
	}

	q.failCommit.Store(true)
	wait("503 while commits fail", func(code int, doc map[string]any) bool {
		return code == 503 && doc["commit_failing"] == true && doc["commit_errors"].(float64) > 0
	})
	q.failCommit.Store(false)
	wait("200 once commits succeed again", func(code int, doc map[string]any) bool {
		return code == 200 && doc["commit_failing"] == false
	})
}
