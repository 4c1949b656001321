package market

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Cache keeps the last good snapshot, and the hosts that asked to be left
// alone until when, in one JSON file: a later run without network still has
// real, dated numbers, a run soon after the last uses them without asking
// anyone, and a host that answered 429 is not asked again by the next run.
// It holds no state of its own.
type Cache struct{ Path string }

// CacheState is the cache file's content.
type CacheState struct {
	// Snapshot is nil until one was fetched.
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	// Cooldown maps a host (host:port) to the time before which it is not asked.
	Cooldown map[string]time.Time `json:"cooldown,omitempty"`
}

// Load reads the cache. A missing file is reported with os.ErrNotExist in
// the chain. A file holding a bare snapshot (the format before cooldowns
// were kept) is read as that snapshot.
func (c Cache) Load() (CacheState, error) {
	b, err := os.ReadFile(c.Path)
	if err != nil {
		return CacheState{}, fmt.Errorf("market cache: %w", err)
	}
	var st CacheState
	if err := json.Unmarshal(b, &st); err != nil {
		return CacheState{}, fmt.Errorf("market cache %s is corrupt: %w", c.Path, err)
	}
	if st.Snapshot == nil && st.Cooldown == nil {
		var s Snapshot
		if err := json.Unmarshal(b, &s); err == nil && s.Source != "" {
			st.Snapshot = &s
		}
	}
	return st, nil
}

// Save writes st atomically (temporary file, then rename) so a crash never
// leaves half a cache behind; cooldowns already over are dropped.
func (c Cache) Save(st CacheState, now time.Time) error {
	if c.Path == "" {
		return errors.New("market cache: no path configured")
	}
	for h, t := range st.Cooldown {
		if !t.After(now) {
			delete(st.Cooldown, h)
		}
	}
	b, err := json.MarshalIndent(st, "", "  ")
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

// DefaultCacheFile is the cache both `perwatt econ` and the agent use when
// economics.cache_file is empty: the service's state directory under systemd
// ($STATE_DIRECTORY, /var/lib/perwatt with the shipped unit), else the user's
// cache directory ($XDG_CACHE_HOME or ~/.cache)/perwatt/market.json. "" when
// none is known: then nothing is cached.
func DefaultCacheFile(getenv func(string) string) string {
	if d := getenv("STATE_DIRECTORY"); d != "" {
		// systemd may list several directories, separated by colons.
		for i := range len(d) {
			if d[i] == ':' {
				d = d[:i]
				break
			}
		}
		return filepath.Join(d, "market.json")
	}
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "perwatt", "market.json")
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".cache", "perwatt", "market.json")
	}
	return ""
}
