package gpubench

// A small interpreter for the subset of PTX the embedded kernels use. It
// lets the tests run the real embedded kernel text on the CPU: the SHA-256d
// kernel's hits are compared with crypto/sha256, the FMA and copy kernels'
// outputs with the host's references. It checks what ptxas would reject in
// that subset (undeclared registers, unknown labels, unknown opcodes) but is
// no substitute for the driver's JIT or the hardware.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
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
