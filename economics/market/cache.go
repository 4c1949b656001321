package market

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Cache keeps the last good snapshot in one JSON file so a later run without
// network still has real, dated numbers. It holds no state of its own.
type Cache struct{ Path string }

// Load reads the cached snapshot. A missing file is reported with
// os.ErrNotExist in the chain.
func (c Cache) Load() (Snapshot, error) {
	b, err := os.ReadFile(c.Path)
	if err != nil {
		return Snapshot{}, fmt.Errorf("market cache: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return Snapshot{}, fmt.Errorf("market cache %s is corrupt: %w", c.Path, err)
	}
	return s, nil
}

// Save writes s atomically (temporary file, then rename) so a crash never
// leaves half a cache behind.
func (c Cache) Save(s Snapshot) error {
	if c.Path == "" {
		return errors.New("market cache: no path configured")
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("market cache: %w", err)
	}
	dir := filepath.Dir(c.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("market cache: %w", err)
	}
	f, err := os.CreateTemp(dir, ".market-*.json")
	if err != nil {
		return fmt.Errorf("market cache: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("market cache %s: %w", c.Path, err)
	}
	if err := os.Rename(f.Name(), c.Path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("market cache %s: %w", c.Path, err)
	}
	return nil
}
