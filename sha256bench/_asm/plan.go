package main

// wordKind mirrors sha256bench's classification of message words.
type wordKind uint8

const (
	wordVar wordKind = iota
	wordConst
	wordZero
)

// term is one of the four addends of a schedule word.
type term struct {
	src int
	fn  int // 0: identity, 1: sigma0, 2: sigma1
}

func termsOf(t int) [4]term {
	return [4]term{{t - 2, 2}, {t - 7, 0}, {t - 15, 1}, {t - 16, 0}}
}

// plan is the shape of one compression: which words vary with the nonce.
type plan struct {
	kind [64]wordKind
	// hasConst[t]: word t varies but some of its terms are known, so the
	// table's C entry has to be added.
	hasConst [64]bool
}

func newPlan(first [16]wordKind) plan {
	var p plan
	copy(p.kind[:16], first[:])
	for t := 16; t < 64; t++ {
		known, allZero := true, true
		for _, tm := range termsOf(t) {
			switch p.kind[tm.src] {
			case wordVar:
				known = false
			case wordConst:
				allZero = false
			}
		}
		switch {
		case known && allZero:
			p.kind[t] = wordZero
		case known:
			p.kind[t] = wordConst
		default:
			p.kind[t] = wordVar
			p.hasConst[t] = !allZero
		}
	}
	return p
}

var (
	V = wordVar
	C = wordConst
	Z = wordZero

	block2Plan = newPlan([16]wordKind{C, C, C, V, C, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, C})
	hash2Plan  = newPlan([16]wordKind{V, V, V, V, V, V, V, V, C, Z, Z, Z, Z, Z, Z, C})
)
