//go:build linux && (amd64 || arm64)

package gpubench

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Memory handed to the driver must not live on a goroutine stack, which
// the runtime moves: the JIT log buffers reach C only as integers inside
// the option array, invisible to escape analysis, and were stack-allocated
// until they were pinned. This asks the compiler where every buffer built
// in the functions that hand memory to C ends up.
func TestDriverBuffersAreNotOnTheStack(t *testing.T) {
	// go test puts its own GOROOT/bin first on PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to ask the compiler: %v", err)
	}
	out, err := exec.Command(goBin, "build", "-gcflags=-m", "-o", "/dev/null", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cuda_linux.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	type span struct{ from, to int }
	funcs := map[string]span{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && (fd.Name.Name == "moduleLoad" || fd.Name.Name == "launch") {
			funcs[fd.Name.Name] = span{fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line}
		}
	}
	if len(funcs) != 2 {
		t.Fatalf("found %v in cuda_linux.go, want moduleLoad and launch", funcs)
	}
	line := regexp.MustCompile(`cuda_linux\.go:(\d+):\d+: (.*)`)
	seen := map[string]int{}
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil || !(strings.HasPrefix(m[2], "make(") || strings.Contains(m[2], "{...}")) {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		for name, s := range funcs {
			if n < s.from || n > s.to || strings.HasPrefix(m[2], "[][]byte{") {
				continue
			}
			seen[name]++
			if strings.Contains(m[2], "does not escape") {
				t.Errorf("%s, line %d: %s: a buffer the driver sees is on the goroutine stack", name, n, m[2])
			}
		}
	}
	if seen["moduleLoad"] < 5 || seen["launch"] < 2 {
		t.Errorf("compiler reported %v allocations, want moduleLoad's 5 and launch's 2", seen)
	}
}
