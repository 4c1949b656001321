package agent_test

import (
	"context"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/spool"
)

// spoolQueue puts the real spool behind agent.Queue for the tests that
// measure the two together (dashboards, replay); the agent itself never
// imports the spool, and cmd/perwatt wires its own adapter.
type spoolQueue struct{ s *spool.Spool }

func (q spoolQueue) Append(records [][]byte) error { return q.s.Append(records) }

func (q spoolQueue) Read(ctx context.Context, maxRecords, maxBytes int) (agent.Batch, error) {
	b, err := q.s.Read(ctx, maxRecords, maxBytes)
	return agent.Batch{Records: b.Records, Token: b}, err
}

func (q spoolQueue) Commit(b agent.Batch) error {
	if sb, ok := b.Token.(spool.Batch); ok {
		return q.s.Commit(sb)
	}
	return nil
}

func (q spoolQueue) Stats() agent.QueueStats {
	st := q.s.Stats()
	return agent.QueueStats{Bytes: st.Bytes, Records: st.PendingRecords, DroppedRecords: st.DroppedRecords}
}
