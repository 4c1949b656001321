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
	get   func(*Config) []string
	valid []string
	what  string // "part", "kernel": how a value is named in the error
}

// Kernels makes bench.sha256.kernel one of names ("auto" always allowed).
func Kernels(names ...string) Option {
	return func(o *options) {
		o.choices = append(o.choices, choice{
			key:   "bench.sha256.kernel",
			get:   func(c *Config) []string { return []string{c.Bench.SHA256.Kernel} },
			valid: append([]string{"auto"}, names...),
		})
	}
}

// HostParts makes every entry of collectors.host.skip one of the parts the
// host collector has (collectors.HostParts), which the wiring passes in so
// this package need not import the collectors.
func HostParts(parts ...string) Option {
	return func(o *options) {
		o.choices = append(o.choices, choice{
			key:   "collectors.host.skip",
			get:   func(c *Config) []string { return c.Collectors.Host.Skip },
			valid: parts,
			what:  "part",
		})
	}
}

func (o options) check(c *Config) []Problem {
	var ps []Problem
	for _, ch := range o.choices {
		for _, v := range ch.get(c) {
			if slices.Contains(ch.valid, v) {
				continue
			}
			msg := fmt.Sprintf("want one of %s, got %q", strings.Join(ch.valid, ", "), v)
			if ch.what != "" {
				msg = fmt.Sprintf("unknown %s %q; the %ss are %s", ch.what, v, ch.what, strings.Join(ch.valid, ", "))
			}
			ps = append(ps, Problem{Key: ch.key, Msg: msg})
		}
	}
	return ps
}
