package metric

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// AppendLine appends p in InfluxDB line protocol (nanosecond precision, no
// trailing newline) to dst. Tags and fields are sorted so the same point
// always encodes to the same bytes. Fields whose values cannot be stored (NaN,
// ±Inf, unsupported types) are left out; a point left with no field yields no
// output, so callers should Validate first when they need to know.
func AppendLine(dst []byte, p Point) []byte {
	start := len(dst)
	dst = appendEscaped(dst, p.Measurement, ", ")
	for _, k := range slices.Sorted(maps.Keys(p.Tags)) {
		v := p.Tags[k]
		if k == "" || v == "" { // InfluxDB rejects empty tag keys and values
			continue
		}
		dst = append(dst, ',')
		dst = appendEscaped(dst, k, ",= ")
		dst = append(dst, '=')
		dst = appendEscaped(dst, v, ",= ")
	}
	sep := byte(' ')
	n := 0
	for _, k := range slices.Sorted(maps.Keys(p.Fields)) {
		before := len(dst)
		dst = append(dst, sep)
		dst = appendEscaped(dst, k, ",= ")
		dst = append(dst, '=')
		if !appendValue(&dst, p.Fields[k]) {
			dst = dst[:before]
			continue
		}
		sep = ','
		n++
	}
	if n == 0 {
		return dst[:start]
	}
	dst = append(dst, ' ')
	return strconv.AppendInt(dst, p.Time.UnixNano(), 10)
}

// Line returns p as one line of line protocol without the newline.
func Line(p Point) string { return string(AppendLine(nil, p)) }

// Lines encodes points, one per line, each ending in a newline.
func Lines(points []Point) []byte {
	var b []byte
	for _, p := range points {
		before := len(b)
		b = AppendLine(b, p)
		if len(b) > before {
			b = append(b, '\n')
		}
	}
	return b
}

func appendValue(dst *[]byte, v any) bool {
	b := *dst
	switch x := v.(type) {
	case float64:
		if x != x || x > 1.7976931348623157e308 || x < -1.7976931348623157e308 {
			return false
		}
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
	case int64:
		b = strconv.AppendInt(b, x, 10)
		b = append(b, 'i')
	case uint64:
		// Unsigned fields need InfluxDB 2.x; 1.8 rejects 'u', so counters that
		// fit are written as integers everywhere.
		if x <= 1<<63-1 {
			b = strconv.AppendInt(b, int64(x), 10)
			b = append(b, 'i')
		} else {
			b = strconv.AppendUint(b, x, 10)
			b = append(b, 'u')
		}
	case bool:
		b = strconv.AppendBool(b, x)
	case string:
		b = append(b, '"')
		b = appendEscaped(b, x, `"\`)
		b = append(b, '"')
	default:
		return false
	}
	*dst = b
	return true
}

// appendEscaped backslash-escapes the characters in special; newlines are
// replaced by spaces because line protocol has no escape for them.
func appendEscaped(dst []byte, s, special string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' || c == '\r':
			if strings.IndexByte(special, ' ') >= 0 {
				dst = append(dst, '\\', ' ')
			} else {
				dst = append(dst, ' ')
			}
		case strings.IndexByte(special, c) >= 0:
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
