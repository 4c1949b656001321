package sha256bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// ErrSelfCheck means a kernel computed a wrong hash; its rate is worthless.
var ErrSelfCheck = errors.New("kernel self-check failed")

// Real mainnet headers (heights 0, 100000 and 500000) whose nonces every
// kernel must find. The same headers, and more, are in testdata for tests.
var checkHeaders = []struct {
	height int
	header string
	hash   string
}{
	{0, "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c",
		"000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
	{100000, "0100000050120119172a610421a6c3011dd330d9df07b63616c2cc1f1cd00200000000006657a9252aacd5c0b2940996ecff952228c3067cc38d4885efb5a4ac4247e9f337221b4d4c86041b0f2b5710",
		"000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506"},
	{500000, "000000201929eb850a74427d0440cf6b518308837566cd6d0662790000000000000000001f6231ed3de07345b607ec2a39b2d01bec2fe10dfb7f516ba4958a42691c95316d0a385a459600185599fc5c",
		"00000000000000000024fb37364cbf81fd49cc2d51c09c75c35433c3a1945d04"},
}

// benchHeader is the job the runner scans: mainnet block 500000's header,
// so the work is exactly a real miner's, at its real target.
func benchHeader() Header {
	h, err := ParseHeader(checkHeaders[2].header)
	if err != nil {
		panic(err) // a constant; tests parse it too
	}
	return h
}

// SelfCheck proves k right before anyone trusts its rate: it must find the
// nonces of real blocks and classify a few thousand random nonces exactly as
// crypto/sha256 does. It takes a few milliseconds.
func SelfCheck(k Kernel) error {
	var errs []error
	for _, c := range checkHeaders {
		h, err := ParseHeader(c.header)
		if err != nil {
			return fmt.Errorf("self-check header %d: %w", c.height, err)
		}
		nonce := h.Nonce()
		hits, _ := NewScanner(k, h, TargetFromBits(h.Bits())).Scan(nonce-517, 1024, nil)
		if len(hits) != 1 || hits[0].Nonce != nonce || hits[0].Hash.String() != c.hash {
			errs = append(errs, fmt.Errorf("block %d: found %v, want nonce %d", c.height, hits, nonce))
		}
	}
	// Random header, a target word that half of all hashes pass: a wrong
	// most significant word shows up as a wrong candidate set.
	rng := rand.New(rand.NewPCG(0x5eed, uint64(len(k.Name))))
	var h Header
	for i := range h {
		h[i] = byte(rng.Uint32())
	}
	start, n, top := rng.Uint32()>>1, 2048+k.Lanes+1, uint32(1<<31)
	var want []uint32
	hh := h
	for i := range n {
		hh.SetNonce(start + uint32(i))
		d := DoubleHash(&hh)
		if binary.LittleEndian.Uint32(d[28:]) <= top {
			want = append(want, start+uint32(i))
		}
	}
	var t Target
	for i := range 28 {
		t[i] = 0xff
	}
	binary.LittleEndian.PutUint32(t[28:], top)
	got := NewScanner(k, h, t).scanCandidates(start, uint64(n), nil)
	if !slices.Equal(got, want) {
		errs = append(errs, fmt.Errorf("random header: %d candidates, crypto/sha256 says %d", len(got), len(want)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: kernel %s: %w", ErrSelfCheck, k.Name, err)
	}
	return nil
}
