package config

import (
	"encoding"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

// assigner copies a parsed TOML document into the Config, key by key, so
// that one wrong value is one problem and the rest of the file is still read
// and checked: go-toml's decoder stops at the first type error and words it
// in Go terms ("struct field config.Agent.BatchSize of type int").
type assigner struct {
	probs []Problem
}

func (as *assigner) bad(key, format string, args ...any) {
	as.probs = append(as.probs, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// intUnmarshaler is a config type that also accepts a bare TOML integer
// (Size does: a byte count) or refuses one with its own reason (Duration).
type intUnmarshaler interface{ unmarshalInt(int64) error }

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	intUnmarshalerType  = reflect.TypeFor[intUnmarshaler]()
	timeType            = reflect.TypeFor[time.Time]()
)

// table fills struct v from the TOML table t; key is t's dotted path.
func (as *assigner) table(v reflect.Value, t map[string]any, key string) {
	fields := map[string]reflect.Value{}
	collectFields(v, fields)
	for _, name := range slices.Sorted(maps.Keys(t)) {
		k := join(key, name)
		f, ok := fields[name]
		if !ok {
			msg := "unknown key"
			switch k {
			case "collectors.asic.password":
				msg = "unknown key: the rigs' web password is read from PERWATT_ASIC_PASSWORD or collectors.asic.password_file, never from the config file"
			case "influx.token":
				msg = "unknown key: the token is read from PERWATT_INFLUX_TOKEN or influx.token_file, never from the config file"
			}
			as.bad(k, "%s", msg)
			continue
		}
		as.value(f, t[name], k)
	}
}

// collectFields maps each TOML key of struct v to its field; embedded
// structs without a tag contribute their own fields, as go-toml reads them.
func collectFields(v reflect.Value, out map[string]reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("toml")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && !hasTag && sf.Type.Kind() == reflect.Struct {
			collectFields(v.Field(i), out)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out[name] = v.Field(i)
	}
}

// value sets v from x, a value as go-toml parses it into an any: string,
// bool, int64, float64, time values, []any or map[string]any.
func (as *assigner) value(v reflect.Value, x any, key string) {
	pt := reflect.PointerTo(v.Type())
	if i, ok := x.(int64); ok && pt.Implements(intUnmarshalerType) {
		if err := v.Addr().Interface().(intUnmarshaler).unmarshalInt(i); err != nil {
			as.bad(key, "%v", err)
		}
		return
	}
	if pt.Implements(textUnmarshalerType) && v.Type() != timeType {
		s, ok := x.(string)
		if !ok {
			as.bad(key, "want a string, got %s", describe(x))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			as.bad(key, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		as.value(v.Elem(), x, key)
	case reflect.Struct:
		if rx := reflect.ValueOf(x); rx.IsValid() && rx.Type().AssignableTo(v.Type()) {
			v.Set(rx) // time.Time and go-toml's local date/time types
			return
		}
		t, ok := x.(map[string]any)
		if !ok {
			as.bad(key, "want a table, got %s", describe(x))
			return
		}
		as.table(v, t, key)
	case reflect.Map:
		t, ok := x.(map[string]any)
		if !ok || v.Type().Key().Kind() != reflect.String {
			as.bad(key, "want a table, got %s", describe(x))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for _, name := range slices.Sorted(maps.Keys(t)) {
			e := reflect.New(v.Type().Elem()).Elem()
			if old := v.MapIndex(reflect.ValueOf(name).Convert(v.Type().Key())); old.IsValid() {
				e.Set(old)
			}
			n := len(as.probs)
			as.value(e, t[name], join(key, name))
			if len(as.probs) == n {
				v.SetMapIndex(reflect.ValueOf(name).Convert(v.Type().Key()), e)
			}
		}
	case reflect.Slice:
		a, ok := x.([]any)
		if !ok {
			as.bad(key, "want an array, got %s", describe(x))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(a), len(a))
		for i, e := range a {
			as.value(s.Index(i), e, fmt.Sprintf("%s.%d", key, i))
		}
		v.Set(s)
	case reflect.String:
		s, ok := x.(string)
		if !ok {
			as.bad(key, "want a string, got %s", describe(x))
			return
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := x.(bool)
		if !ok {
			as.bad(key, "want true or false, got %s", describe(x))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := x.(int64)
		if !ok || v.OverflowInt(i) {
			as.bad(key, "want a whole number, got %s", describe(x))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := x.(int64)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			as.bad(key, "want a whole number from 0, got %s", describe(x))
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		var f float64
		switch n := x.(type) {
		case float64:
			f = n
		case int64:
			f = float64(n)
		default:
			as.bad(key, "want a number, got %s", describe(x))
			return
		}
		// No setting of perwatt means anything at nan or inf; refuse them
		// here rather than in each check (a nan passes every comparison).
		if math.IsNaN(f) || math.IsInf(f, 0) {
			as.bad(key, "want a finite number, got %s", describe(x))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		if x == nil {
			return
		}
		if rx := reflect.ValueOf(x); rx.Type().AssignableTo(v.Type()) {
			v.Set(rx)
			return
		}
		as.bad(key, "cannot hold %s", describe(x))
	default:
		as.bad(key, "cannot be set from %s", describe(x))
	}
}

// describe names a TOML value the way the operator wrote it.
func describe(x any) string {
	switch v := x.(type) {
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("%t", v)
	case int64:
		return fmt.Sprintf("the number %d", v)
	case float64:
		switch { // as TOML spells them
		case math.IsNaN(v):
			return "nan"
		case math.IsInf(v, 1):
			return "inf"
		case math.IsInf(v, -1):
			return "-inf"
		}
		return fmt.Sprintf("the number %g", v)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("a date or time (%v)", x)
}

func join(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}
