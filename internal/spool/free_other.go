//go:build !linux

package spool

import "errors"

// Free is not measured on this platform; the cap is used as configured.
func (OSFS) Free(string) (int64, error) { return 0, errors.ErrUnsupported }
