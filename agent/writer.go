package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// WriterSink writes line protocol to a stream: the agent's output when no
// InfluxDB is configured (stdout, or a file an operator tails or ships).
type WriterSink struct {
	mu   sync.Mutex
	w    io.Writer
	sync func() error // fsync for files, so a committed spool batch is on disk
}

// NewWriterSink writes to w as is.
func NewWriterSink(w io.Writer) *WriterSink { return &WriterSink{w: w} }

// OpenFileSink appends to path (created 0640) and syncs after each batch.
func OpenFileSink(path string) (*WriterSink, io.Closer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("agent.output: %w", err)
	}
	return &WriterSink{w: f, sync: f.Sync}, f, nil
}

// WriteBody writes body and a newline.
func (s *WriterSink) WriteBody(_ context.Context, body string) error {
	if body == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.w, body); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if _, err := io.WriteString(s.w, "\n"); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if s.sync != nil {
		if err := s.sync(); err != nil {
			return fmt.Errorf("sync output: %w", err)
		}
	}
	return nil
}
