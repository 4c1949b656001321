package gpubench

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

// The embedded files are what ships; they must be what the generator makes.
func TestPTXFilesMatchGenerator(t *testing.T) {
	for name, want := range ptxgen.Files() {
		got, err := ptxFS.ReadFile("ptx/" + name)
		if err != nil {
			t.Fatalf("%s not embedded: %v", name, err)
		}
		if string(got) != want {
			t.Errorf("ptx/%s differs from the generator: run go generate ./gpubench", name)
		}
	}
}

func TestPTXModulesWellFormed(t *testing.T) {
	reVersion := regexp.MustCompile(`(?m)^\.version (\d+)\.(\d+)$`)
	reTarget := regexp.MustCompile(`(?m)^\.target sm_(\d+)$`)
	for _, m := range []ptxModule{modFMA, modMMA, modCopy, modSHA} {
		t.Run(m.file, func(t *testing.T) {
			text := string(m.text())
			v := reVersion.FindStringSubmatch(text)
			if v == nil || v[1] != "7" || v[2] != "0" {
				// 7.0 is CUDA 11.0's ISA: every driver since mid-2020 JITs it,
				// and it is the first with m16n8k16 bf16.
				t.Errorf(".version = %v, want 7.0", v)
			}
			tg := reTarget.FindStringSubmatch(text)
			if tg == nil || tg[1] != strconv.Itoa(m.minCC) {
				t.Errorf(".target = %v, want sm_%d", tg, m.minCC)
			}
			mod, err := parsePTX(text)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			for _, e := range m.entries {
				if _, ok := mod.kernels[e]; !ok {
					t.Errorf("entry %s missing", e)
				}
				if !strings.Contains(text, ".visible .entry "+e+"(") {
					t.Errorf("entry %s not visible", e)
				}
			}
			if len(mod.kernels) != len(m.entries) {
				t.Errorf("module has %d entries, host knows %d", len(mod.kernels), len(m.entries))
			}
			// Labels are unique across the module, in case the JIT scopes
			// them per module rather than per function.
			seen := map[string]bool{}
			for _, l := range regexp.MustCompile(`(?m)^(\$[\w$]+):$`).FindAllStringSubmatch(text, -1) {
				if seen[l[1]] {
					t.Errorf("label %s defined twice in the module", l[1])
				}
				seen[l[1]] = true
			}
			if strings.Count(text, "{\n") != strings.Count(text, "}\n") {
				t.Errorf("unbalanced braces")
			}
		})
	}
}

// mma.sync m16n8k16 fragments: A is 4 x .b32, B 2 x .b32, C and D 4 x .f32.
func TestPTXMMAOperandShapes(t *testing.T) {
	mod, err := parsePTX(string(modMMA.text()))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range mod.kernels {
		n := 0
		for _, in := range k.code {
			if !strings.HasPrefix(in.op, "mma.") {
				continue
			}
			n++
			if len(in.args) != 4 {
				t.Fatalf("%s line %d: %d operands", k.name, in.line, len(in.args))
			}
			for i, want := range []int{4, 4, 2, 4} {
				if got := len(in.args[i].regs); got != want {
					t.Errorf("%s line %d operand %d: %d registers, want %d", k.name, in.line, i, got, want)
				}
			}
		}
		if want := 3 * ptxgen.MMAAccums; n != want {
			t.Errorf("%s: %d mma instructions, want %d", k.name, n, want)
		}
	}
}

func TestParsePTXRejects(t *testing.T) {
	base := ".version 7.0\n.target sm_70\n.address_size 64\n.visible .entry k(\n.param .u64 p\n)\n{\n.reg .b32 %r<2>;\n"
	for name, body := range map[string]string{
		"undeclared register": "add.u32 %r2, %r1, 1;\nret;\n}\n",
		"unknown label":       "bra $L_nowhere;\nret;\n}\n",
		"unknown opcode":      "frobnicate.u32 %r1, %r1;\nret;\n}\n",
		"missing semicolon":   "add.u32 %r1, %r1, 1\nret;\n}\n",
		"unterminated":        "ret;\n",
	} {
		if _, err := parsePTX(base + body); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestSHAJobMatchesReference(t *testing.T) {
	h := parseDefaultHeader()
	job := shaJob(&h)
	// Finish the hash from the job words the way the kernel does and compare
	// with crypto/sha256 for a few nonces.
	for _, nonce := range []uint32{0, 1, 0x42a14695, 0xffffffff} {
		var w [64]uint32
		copy(w[:3], job[16:19])
		w[3] = nonce>>24 | nonce>>8&0xff00 | nonce<<8&0xff0000 | nonce<<24
		w[4], w[15] = 0x80000000, 640
		for i := 16; i < 64; i++ {
			w[i] = sigma1(w[i-2]) + w[i-7] + sigma0(w[i-15]) + w[i-16]
		}
		var s3, mid [8]uint32
		copy(mid[:], job[0:8])
		copy(s3[:], job[8:16])
		st := shaRounds(s3, w[:], ptxgen.PrecomputedRounds, 64)
		var first [32]byte
		for i := range st {
			binary.BigEndian.PutUint32(first[4*i:], st[i]+mid[i])
		}
		var blk [64]byte
		copy(blk[:], first[:])
		blk[32] = 0x80
		binary.BigEndian.PutUint32(blk[60:], 256)
		final := sha256Block(ptxgen.IV, blk[:])
		if got, want := bswap(final[7]), hashTop(h, nonce); got != want {
			t.Errorf("nonce %#x: top word %#08x, crypto/sha256 says %#08x", nonce, got, want)
		}
	}
}

func bswap(x uint32) uint32 { return x>>24 | x>>8&0xff00 | x<<8&0xff0000 | x<<24 }
