package gpubench

// Execution half of the PTX interpreter (parsing is in ptxsim_test.go).

import (
	"fmt"
	"math"
	"strings"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

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
