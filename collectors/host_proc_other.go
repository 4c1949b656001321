//go:build !linux

package collectors

import "os"

// readProcFile off Linux is a plain read: a /proc there (if any) is rare
// and the host collector falls back to gopsutil when it cannot parse it.
func readProcFile(path string, buf []byte) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return buf[:0], err
	}
	return append(buf[:0], b...), nil
}
