package gpubench

import (
	"embed"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

//go:generate go run ./internal/ptxgen/cmd/ptxgen ptx

//go:embed ptx/*.ptx
var ptxFS embed.FS

// ptxModule is one embedded PTX file and the entry points the host uses.
type ptxModule struct {
	file    string
	entries []string
	// minCC is the lowest compute capability (major*10+minor) the module's
	// .target accepts; older GPUs skip the kernels instead of failing JIT.
	minCC int
}

var (
	modFMA  = ptxModule{"fma.ptx", []string{ptxgen.EntryFMA}, 70}
	modMMA  = ptxModule{"mma.ptx", []string{ptxgen.EntryMMABF16, ptxgen.EntryMMAF16}, 80}
	modCopy = ptxModule{"copy.ptx", []string{ptxgen.EntryCopy}, 70}
	modSHA  = ptxModule{"sha256d.ptx", []string{ptxgen.EntrySHA256d}, 70}
)

func (m ptxModule) text() []byte {
	b, err := ptxFS.ReadFile("ptx/" + m.file)
	if err != nil {
		// The files are embedded at build time; a missing one is a build bug.
		panic("gpubench: embedded " + m.file + " missing: " + err.Error())
	}
	return b
}
