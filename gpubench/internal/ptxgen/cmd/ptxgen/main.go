// Command ptxgen writes gpubench's embedded PTX files (go generate ./gpubench).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/perwatt/perwatt/gpubench/internal/ptxgen"
)

func main() {
	dir := "ptx"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	for name, text := range ptxgen.Files() {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "ptxgen:", err)
			os.Exit(1)
		}
	}
}
