package sha256bench

import (
	"bufio"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

type mainnetBlock struct {
	height int
	header Header
	hash   string
}

func loadMainnet(t testing.TB) []mainnetBlock {
	t.Helper()
	f, err := os.Open("testdata/mainnet_headers.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []mainnetBlock
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Fields(line)
		if len(parts) != 3 {
			t.Fatalf("bad line %q", line)
		}
		height, err := strconv.Atoi(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseHeader(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mainnetBlock{height, h, parts[2]})
	}
	if len(out) < 4 {
		t.Fatalf("only %d mainnet headers", len(out))
	}
	return out
}

// supportedKernels is every kernel this CPU runs; the generic one always.
func supportedKernels(t testing.TB) []Kernel {
	var ks []Kernel
	for _, k := range Kernels() {
		if ok, why := k.Supported(); ok {
			ks = append(ks, k)
		} else {
			t.Logf("kernel %s not tested: %s", k.Name, why)
		}
	}
	return ks
}

func TestMainnetHeadersHashToTheirBlockHash(t *testing.T) {
	for _, b := range loadMainnet(t) {
		if got := DoubleHash(&b.header).String(); got != b.hash {
			t.Errorf("block %d: hash %s, want %s", b.height, got, b.hash)
		}
		if !MeetsTarget(DoubleHash(&b.header), TargetFromBits(b.header.Bits())) {
			t.Errorf("block %d does not meet its own target", b.height)
		}
	}
}

func TestKernelsFindMainnetNonces(t *testing.T) {
	blocks := loadMainnet(t)
	for _, k := range supportedKernels(t) {
		t.Run(k.Name, func(t *testing.T) {
			for _, b := range blocks {
				nonce := b.header.Nonce()
				// An odd start puts the real nonce in a different lane each time.
				start := nonce - 1001 + uint32(b.height%7)
				s := NewScanner(k, b.header, TargetFromBits(b.header.Bits()))
				hits, _ := s.Scan(start, 2048, nil)
				if len(hits) != 1 || hits[0].Nonce != nonce || hits[0].Hash.String() != b.hash {
					t.Errorf("block %d: hits %v, want nonce %d", b.height, hits, nonce)
				}
				// Just outside the range: nothing.
				if hits, _ := s.Scan(nonce+1, 512, nil); len(hits) != 0 {
					t.Errorf("block %d: unexpected hits %v", b.height, hits)
				}
			}
		})
	}
}

// refCandidates is what every kernel must return: the nonces whose hash's
// most significant 32 bits are at most top, by crypto/sha256.
func refCandidates(h Header, top uint32, start uint32, n int) []uint32 {
	var out []uint32
	for i := range n {
		nonce := start + uint32(i)
		h.SetNonce(nonce)
		d := DoubleHash(&h)
		if binary.LittleEndian.Uint32(d[28:]) <= top {
			out = append(out, nonce)
		}
	}
	return out
}

func targetWithTop(top uint32) Target {
	var t Target
	for i := range 28 {
		t[i] = 0xff
	}
	binary.LittleEndian.PutUint32(t[28:], top)
	return t
}

func TestKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tops := []uint32{0, 1 << 31, 0xffffffff, 0x0fffffff, 0xf0000000}
	for i := range 6 {
		tops = append(tops, rng.Uint32())
		_ = i
	}
	type tc struct {
		header Header
		top    uint32
		start  uint32
	}
	var cases []tc
	for i, top := range tops {
		var h Header
		for j := range h {
			h[j] = byte(rng.Uint32())
		}
		start := rng.Uint32()
		if i == 0 {
			start = 0xffffffff - 300 // the scan stops at the last nonce
		}
		cases = append(cases, tc{h, top, start})
	}
	const n = 1000 // not a multiple of any lane count: the tail path runs too
	for _, k := range supportedKernels(t) {
		t.Run(k.Name, func(t *testing.T) {
			for _, c := range cases {
				want := refCandidates(c.header, c.top, c.start, int(min(n, 1<<32-uint64(c.start))))
				s := NewScanner(k, c.header, targetWithTop(c.top))
				got := s.scanCandidates(c.start, n, nil)
				if !slices.Equal(got, want) {
					t.Errorf("top %#x start %d: %d candidates, want %d (first diff at %d)",
						c.top, c.start, len(got), len(want), firstDiff(got, want))
				}
			}
		})
	}
}

func firstDiff(a, b []uint32) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestKernelHitsAreConfirmedByReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var h Header
	for j := range h {
		h[j] = byte(rng.Uint32())
	}
	target := TargetFromDifficultyBits(6) // about 1 hit in 64
	for _, k := range supportedKernels(t) {
		s := NewScanner(k, h, target)
		hits, cands := s.Scan(1000, 4096, nil)
		var want []uint32
		for i := range uint32(4096) {
			hh := h
			hh.SetNonce(1000 + i)
			if MeetsTarget(DoubleHash(&hh), target) {
				want = append(want, 1000+i)
			}
		}
		var got []uint32
		for _, x := range hits {
			got = append(got, x.Nonce)
		}
		if !slices.Equal(got, want) || len(want) == 0 || cands != len(want) {
			t.Errorf("%s: hits %v (%d candidates), want %v", k.Name, got, cands, want)
		}
	}
}

func TestTargetFromBits(t *testing.T) {
	for _, c := range []struct {
		bits uint32
		want string
	}{
		{0x1d00ffff, "00000000ffff0000000000000000000000000000000000000000000000000000"},
		{0x18009645, "0000000000000000009645000000000000000000000000000000000000000000"},
		{0x03123456, "0000000000000000000000000000000000000000000000000000000000123456"},
		{0x01003456, "0000000000000000000000000000000000000000000000000000000000000000"},
		{0x04923456, "0000000000000000000000000000000000000000000000000000000000000000"}, // negative
		{0x23000001, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}, // overflow
	} {
		if got := TargetFromBits(c.bits).String(); got != c.want {
			t.Errorf("bits %#x: %s, want %s", c.bits, got, c.want)
		}
	}
}

func TestKernelByName(t *testing.T) {
	if _, err := KernelByName("nope"); err == nil || !strings.Contains(err.Error(), "generic") {
		t.Errorf("unknown kernel error %v should list the kernels", err)
	}
	k, err := KernelByName("")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := k.Supported(); !ok {
		t.Errorf("auto picked unsupported %s", k.Name)
	}
	for _, k := range Kernels() {
		_, err := KernelByName(k.Name)
		if ok, _ := k.Supported(); ok != (err == nil) {
			t.Errorf("%s: supported %v but KernelByName error %v", k.Name, ok, err)
		}
	}
}

// The AVX2 kernel addresses work.scratch relative to work.tab.
func TestScratchFollowsTable(t *testing.T) {
	var wk work
	if off := unsafe.Offsetof(wk.scratch) - unsafe.Offsetof(wk.tab); off != 4*tabLen {
		t.Errorf("scratch at %d bytes after tab, the generator assumes %d", off, 4*tabLen)
	}
}
