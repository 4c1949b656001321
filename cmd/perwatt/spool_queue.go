package main

import (
	"context"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/spool"
)

// spoolQueue adapts internal/spool to agent.Queue, so that the agent
// depends on its own interface and not on the spool package.
type spoolQueue struct{ s *spool.Spool }

func (q spoolQueue) Append(records [][]byte) error { return q.s.Append(records) }

func (q spoolQueue) Read(ctx context.Context, maxRecords, maxBytes int) (agent.Batch, error) {
	b, err := q.s.Read(ctx, maxRecords, maxBytes)
	return agent.Batch{Records: b.Records, Token: b}, err
}

func (q spoolQueue) Commit(b agent.Batch) error {
	sb, ok := b.Token.(spool.Batch)
	if !ok {
		return nil
	}
	return q.s.Commit(sb)
}

func (q spoolQueue) Stats() agent.QueueStats {
	st := q.s.Stats()
	return agent.QueueStats{
		Bytes: st.Bytes, MaxBytes: st.MaxBytes, Records: st.PendingRecords,
		DroppedRecords: st.DroppedRecords, CorruptRegions: st.CorruptRegions,
	}
}
