package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEAppraisalExample runs the worked example's command exactly as
// the README shows it and finds the README's figures in its output.
func TestREADMEAppraisalExample(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i := strings.Index(readme, "### A worked example you can check by hand")
	if i < 0 {
		t.Fatal("README has no appraisal worked example")
	}
	m := regexp.MustCompile("(?s)```sh\n(perwatt econ .*?)\n```").FindStringSubmatch(readme[i:])
	if m == nil {
		t.Fatal("no command in the worked example")
	}
	args := strings.Fields(strings.ReplaceAll(m[1], "\\\n", " "))[1:]
	for k, a := range args {
		if strings.HasPrefix(a, "economics/") {
			args[k] = filepath.Join("..", "..", a) // the README runs from the repository root
		}
	}
	out, errOut, code := perwatt(t, nil, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	// Each row: revenue $/day, breakeven $/kWh, net $/W/yr as the README states them.
	for _, row := range []struct{ name, revenue, breakeven, net string }{
		{"rig-a", "12.36", "0.1471", "0.851"},
		{"lease", "33.60", "1.1067", "9.257"},
		{"(NVIDIA H100 80GB HBM3) mining", "0.00", "0.0000", "-0.438"},
	} {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, row.name) && strings.Contains(l, "  mining  ") || strings.Contains(l, row.name) && strings.Contains(l, " leasing ") {
				line = l
				break
			}
		}
		for _, want := range []string{row.revenue, row.breakeven, row.net} {
			if !strings.Contains(line, " "+want+" ") {
				t.Errorf("%s: %q not in %q", row.name, want, line)
			}
		}
	}
	for _, fig := range []string{"$12.36/day", "$0.851 per W-year", "$0.1471/kWh", "$33.60/day", "$9.257 per W-year", "−$0.438 per W-year"} {
		if !strings.Contains(readme[i:], fig) {
			t.Errorf("README example lost %q", fig)
		}
	}
}
