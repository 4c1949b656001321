package config

import (
	"fmt"
	"slices"
	"strings"
)

// Option adds a check that needs knowledge the config package does not own,
// such as which SHA-256 kernels this build has.
type Option func(*options)

type options struct {
	choices []choice
}

type choice struct {
	key   string
	get   func(*Config) string
	valid []string
}

// Kernels makes bench.sha256.kernel one of names ("auto" always allowed).
func Kernels(names ...string) Option {
	return func(o *options) {
		o.choices = append(o.choices, choice{
			key:   "bench.sha256.kernel",
			get:   func(c *Config) string { return c.Bench.SHA256.Kernel },
			valid: append([]string{"auto"}, names...),
		})
	}
}

func (o options) check(c *Config) []Problem {
	var ps []Problem
	for _, ch := range o.choices {
		if v := ch.get(c); !slices.Contains(ch.valid, v) {
			ps = append(ps, Problem{Key: ch.key, Msg: fmt.Sprintf("want one of %s, got %q", strings.Join(ch.valid, ", "), v)})
		}
	}
	return ps
}
