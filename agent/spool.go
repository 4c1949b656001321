package agent

import (
	"context"

	"github.com/perwatt/perwatt/internal/spool"
)

// SpoolQueue adapts internal/spool to Queue.
type SpoolQueue struct{ S *spool.Spool }

func (q SpoolQueue) Append(records [][]byte) error { return q.S.Append(records) }

func (q SpoolQueue) Read(ctx context.Context, maxRecords, maxBytes int) (Batch, error) {
	b, err := q.S.Read(ctx, maxRecords, maxBytes)
	return Batch{Records: b.Records, Token: b}, err
}

func (q SpoolQueue) Commit(b Batch) error {
	sb, ok := b.Token.(spool.Batch)
	if !ok {
		return nil
	}
	return q.S.Commit(sb)
}

func (q SpoolQueue) Stats() QueueStats {
	st := q.S.Stats()
	return QueueStats{Bytes: st.Bytes, Records: st.PendingRecords, DroppedRecords: st.DroppedRecords, CorruptRegions: st.CorruptRegions}
}
