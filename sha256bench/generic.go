package sha256bench

import "math/bits"

// scanGeneric is the portable kernel. It uses the same shortcuts as the
// assembly: the midstate and block 2's rounds 0..3 come from the table, the
// nonce-independent schedule words are precomputed, the second hash starts
// after its round 0 and stops at round 60, the last round that H7 depends on.
// It appends to cands every nonce in [start, start+count) whose H7 passes the
// target's top word; the caller confirms each with the reference.
func scanGeneric(wk *work, start uint32, count uint32, cands []uint32) []uint32 {
	tab := &wk.tab
	top := tab[tabTop]
	var w [64]uint32
	w1 := wk.block2Words()
	for i := range count {
		nonce := start + i
		copy(w[:], w1[:18])
		w[3] = bits.ReverseBytes32(nonce)
		for t := 18; t < 64; t++ {
			w[t] = sigma1(w[t-2]) + w[t-7] + sigma0(w[t-15]) + w[t-16]
		}
		st := (*[8]uint32)(tab[tabB2State : tabB2State+8])
		a, b, c, d, e, f, g, h := st[0]+w[3], st[1], st[2], st[3], st[4]+w[3], st[5], st[6], st[7]
		for t := 4; t < 64; t++ {
			kw := tab[tabB2K+t]
			if t >= 18 {
				kw += w[t]
			}
			t1 := h + bigSigma1(e) + ch(e, f, g) + kw
			t2 := bigSigma0(a) + maj(a, b, c)
			h, g, f, e, d, c, b, a = g, f, e, d+t1, c, b, a, t1+t2
		}
		mid := (*[8]uint32)(tab[tabMid : tabMid+8])
		w[0], w[1], w[2], w[3] = a+mid[0], b+mid[1], c+mid[2], d+mid[3]
		w[4], w[5], w[6], w[7] = e+mid[4], f+mid[5], g+mid[6], h+mid[7]
		w[8], w[15] = 0x80000000, 256
		for t := 9; t < 15; t++ {
			w[t] = 0
		}
		for t := 16; t <= 60; t++ {
			w[t] = sigma1(w[t-2]) + w[t-7] + sigma0(w[t-15]) + w[t-16]
		}
		st = (*[8]uint32)(tab[tabH2State : tabH2State+8])
		a, b, c, d, e, f, g, h = st[0]+w[0], st[1], st[2], st[3], st[4]+w[0], st[5], st[6], st[7]
		for t := 1; t < 60; t++ {
			kw := tab[tabH2K+t]
			if t < 8 || t >= 16 {
				kw += w[t]
			}
			t1 := h + bigSigma1(e) + ch(e, f, g) + kw
			var t2 uint32
			if t <= 56 { // round 60 reads a from round 56 as d; later a's are unused
				t2 = bigSigma0(a) + maj(a, b, c)
			}
			h, g, f, e, d, c, b, a = g, f, e, d+t1, c, b, a, t1+t2
		}
		e = d + h + bigSigma1(e) + ch(e, f, g) + tab[tabH2K+60] + w[60]
		if bits.ReverseBytes32(tab[tabIV7]+e) <= top {
			cands = append(cands, nonce)
		}
	}
	return cands
}

// block2Words returns block 2's message words with the nonce word zero and
// the nonce-independent words 16 and 17 filled in.
func (wk *work) block2Words() *[64]uint32 { return &wk.b2w }
