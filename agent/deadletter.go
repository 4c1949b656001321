package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DeadLetter is the file where points go that the server refused for good
// (field type conflict, unparsable line, too large alone). Each rejected
// group is preceded by comment lines with the time and the server's reason;
// comments are valid line protocol, so after fixing the cause the file can
// be written back as it is (`influx write -f`, or curl to /write).
type DeadLetter struct {
	path string
	mu   sync.Mutex
}

// OpenDeadLetter prepares path (its directory is created 0700); the file is
// created on first use with mode 0600.
func OpenDeadLetter(path string) (*DeadLetter, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("dead-letter file %s: %w", path, err)
	}
	return &DeadLetter{path: path}, nil
}

// Path is where the file lives.
func (d *DeadLetter) Path() string { return d.path }

// Write appends recs with their reason and syncs before returning, because
// the caller then lets the spool forget them.
func (d *DeadLetter) Write(recs [][]byte, cause error, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open dead-letter file: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# perwatt dead-letter %s: %d point(s) rejected: %s\n", time.Now().UTC().Format(time.RFC3339Nano), len(recs), oneLine(cause.Error()))
	if reason != "" && !strings.Contains(cause.Error(), reason) {
		fmt.Fprintf(&b, "# reason: %s\n", oneLine(reason))
	}
	for _, r := range recs {
		b.Write(r)
		b.WriteByte('\n')
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("write dead-letter file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync dead-letter file: %w", err)
	}
	return f.Close()
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
