package sha256bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedAssemblyIsCurrent reruns the avo generator and compares its
// output with the committed files, so the assembly cannot drift from
// _asm (for example after a table index changes in work.go and _asm/main.go).
func TestGeneratedAssemblyIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the generator; run without -short")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "run", ".", "-out", filepath.Join(dir, "sha256d_amd64.s"),
		"-stubs", filepath.Join(dir, "sha256d_stub_amd64.go"), "-pkg", "sha256bench")
	cmd.Dir = "_asm"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, out)
	}
	for _, f := range []string{"sha256d_amd64.s", "sha256d_stub_amd64.go"} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The first line names the command's output paths; the rest must match.
		if !bytes.Equal(afterFirstLine(got), afterFirstLine(want)) {
			t.Errorf("%s is stale: run go generate ./sha256bench", f)
		}
	}
}

func afterFirstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}
