package gpubench

// A small interpreter for the subset of PTX the embedded kernels use. It
// lets the tests run the real embedded kernel text on the CPU: the SHA-256d
// kernel's hits are compared with crypto/sha256, the FMA and copy kernels'
// outputs with the host's references. It checks what ptxas would reject in
// that subset (undeclared registers, unknown labels, unknown opcodes) but is
// no substitute for the driver's JIT or the hardware.

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

type simOperandKind int

const (
	opReg simOperandKind = iota
	opImm
	opMem   // [reg+off] or [param]
	opVec   // {reg, reg, ...}
	opSpec  // %tid.x etc.
	opLabel // branch target
)

type simOperand struct {
	kind  simOperandKind
	reg   int
	imm   uint64
	off   int64
	param string
	regs  []int
	spec  string
	label string
}

type simInst struct {
	line    int
	op      string
	pred    int // -1: none
	predNeg bool
	args    []simOperand
	target  int // resolved label pc for bra
}

type simParam struct {
	name   string
	size   int
	offset int
}

type simKernel struct {
	name    string
	params  []simParam
	regs    map[string]int
	nregs   int
	code    []simInst
	labels  map[string]int
	warpOps bool // has mma: run warps in lockstep
}

type simModule struct {
	version, target string
	kernels         map[string]*simKernel
}

var (
	reEntry   = regexp.MustCompile(`^\.visible\s+\.entry\s+([A-Za-z_$][\w$]*)\($`)
	reParam   = regexp.MustCompile(`^\.param\s+\.(u64|u32|f32|b32|b64)\s+([A-Za-z_$][\w$]*),?$`)
	reRegDecl = regexp.MustCompile(`^\.reg\s+\.(pred|b32|b64|u32|u64|f32)\s+(.+);$`)
	reRange   = regexp.MustCompile(`^(%[A-Za-z_$][A-Za-z_$]*)<(\d+)>$`)
	reLabel   = regexp.MustCompile(`^(\$[\w$]+):$`)
)

func parsePTX(text string) (*simModule, error) {
	m := &simModule{kernels: map[string]*simKernel{}}
	var k *simKernel
	inParams, inBody := false, false
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		ln := i + 1
		s := raw
		if j := strings.Index(s, "//"); j >= 0 {
			s = s[:j]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("line %d: %s: %q", ln, fmt.Sprintf(format, a...), raw)
		}
		switch {
		case strings.HasPrefix(s, ".version "):
			m.version = strings.TrimSpace(strings.TrimPrefix(s, ".version "))
		case strings.HasPrefix(s, ".target "):
			m.target = strings.TrimSpace(strings.TrimPrefix(s, ".target "))
		case strings.HasPrefix(s, ".address_size "):
			if s != ".address_size 64" {
				return nil, fail("want .address_size 64")
			}
		case reEntry.MatchString(s):
			if k != nil && inBody {
				return nil, fail("entry inside entry")
			}
			k = &simKernel{name: reEntry.FindStringSubmatch(s)[1], regs: map[string]int{}, labels: map[string]int{}}
			m.kernels[k.name] = k
			inParams = true
		case inParams && s == ")":
			inParams = false
		case inParams:
			p := reParam.FindStringSubmatch(s)
			if p == nil {
				return nil, fail("bad .param")
			}
			size := 4
			if strings.HasSuffix(p[1], "64") {
				size = 8
			}
			off := 0
			if n := len(k.params); n > 0 {
				off = k.params[n-1].offset + k.params[n-1].size
			}
			off = (off + size - 1) / size * size
			k.params = append(k.params, simParam{p[2], size, off})
		case s == "{":
			if k == nil || inBody {
				return nil, fail("unexpected {")
			}
			inBody = true
		case s == "}":
			if !inBody {
				return nil, fail("unexpected }")
			}
			inBody = false
		case !inBody:
			return nil, fail("statement outside a kernel body")
		case reRegDecl.MatchString(s):
			d := reRegDecl.FindStringSubmatch(s)
			for _, name := range strings.Split(d[2], ",") {
				name = strings.TrimSpace(name)
				if r := reRange.FindStringSubmatch(name); r != nil {
					n, _ := strconv.Atoi(r[2])
					for j := 0; j < n; j++ {
						k.declare(fmt.Sprintf("%s%d", r[1], j))
					}
					continue
				}
				if !strings.HasPrefix(name, "%") {
					return nil, fail("bad register name %q", name)
				}
				k.declare(name)
			}
		case reLabel.MatchString(s):
			name := reLabel.FindStringSubmatch(s)[1]
			if _, dup := k.labels[name]; dup {
				return nil, fail("label %s defined twice", name)
			}
			k.labels[name] = len(k.code)
		default:
			in, err := k.parseInst(s)
			if err != nil {
				return nil, fail("%v", err)
			}
			in.line = ln
			k.code = append(k.code, in)
		}
	}
	if inBody || inParams {
		return nil, fmt.Errorf("unterminated kernel %s", k.name)
	}
	for _, k := range m.kernels {
		for i := range k.code {
			in := &k.code[i]
			if in.op != "bra" {
				continue
			}
			pc, ok := k.labels[in.args[0].label]
			if !ok {
				return nil, fmt.Errorf("line %d: branch to undefined label %s", in.line, in.args[0].label)
			}
			in.target = pc
		}
	}
	return m, nil
}

func (k *simKernel) declare(name string) {
	if _, ok := k.regs[name]; !ok {
		k.regs[name] = k.nregs
		k.nregs++
	}
}

var simOps = map[string]bool{
	"ld.param.u64": true, "ld.param.u32": true, "ld.param.f32": true, "cvta.to.global.u64": true,
	"mov.u32": true, "mov.b32": true, "mov.f32": true, "mov.u64": true,
	"add.u32": true, "add.u64": true, "sub.u64": true, "add.rn.f32": true, "fma.rn.f32": true,
	"mad.lo.u32": true, "mul.wide.u32": true, "mul.lo.u32": true, "mul.lo.u64": true,
	"shl.b64": true, "shr.u32": true, "cvt.u64.u32": true, "and.b32": true, "xor.b32": true,
	"setp.eq.u32": true, "setp.lt.u32": true, "setp.le.u32": true, "setp.gt.u32": true, "setp.ge.u32": true,
	"setp.lt.u64": true, "setp.ge.u64": true,
	"bra": true, "ret": true,
	"ld.global.u32": true, "ld.global.v4.u32": true, "st.global.u32": true, "st.global.f32": true, "st.global.v4.u32": true,
	"shf.r.wrap.b32": true, "lop3.b32": true, "prmt.b32": true, "atom.global.add.u32": true,
	"mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32": true,
	"mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32":   true,
}

func (k *simKernel) parseInst(s string) (simInst, error) {
	in := simInst{pred: -1}
	if !strings.HasSuffix(s, ";") {
		return in, fmt.Errorf("missing ;")
	}
	s = strings.TrimSuffix(s, ";")
	if strings.HasPrefix(s, "@") {
		sp := strings.IndexByte(s, ' ')
		p := s[1:sp]
		if strings.HasPrefix(p, "!") {
			in.predNeg, p = true, p[1:]
		}
		r, ok := k.regs[p]
		if !ok {
			return in, fmt.Errorf("undeclared predicate %s", p)
		}
		in.pred = r
		s = strings.TrimSpace(s[sp+1:])
	}
	op, rest, _ := strings.Cut(s, " ")
	in.op = op
	if !simOps[op] {
		return in, fmt.Errorf("opcode %s not in the simulated subset", op)
	}
	if op == "ret" {
		return in, nil
	}
	if op == "bra" {
		in.args = []simOperand{{kind: opLabel, label: strings.TrimSpace(rest)}}
		return in, nil
	}
	for _, a := range splitOperands(rest) {
		o, err := k.parseOperand(a)
		if err != nil {
			return in, err
		}
		in.args = append(in.args, o)
	}
	if strings.HasPrefix(op, "mma.") {
		k.warpOps = true
	}
	return in, nil
}

func splitOperands(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func (k *simKernel) reg(name string) (int, error) {
	r, ok := k.regs[name]
	if !ok {
		return 0, fmt.Errorf("undeclared register %s", name)
	}
	return r, nil
}

func (k *simKernel) parseOperand(a string) (simOperand, error) {
	switch {
	case strings.HasPrefix(a, "{"):
		var o simOperand
		o.kind = opVec
		for _, r := range strings.Split(strings.Trim(a, "{}"), ",") {
			idx, err := k.reg(strings.TrimSpace(r))
			if err != nil {
				return o, err
			}
			o.regs = append(o.regs, idx)
		}
		return o, nil
	case strings.HasPrefix(a, "["):
		inner := strings.Trim(a, "[]")
		if !strings.HasPrefix(inner, "%") {
			for _, p := range k.params {
				if p.name == inner {
					return simOperand{kind: opMem, param: inner, reg: -1}, nil
				}
			}
			return simOperand{}, fmt.Errorf("unknown param %s", inner)
		}
		base, off, _ := strings.Cut(inner, "+")
		r, err := k.reg(base)
		if err != nil {
			return simOperand{}, err
		}
		o := simOperand{kind: opMem, reg: r}
		if off != "" {
			if o.off, err = strconv.ParseInt(off, 10, 64); err != nil {
				return o, fmt.Errorf("bad offset %q", off)
			}
		}
		return o, nil
	case a == "%tid.x" || a == "%ntid.x" || a == "%ctaid.x" || a == "%nctaid.x":
		return simOperand{kind: opSpec, spec: a}, nil
	case strings.HasPrefix(a, "%"):
		r, err := k.reg(a)
		return simOperand{kind: opReg, reg: r}, err
	case strings.HasPrefix(a, "0f"):
		v, err := strconv.ParseUint(a[2:], 16, 32)
		return simOperand{kind: opImm, imm: v}, err
	default:
		v, err := strconv.ParseUint(a, 0, 64)
		return simOperand{kind: opImm, imm: v}, err
	}
}

// simMemory is what the fake driver gives the interpreter: byte access to
// device allocations.
type simMemory interface {
	bytes(addr uint64, n int) ([]byte, error)
}

type simThread struct {
	r                        []uint64
	tid, ntid, ctaid, nctaid uint64
}

func (t *simThread) val(o simOperand) uint64 {
	switch o.kind {
	case opReg:
		return t.r[o.reg]
	case opImm:
		return o.imm
	case opSpec:
		switch o.spec {
		case "%tid.x":
			return t.tid
		case "%ntid.x":
			return t.ntid
		case "%ctaid.x":
			return t.ctaid
		case "%nctaid.x":
			return t.nctaid
		}
	}
	panic("bad operand")
}

// simLaunch runs kernel k over grid x block threads and returns how many
// thread-instructions it executed (the fake driver's notion of time).
func simLaunch(k *simKernel, grid, block uint32, params []byte, mem simMemory) (uint64, error) {
	var executed uint64
	for c := uint32(0); c < grid; c++ {
		if k.warpOps {
			if block%32 != 0 {
				return executed, fmt.Errorf("%s: block %d is not whole warps", k.name, block)
			}
			for w := uint32(0); w < block; w += 32 {
				ts := make([]*simThread, 32)
				for l := range ts {
					ts[l] = &simThread{r: make([]uint64, k.nregs), tid: uint64(w) + uint64(l), ntid: uint64(block), ctaid: uint64(c), nctaid: uint64(grid)}
				}
				n, err := simWarp(k, ts, params, mem)
				executed += n
				if err != nil {
					return executed, err
				}
			}
			continue
		}
		for t := uint32(0); t < block; t++ {
			th := &simThread{r: make([]uint64, k.nregs), tid: uint64(t), ntid: uint64(block), ctaid: uint64(c), nctaid: uint64(grid)}
			n, err := simRun(k, []*simThread{th}, params, mem)
			executed += n
			if err != nil {
				return executed, err
			}
		}
	}
	return executed, nil
}

func simWarp(k *simKernel, ts []*simThread, params []byte, mem simMemory) (uint64, error) {
	return simRun(k, ts, params, mem)
}

// simRun executes threads ts in lockstep (one thread, or a warp whose
// branches must be uniform).
func simRun(k *simKernel, ts []*simThread, params []byte, mem simMemory) (uint64, error) {
	var executed uint64
	pc := 0
	for steps := 0; ; steps++ {
		if steps > 1<<28 {
			return executed, fmt.Errorf("%s: runaway loop", k.name)
		}
		if pc >= len(k.code) {
			return executed, fmt.Errorf("%s: fell off the end", k.name)
		}
		in := &k.code[pc]
		executed += uint64(len(ts))
		pc++
		if in.op == "ret" {
			return executed, nil
		}
		if in.op == "bra" {
			taken := -1
			for _, t := range ts {
				tk := in.pred < 0 || ((t.r[in.pred] != 0) != in.predNeg)
				v := 0
				if tk {
					v = 1
				}
				if taken >= 0 && taken != v {
					return executed, fmt.Errorf("line %d: divergent branch in a warp-synchronous kernel", in.line)
				}
				taken = v
			}
			if taken == 1 {
				pc = in.target
			}
			continue
		}
		if strings.HasPrefix(in.op, "mma.") {
			if len(ts) != 32 {
				return executed, fmt.Errorf("line %d: mma outside a full warp", in.line)
			}
			simMMA(in, ts)
			continue
		}
		for _, t := range ts {
			if in.pred >= 0 && (t.r[in.pred] != 0) == in.predNeg {
				continue
			}
			if err := simExec(k, in, t, params, mem); err != nil {
				return executed, fmt.Errorf("line %d (%s): %w", in.line, in.op, err)
			}
		}
	}
}

func simExec(k *simKernel, in *simInst, t *simThread, params []byte, mem simMemory) error {
	a := in.args
	set := func(v uint64) { t.r[a[0].reg] = v }
	u32 := func(i int) uint32 { return uint32(t.val(a[i])) }
	f32 := func(i int) float32 { return math.Float32frombits(u32(i)) }
	addr := func(o simOperand) uint64 { return t.r[o.reg] + uint64(o.off) }
	switch in.op {
	case "ld.param.u64", "ld.param.u32", "ld.param.f32":
		for _, p := range k.params {
			if p.name == a[1].param {
				if p.offset+p.size > len(params) {
					return fmt.Errorf("param %s beyond the %d bytes passed", p.name, len(params))
				}
				var v uint64
				for i := p.size - 1; i >= 0; i-- {
					v = v<<8 | uint64(params[p.offset+i])
				}
				set(v)
				return nil
			}
		}
		return fmt.Errorf("no param %s", a[1].param)
	case "cvta.to.global.u64", "mov.u64":
		set(t.val(a[1]))
	case "mov.u32", "mov.b32", "mov.f32":
		set(uint64(u32(1)))
	case "add.u32":
		set(uint64(u32(1) + u32(2)))
	case "add.u64":
		set(t.val(a[1]) + t.val(a[2]))
	case "sub.u64":
		set(t.val(a[1]) - t.val(a[2]))
	case "add.rn.f32":
		set(uint64(math.Float32bits(f32(1) + f32(2))))
	case "fma.rn.f32":
		set(uint64(math.Float32bits(fma32(f32(1), f32(2), f32(3)))))
	case "mad.lo.u32":
		set(uint64(u32(1)*u32(2) + u32(3)))
	case "mul.wide.u32":
		set(uint64(u32(1)) * uint64(u32(2)))
	case "mul.lo.u32":
		set(uint64(u32(1) * u32(2)))
	case "mul.lo.u64":
		set(t.val(a[1]) * t.val(a[2]))
	case "shl.b64":
		set(t.val(a[1]) << (t.val(a[2]) & 63))
	case "shr.u32":
		set(uint64(u32(1) >> (u32(2) & 31)))
	case "cvt.u64.u32":
		set(uint64(u32(1)))
	case "and.b32":
		set(uint64(u32(1) & u32(2)))
	case "xor.b32":
		set(uint64(u32(1) ^ u32(2)))
	case "setp.eq.u32", "setp.lt.u32", "setp.le.u32", "setp.gt.u32", "setp.ge.u32", "setp.lt.u64", "setp.ge.u64":
		x, y := t.val(a[1]), t.val(a[2])
		if strings.HasSuffix(in.op, "u32") {
			x, y = uint64(uint32(x)), uint64(uint32(y))
		}
		var r bool
		switch in.op[5:7] {
		case "eq":
			r = x == y
		case "lt":
			r = x < y
		case "le":
			r = x <= y
		case "gt":
			r = x > y
		case "ge":
			r = x >= y
		}
		v := uint64(0)
		if r {
			v = 1
		}
		set(v)
	case "shf.r.wrap.b32":
		wide := uint64(u32(2))<<32 | uint64(u32(1))
		set(uint64(uint32(wide >> (u32(3) & 31))))
	case "lop3.b32":
		set(uint64(ptxgen.Lop3(u32(1), u32(2), u32(3), uint8(u32(4)))))
	case "prmt.b32":
		x := uint64(u32(2))<<32 | uint64(u32(1))
		sel := u32(3)
		var d uint32
		for i := 0; i < 4; i++ {
			s := (sel >> (4 * i)) & 0xf
			if s&8 != 0 {
				return fmt.Errorf("prmt sign-replicate selector not simulated")
			}
			d |= uint32(byte(x>>(8*s))) << (8 * i)
		}
		set(uint64(d))
	case "ld.global.u32":
		b, err := mem.bytes(addr(a[1]), 4)
		if err != nil {
			return err
		}
		set(uint64(le32(b, 0)))
	case "ld.global.v4.u32":
		b, err := mem.bytes(addr(a[1]), 16)
		if err != nil {
			return err
		}
		for i, r := range a[0].regs {
			t.r[r] = uint64(le32(b, i))
		}
	case "st.global.u32", "st.global.f32":
		b, err := mem.bytes(addr(a[0]), 4)
		if err != nil {
			return err
		}
		putLE32(b, 0, u32(1))
	case "st.global.v4.u32":
		b, err := mem.bytes(addr(a[0]), 16)
		if err != nil {
			return err
		}
		for i, r := range a[1].regs {
			putLE32(b, i, uint32(t.r[r]))
		}
	case "atom.global.add.u32":
		b, err := mem.bytes(addr(a[1]), 4)
		if err != nil {
			return err
		}
		old := le32(b, 0)
		putLE32(b, 0, old+u32(2))
		set(uint64(old))
	default:
		return fmt.Errorf("not simulated")
	}
	return nil
}

// simMMA computes one m16n8k16 for a warp: it gathers the fragments from the
// lanes with the layout of the PTX ISA's m16n8k16 figures (the same layout
// mmaOperands assumes, so this checks the kernel's data flow, not the
// hardware's layout), adds C, and scatters D.
func simMMA(in *simInst, ts []*simThread) {
	bf16 := strings.Contains(in.op, ".bf16.")
	dec := func(h uint32) float64 {
		if bf16 {
			return float64(math.Float32frombits(h << 16))
		}
		return float64(halfToFloat32(uint16(h)))
	}
	d, ar, br, cr := in.args[0].regs, in.args[1].regs, in.args[2].regs, in.args[3].regs
	var A [16][16]float64
	var B [16][8]float64
	var C [16][8]float64
	for lane, t := range ts {
		g, q := lane/4, lane%4
		av := func(i int) (float64, float64) {
			w := uint32(t.r[ar[i]])
			return dec(w & 0xffff), dec(w >> 16)
		}
		A[g][2*q], A[g][2*q+1] = av(0)
		A[g+8][2*q], A[g+8][2*q+1] = av(1)
		A[g][2*q+8], A[g][2*q+9] = av(2)
		A[g+8][2*q+8], A[g+8][2*q+9] = av(3)
		b0, b1 := uint32(t.r[br[0]]), uint32(t.r[br[1]])
		B[2*q][g], B[2*q+1][g] = dec(b0&0xffff), dec(b0>>16)
		B[2*q+8][g], B[2*q+9][g] = dec(b1&0xffff), dec(b1>>16)
		cf := func(i int) float64 { return float64(math.Float32frombits(uint32(t.r[cr[i]]))) }
		C[g][2*q], C[g][2*q+1], C[g+8][2*q], C[g+8][2*q+1] = cf(0), cf(1), cf(2), cf(3)
	}
	var D [16][8]float32
	for i := 0; i < 16; i++ {
		for j := 0; j < 8; j++ {
			s := C[i][j]
			for k := 0; k < 16; k++ {
				s += A[i][k] * B[k][j]
			}
			D[i][j] = float32(s)
		}
	}
	for lane, t := range ts {
		g, q := lane/4, lane%4
		vals := [4]float32{D[g][2*q], D[g][2*q+1], D[g+8][2*q], D[g+8][2*q+1]}
		for i, r := range d {
			t.r[r] = uint64(math.Float32bits(vals[i]))
		}
	}
}
