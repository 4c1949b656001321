//go:build linux

package spool

import "syscall"

// Free reports the bytes an unprivileged process may still write under dir.
func (OSFS) Free(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
