package spool

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// memFS is an in-memory filesystem that models what a power cut keeps:
// file contents survive up to their last successful fsync plus whatever
// prefix of later writes the test's keep function chooses; creations,
// renames and removals survive only after an fsync of their directory.
// A failed fsync dooms the unsynced bytes, as Linux does: a later fsync on
// the file reports success but those bytes read back as zeros after a crash.
type memFS struct {
	mu    sync.Mutex
	cur   map[string]*memNode // the namespace processes see
	dur   map[string]*memNode // the namespace a crash would leave
	dirs  map[string]bool
	locks map[string]bool
	gen   int // bumped by crash: older handles are dead
	// limit caps the bytes of all files (0: none); writes past it fail
	// with ENOSPC after writing what fits.
	limit int64
	// fault, when set, may fail an operation: op is one of open, create
	// (an open with O_CREATE), write, sync, truncate, rename, remove,
	// syncdir.
	fault func(op, name string) error
}

type memNode struct {
	data     []byte
	synced   []byte
	doomFrom int64 // bytes from here were lost by a failed fsync; -1 none
	doomTo   int64
}

func newMemFS() *memFS {
	return &memFS{cur: map[string]*memNode{}, dur: map[string]*memNode{}, dirs: map[string]bool{}, locks: map[string]bool{}}
}

func (m *memFS) check(op, name string) error {
	if m.fault != nil {
		return m.fault(op, name)
	}
	return nil
}

func (m *memFS) used() int64 {
	var n int64
	for _, nd := range m.cur {
		n += int64(len(nd.data))
	}
	return n
}

func (m *memFS) MkdirAll(dir string, _ fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dirs[filepath.Clean(dir)] = true
	return nil
}

func (m *memFS) OpenFile(name string, flag int, _ fs.FileMode) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = filepath.Clean(name)
	op := "open"
	if flag&os.O_CREATE != 0 {
		op = "create"
	}
	if err := m.check(op, name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	nd, ok := m.cur[name]
	switch {
	case ok && flag&os.O_EXCL != 0 && flag&os.O_CREATE != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !ok:
		if !m.dirs[filepath.Dir(name)] {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		nd = &memNode{doomFrom: -1}
		m.cur[name] = nd
	}
	if flag&os.O_TRUNC != 0 {
		nd.data = nil
	}
	return &memFile{fs: m, nd: nd, name: name, gen: m.gen, write: flag&(os.O_WRONLY|os.O_RDWR) != 0}, nil
}

func (m *memFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = filepath.Clean(dir)
	var names []string
	for name := range m.cur {
		if filepath.Dir(name) == dir {
			names = append(names, filepath.Base(name))
		}
	}
	slices.Sort(names)
	return names, nil
}

func (m *memFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = filepath.Clean(name)
	if err := m.check("remove", name); err != nil {
		return err
	}
	if _, ok := m.cur[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(m.cur, name)
	return nil
}

func (m *memFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	if err := m.check("rename", newname); err != nil {
		return err
	}
	nd, ok := m.cur[oldname]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldname, Err: fs.ErrNotExist}
	}
	delete(m.cur, oldname)
	m.cur[newname] = nd
	return nil
}

func (m *memFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = filepath.Clean(dir)
	if err := m.check("syncdir", dir); err != nil {
		return err
	}
	for name := range m.dur {
		if filepath.Dir(name) == dir {
			delete(m.dur, name)
		}
	}
	for name, nd := range m.cur {
		if filepath.Dir(name) == dir {
			m.dur[name] = nd
		}
	}
	return nil
}

type memLock struct {
	m    *memFS
	name string
	gen  int
}

func (l memLock) Close() error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.gen == l.m.gen {
		delete(l.m.locks, l.name)
	}
	return nil
}

func (m *memFS) Lock(name string) (io.Closer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[name] {
		return nil, ErrLocked
	}
	m.locks[name] = true
	return memLock{m, name, m.gen}, nil
}

// crash simulates a power cut: keep(name, unsynced) says how many of a
// file's unsynced bytes reach the disk. Every handle and lock dies.
func (m *memFS) crash(keep func(name string, unsynced int) int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.locks = map[string]bool{}
	next := map[string]*memNode{}
	done := map[*memNode]*memNode{}
	// Sorted, so that a rapid seed replays the same crash.
	for _, name := range slices.Sorted(maps.Keys(m.dur)) {
		nd := m.dur[name]
		if n, ok := done[nd]; ok {
			next[name] = n
			continue
		}
		content := slices.Clone(nd.synced)
		if len(nd.data) > len(nd.synced) && bytes.Equal(nd.data[:len(nd.synced)], nd.synced) {
			extra := nd.data[len(nd.synced):]
			k := keep(name, len(extra))
			content = append(content, extra[:min(k, len(extra))]...)
		}
		n := &memNode{data: content, synced: slices.Clone(content), doomFrom: -1}
		done[nd] = n
		next[name] = n
	}
	m.cur, m.dur = next, maps2(next)
}

// killProcess simulates kill -9: the page cache survives, so every written
// byte stays; only locks and handles die.
func (m *memFS) killProcess() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.locks = map[string]bool{}
}

func maps2(in map[string]*memNode) map[string]*memNode {
	out := make(map[string]*memNode, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// clone copies the whole state (for running many damage cases from one
// written spool).
func (m *memFS) clone() *memFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := newMemFS()
	done := map[*memNode]*memNode{}
	cp := func(nd *memNode) *memNode {
		if n, ok := done[nd]; ok {
			return n
		}
		n := &memNode{data: slices.Clone(nd.data), synced: slices.Clone(nd.synced), doomFrom: nd.doomFrom, doomTo: nd.doomTo}
		done[nd] = n
		return n
	}
	for k, v := range m.cur {
		c.cur[k] = cp(v)
	}
	for k, v := range m.dur {
		c.dur[k] = cp(v)
	}
	for k := range m.dirs {
		c.dirs[k] = true
	}
	c.limit = m.limit
	return c
}

// file returns the current content of name, and setFile replaces it as if
// written and synced (for damage tests).
func (m *memFS) file(name string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	nd := m.cur[filepath.Clean(name)]
	if nd == nil {
		return nil
	}
	return slices.Clone(nd.data)
}

func (m *memFS) setFile(name string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	nd := m.cur[filepath.Clean(name)]
	nd.data, nd.synced = slices.Clone(b), slices.Clone(b)
}

func (m *memFS) names(dir string) []string {
	names, _ := m.ReadDir(dir)
	return names
}

func (m *memFS) segFiles(dir string) []string {
	var out []string
	for _, n := range m.names(dir) {
		if strings.HasSuffix(n, segSuffix) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out
}

var errStale = errors.New("stale file handle (process crashed)")

type memFile struct {
	closed bool
	fs     *memFS
	nd     *memNode
	name   string
	gen    int
	off    int64
	write  bool
}

func (f *memFile) live() error {
	if f.closed {
		return fs.ErrClosed
	}
	if f.gen != f.fs.gen {
		return errStale
	}
	return nil
}

func (f *memFile) Write(p []byte) (int, error) {
	n, err := f.WriteAt(p, f.off)
	f.off += int64(n)
	return n, err
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return 0, err
	}
	if !f.write {
		return 0, syscall.EBADF
	}
	if err := f.fs.check("write", f.name); err != nil {
		return 0, err
	}
	var err error
	grow := off + int64(len(p)) - int64(len(f.nd.data))
	if f.fs.limit > 0 && grow > 0 && f.fs.used()+grow > f.fs.limit {
		room := max(f.fs.limit-f.fs.used(), 0)
		p = p[:max(int64(len(f.nd.data))-off, 0)+room]
		err = syscall.ENOSPC
	}
	if need := off + int64(len(p)); need > int64(len(f.nd.data)) {
		f.nd.data = append(f.nd.data, make([]byte, need-int64(len(f.nd.data)))...)
	}
	copy(f.nd.data[off:], p)
	return len(p), err
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return 0, err
	}
	if off >= int64(len(f.nd.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.nd.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Sync() error {
	// The fault hook runs unlocked so that a test can block one fsync
	// while the rest of the filesystem keeps working.
	ferr := f.fs.check("sync", f.name)
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return err
	}
	nd := f.nd
	if err := ferr; err != nil {
		if nd.doomFrom < 0 {
			nd.doomFrom = int64(len(nd.synced))
		}
		nd.doomTo = int64(len(nd.data))
		return err
	}
	nd.synced = slices.Clone(nd.data)
	if nd.doomFrom >= 0 {
		clear(nd.synced[min(nd.doomFrom, int64(len(nd.synced))):min(nd.doomTo, int64(len(nd.synced)))])
		nd.doomFrom = -1
	}
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return err
	}
	if err := f.fs.check("truncate", f.name); err != nil {
		return err
	}
	if size < int64(len(f.nd.data)) {
		f.nd.data = f.nd.data[:size:size]
	}
	return nil
}

func (f *memFile) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return 0, err
	}
	return int64(len(f.nd.data)), nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.closed = true
	return nil
}

// bytesUsed is used for tests, under the lock.
func (m *memFS) bytesUsed() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used()
}

// Free reports the room left under limit, so Open's cap bound can be
// tested; without a limit the filesystem is as large as a real one.
func (m *memFS) Free(string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.limit == 0 {
		return 1 << 50, nil
	}
	return max(m.limit-m.used(), 0), nil
}
