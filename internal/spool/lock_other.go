//go:build !unix

package spool

import (
	"errors"
	"io"
	"os"
)

// ErrLocked means another process has the spool directory open.
var ErrLocked = errors.New("spool directory is in use by another process")

// lockFile only creates the file where flock(2) does not exist; running two
// agents on one spool there is the operator's responsibility.
func lockFile(name string) (io.Closer, error) {
	return os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
}
