package config

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Problem is one thing wrong with a config file, located for the operator.
type Problem struct {
	File string
	Line int // 0 when the key is absent from the file (a bad default combination)
	Key  string
	Msg  string
}

func (p Problem) Error() string {
	if strings.ContainsFunc(p.Key, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		p.Key = strconv.Quote(p.Key) // one problem, one line
	}
	switch {
	case p.Line > 0 && p.Key != "":
		return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Key, p.Msg)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	case p.Key != "":
		return fmt.Sprintf("%s: %s: %s", p.File, p.Key, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// decode fills cfg from data, then validates it; every problem found is
// returned, joined, sorted by line, each naming its key and line. Only a
// syntax error stops the reading early: past it the file has no meaning.
func decode(cfg *Config, data []byte, file string, opts ...Option) error {
	if file == "" {
		file = "config"
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return Problem{File: file, Line: row, Key: strings.Join(de.Key(), "."), Msg: strings.TrimPrefix(de.Error(), "toml: ")}
		}
		return Problem{File: file, Msg: err.Error()}
	}
	var as assigner
	as.table(reflect.ValueOf(cfg).Elem(), doc, "")
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	lines := keyLines(data)
	ps := append(as.probs, cfg.validate()...)
	ps = append(ps, o.check(cfg)...)
	for i := range ps {
		ps[i].File = file
		ps[i].Line = lines.find(ps[i].Key)
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if a.Line == 0 || b.Line == 0 { // unlocated problems last
			return cmp.Compare(b.Line, a.Line)
		}
		return cmp.Compare(a.Line, b.Line)
	})
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// lineIndex maps dotted key paths ("collectors.asic.rigs.2.address") to the
// line where they are set.
type lineIndex map[string]int

// find returns the line of key or of its closest enclosing table.
func (l lineIndex) find(key string) int {
	for k := key; k != ""; {
		if n, ok := l[k]; ok {
			return n
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

func keyLines(data []byte) lineIndex {
	idx := lineIndex{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	arrays := map[string]int{} // array-of-tables path -> count seen
	for p.NextExpression() {
		e := p.Expression()
		parts, line := keyOf(&p, e)
		switch e.Kind {
		case unstable.Table:
			table = parts
			idx[strings.Join(table, ".")] = line
		case unstable.ArrayTable:
			base := strings.Join(parts, ".")
			n := arrays[base]
			arrays[base] = n + 1
			table = append(append([]string{}, parts...), fmt.Sprint(n))
			idx[strings.Join(table, ".")] = line
		case unstable.KeyValue:
			idx[strings.Join(append(append([]string{}, table...), parts...), ".")] = line
		}
	}
	return idx // a syntax error stops the index early; the decoder reports it
}

func keyOf(p *unstable.Parser, e *unstable.Node) ([]string, int) {
	var parts []string
	line := 0
	it := e.Key()
	for it.Next() {
		n := it.Node()
		if line == 0 {
			line = p.Shape(n.Raw).Start.Line
		}
		parts = append(parts, string(n.Data))
	}
	return parts, line
}
