package agent_test

import (
	"context"
	"sync"

	"github.com/perwatt/perwatt/agent"
)

// memQueue is an in-memory Queue: the shipper's logic tested without disks.
type memQueue struct {
	mu      sync.Mutex
	recs    [][]byte
	read    int // records handed out, not yet committed
	commits int
	wake    chan struct{}
}

func newMemQueue() *memQueue { return &memQueue{wake: make(chan struct{})} }

func (q *memQueue) Append(records [][]byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, r := range records {
		q.recs = append(q.recs, append([]byte(nil), r...))
	}
	close(q.wake)
	q.wake = make(chan struct{})
	return nil
}

func (q *memQueue) Read(ctx context.Context, max, _ int) (agent.Batch, error) {
	for {
		q.mu.Lock()
		if len(q.recs) > 0 {
			n := min(max, len(q.recs))
			q.read = n
			b := agent.Batch{Records: q.recs[:n:n], Token: n}
			q.mu.Unlock()
			return b, nil
		}
		w := q.wake
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return agent.Batch{}, ctx.Err()
		case <-w:
		}
	}
}

func (q *memQueue) Commit(b agent.Batch) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := b.Token.(int)
	q.recs = q.recs[n:]
	q.commits++
	return nil
}

func (q *memQueue) Stats() agent.QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return agent.QueueStats{Records: int64(len(q.recs))}
}

func (q *memQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.recs)
}
