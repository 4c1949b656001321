package config

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration reference is the example file itself; this
// keeps the two from drifting apart.
func TestREADMEEmbedsExampleConfig(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../configs/perwatt.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```toml\n"+string(example)+"```") {
		t.Fatal("README.md's configuration reference differs from configs/perwatt.example.toml; paste the file into the ```toml block")
	}
}
