package main

import "fmt"

// onceString is a string flag that may be given once: pflag's own string
// flag keeps the last of several silently, so `--miner A --miner B` would
// quietly project B alone.
type onceString struct {
	v   *string
	set bool
}

func newOnceString(p *string, def string) *onceString {
	*p = def
	return &onceString{v: p}
}

func (o *onceString) String() string {
	if o.v == nil {
		return ""
	}
	return *o.v
}

func (o *onceString) Set(s string) error {
	if o.set {
		return fmt.Errorf("given twice (%q, then %q): this command takes one", *o.v, s)
	}
	*o.v, o.set = s, true
	return nil
}

func (o *onceString) Type() string { return "string" }
