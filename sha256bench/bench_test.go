package sha256bench

import (
	"testing"
	"time"
)

// benchScanner scans mainnet block 500000's header at its real target, so
// the benchmark measures scanning as a miner does it, not hit handling.
func benchScanner(b testing.TB, k Kernel) *Scanner {
	blocks := loadMainnet(b)
	h := blocks[len(blocks)-1].header
	return NewScanner(k, h, TargetFromBits(h.Bits()))
}

// rate reports H/s over the whole benchmark and best-H/s, the fastest
// chunk: on a shared machine other processes only ever slow a chunk down,
// so the best chunk is the closest reading of what the core can do.
type rate struct {
	start, chunkStart time.Time
	n, chunkN         uint64
	best              float64
}

func newRate() *rate { now := time.Now(); return &rate{start: now, chunkStart: now} }

func (r *rate) add(n uint64) {
	r.n += n
	r.chunkN += n
	if el := time.Since(r.chunkStart); el >= 2*time.Millisecond {
		r.best = max(r.best, float64(r.chunkN)/el.Seconds())
		r.chunkN, r.chunkStart = 0, time.Now()
	}
}

func (r *rate) report(b *testing.B) {
	b.ReportMetric(float64(r.n)/time.Since(r.start).Seconds(), "H/s")
	if r.best > 0 {
		b.ReportMetric(r.best, "best-H/s")
	}
}

// BenchmarkYardstick is the plain Go double SHA-256 loop the kernels are
// compared with: sha256.Sum256(sha256.Sum256(header)) per nonce.
func BenchmarkYardstick(b *testing.B) {
	h := loadMainnet(b)[0].header
	var sink byte
	r := newRate()
	for i := 0; b.Loop(); i++ {
		h.SetNonce(uint32(i))
		d := DoubleHash(&h)
		sink ^= d[31]
		r.add(1)
	}
	r.report(b)
	_ = sink
}

// BenchmarkKernel measures each kernel on one goroutine (one thread).
func BenchmarkKernel(b *testing.B) {
	for _, k := range Kernels() {
		b.Run(k.Name, func(b *testing.B) {
			if ok, why := k.Supported(); !ok {
				b.Skip(why)
			}
			s := benchScanner(b, k)
			const batch = 1 << 12
			r := newRate()
			var n uint64
			for b.Loop() {
				s.Scan(uint32(n), batch, nil)
				n += batch
				r.add(batch)
			}
			r.report(b)
		})
	}
}
