package sha256bench

import (
	"context"
	"time"
)

// Yardstick times the plain Go loop sha256.Sum256(sha256.Sum256(header)) on
// the calling goroutine for about d and returns its hashes per second. It is
// the reference point the targets scale by: the best C miners do
// about 7x this per thread.
func Yardstick(ctx context.Context, d time.Duration) float64 {
	h := benchHeader()
	var sink byte
	var n uint64
	start := time.Now()
	for time.Since(start) < d && ctx.Err() == nil {
		for range 4096 {
			h.SetNonce(uint32(n))
			dh := DoubleHash(&h)
			sink ^= dh[31]
			n++
		}
	}
	el := time.Since(start).Seconds()
	if sink == 1 && n == 0 { // keeps the hashing from being optimised away
		return 0
	}
	return float64(n) / el
}
