package sha256bench

import (
	"testing"
	"time"
)

// benchHeader is mainnet block 500000 with a target nothing will meet, so
// the benchmark measures scanning, not hit handling.
func benchScanner(b testing.TB, k Kernel) *Scanner {
	blocks := loadMainnet(b)
	return NewScanner(k, blocks[len(blocks)-1].header, Target{})
}

// BenchmarkYardstick is the plain Go double SHA-256 loop the kernels are
// compared with: sha256.Sum256(sha256.Sum256(header)) per nonce.
func BenchmarkYardstick(b *testing.B) {
	h := loadMainnet(b)[0].header
	var sink byte
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		h.SetNonce(uint32(i))
		d := DoubleHash(&h)
		sink ^= d[31]
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "H/s")
	_ = sink
}

func BenchmarkKernel(b *testing.B) {
	for _, k := range Kernels() {
		b.Run(k.Name, func(b *testing.B) {
			if ok, why := k.Supported(); !ok {
				b.Skip(why)
			}
			s := benchScanner(b, k)
			const batch = 1 << 12
			start := time.Now()
			var n uint64
			for b.Loop() {
				s.Scan(uint32(n), batch, nil)
				n += batch
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "H/s")
		})
	}
}
