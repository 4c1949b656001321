// Command _asm generates the amd64 SHA-256d nonce-scan kernels of package
// sha256bench with avo. Run it through `go generate` in sha256bench.
//
// The kernels share one plan with the portable Go kernel (sha256bench/work.go):
// the per-job table holds the midstate, block 2's state after round 3 less the
// nonce word, K[t]+W[t] for nonce-independent words and the known part of
// nonce-dependent schedule words. The index constants below mirror work.go.
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

const (
	tabB2K     = 0
	tabB2C     = 64
	tabH2K     = 128
	tabH2C     = 192
	tabB2State = 256
	tabMid     = 264
	tabH2State = 272
	tabIV7     = 280
	tabTop     = 281

	tabShaB2    = 288
	tabShaB2Msg = 296
	tabShaMid   = 312
	tabShaIV    = 320
	tabShaH2Msg = 328
	tabShaP5    = 336
	tabShaC7    = 340
	tabLen      = 344
	// scratchOff is where work.scratch starts, relative to work.tab.
	scratchOff = tabLen * 4
)

func main() {
	ConstraintExpr("amd64,!purego")
	consts := newConsts()
	genVector(avx512ISA(consts))
	genVector(avx2ISA(consts))
	genSHANI(consts)
	Generate()
}
