package sha256bench

import (
	"errors"
	"fmt"
	"strings"
)

// The amd64 kernels are generated with avo from _asm (its own module).
//go:generate sh -c "cd _asm && go run . -out ../sha256d_amd64.s -stubs ../sha256d_stub_amd64.go -pkg sha256bench"

// Kernel is one implementation of the nonce scan.
type Kernel struct {
	Name        string
	Description string
	// Lanes is how many nonces one call of the inner loop hashes together.
	Lanes int
	// scan appends to cands the nonces in [start, start+count) whose H7
	// passes the target's top word. count is a multiple of Lanes.
	scan func(wk *work, start, count uint32, cands []uint32) []uint32
	// support says why this CPU cannot run the kernel, or "" if it can.
	support func() string
}

// Supported reports whether this CPU can run k and, if not, why.
func (k Kernel) Supported() (bool, string) {
	if r := k.support(); r != "" {
		return false, r
	}
	return true, ""
}

// Kernels lists every kernel, fastest first on the CPUs they were tuned for.
func Kernels() []Kernel {
	return append(archKernels(), Kernel{
		Name:        "stdlib",
		Description: "crypto/sha256 from a saved midstate: Go's own SHA code (ARMv8 SHA2, SHA-NI or AVX2 where it has them)",
		Lanes:       1,
		scan:        scanStdlib,
		support:     func() string { return "" },
	}, Kernel{
		Name:        "generic",
		Description: "portable Go, one nonce at a time",
		Lanes:       1,
		scan:        scanGeneric,
		support:     func() string { return "" },
	})
}

// ErrUnknownKernel is returned for a kernel name that is not in Kernels.
var ErrUnknownKernel = errors.New("unknown kernel")

// ErrUnsupportedKernel is returned for a kernel this CPU cannot run.
var ErrUnsupportedKernel = errors.New("kernel not supported on this CPU")

// KernelByName finds a kernel this CPU can run. "" or "auto" picks the
// fastest supported one.
func KernelByName(name string) (Kernel, error) {
	ks := Kernels()
	if name == "" || name == "auto" {
		for _, k := range ks {
			if ok, _ := k.Supported(); ok {
				return k, nil
			}
		}
		return Kernel{}, fmt.Errorf("no kernel runs on this CPU: %w", ErrUnsupportedKernel)
	}
	var names []string
	for _, k := range ks {
		names = append(names, k.Name)
		if k.Name == name {
			if ok, why := k.Supported(); !ok {
				return Kernel{}, fmt.Errorf("kernel %q: %s: %w", name, why, ErrUnsupportedKernel)
			}
			return k, nil
		}
	}
	return Kernel{}, fmt.Errorf("kernel %q (have %s): %w", name, strings.Join(names, ", "), ErrUnknownKernel)
}

// Hit is a nonce whose SHA-256d meets the target, confirmed by the reference.
type Hit struct {
	Nonce uint32 `json:"nonce"`
	Hash  Hash   `json:"-"`
}

// Scanner scans nonces of one job with one kernel. It is not safe for
// concurrent use; give each worker its own.
type Scanner struct {
	k      Kernel
	wk     *work
	header Header
	target Target
	cands  []uint32
}

// NewScanner prepares header h (its nonce is ignored) and target t for kernel k.
func NewScanner(k Kernel, h Header, t Target) *Scanner {
	return &Scanner{k: k, wk: newWork(&h, t), header: h, target: t, cands: make([]uint32, 0, 64)}
}

// Kernel is the kernel this scanner runs.
func (s *Scanner) Kernel() Kernel { return s.k }

// Scan hashes count nonces from start (wrapping past 2^32-1 is not allowed)
// and returns the hits among them, each confirmed with crypto/sha256 and in
// nonce order. It also returns the number of kernel candidates (nonces whose
// most significant word passed), which tests use to check the kernel itself.
func (s *Scanner) Scan(start uint32, count uint64, hits []Hit) ([]Hit, int) {
	s.cands = s.scanCandidates(start, count, s.cands[:0])
	for _, n := range s.cands {
		h := s.header
		h.SetNonce(n)
		d := DoubleHash(&h)
		if MeetsTarget(d, s.target) {
			hits = append(hits, Hit{Nonce: n, Hash: d})
		}
	}
	return hits, len(s.cands)
}

func (s *Scanner) scanCandidates(start uint32, count uint64, cands []uint32) []uint32 {
	if end := uint64(start) + count; end > 1<<32 {
		count = 1<<32 - uint64(start)
	}
	lanes := uint64(s.k.Lanes)
	bulk := count - count%lanes
	chunk := uint64(1<<30) - uint64(1<<30)%lanes // keeps count within uint32, whole batches only
	for done := uint64(0); done < bulk; {
		n := min(bulk-done, chunk)
		cands = s.k.scan(s.wk, start+uint32(done), uint32(n), cands)
		done += n
	}
	if tail := count - bulk; tail > 0 {
		cands = scanGeneric(s.wk, start+uint32(bulk), uint32(tail), cands)
	}
	return cands
}
