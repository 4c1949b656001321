package main

import (
	"strings"
	"testing"
)

// NaN and Inf are refused the same way on every number flag: one line
// naming the flag, exit 2, before any command looks at them.
func TestNonFiniteNumberFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"econ", "--offline", "--btc-price", "Inf"},
		{"econ", "--offline", "--btc-price", "NaN"},
		{"econ", "--offline", "--fees", "NaN"},
		{"econ", "--offline", "--difficulty", "Inf"},
		{"econ", "site", "--offline", "--power-price", "-Inf"},
		{"bench", "sha256", "--power-w", "NaN"},
	} {
		out, errOut, code := perwatt(t, nil, args...)
		flag := args[len(args)-2]
		if code != exitUsage || out != "" || !strings.Contains(errOut, flag+" ") || !strings.Contains(errOut, "want a finite number") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
