package collectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// errTruncated means a reply ended before its JSON did: the rig closed the
// connection early or the read hit the size bound.
var errTruncated = errors.New("reply truncated")

// errEmptyReply is a reply with nothing before its NUL or close.
var errEmptyReply = errors.New("empty reply")

// parseReply decodes one cgminer-family API reply. Miner firmware sends JSON
// that strict parsers reject, so the bytes are repaired first: the
// terminating NUL and anything after it is dropped, `}{` between objects
// gets its missing comma, trailing commas before `}`/`]` go, raw control
// characters inside strings become spaces, and bare inf/nan become null.
func parseReply(b []byte) (map[string]any, error) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errEmptyReply
	}
	fixed := repairJSON(b)
	dec := json.NewDecoder(bytes.NewReader(fixed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w after %d bytes: %s", errTruncated, len(b), tail(b))
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("reply is not JSON near byte %d (%s): %s", se.Offset, se.Error(), excerpt(fixed, se.Offset))
		}
		return nil, fmt.Errorf("reply is not JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("reply is JSON %s, want an object", jsonKind(v))
	}
	if err := replyStatusError(obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// repairJSON rewrites the known firmware malformations into valid JSON. It
// tracks whether it is inside a string so repairs never touch string
// contents except for raw control characters, which JSON forbids there.
func repairJSON(b []byte) []byte {
	out := make([]byte, 0, len(b)+16)
	inStr, esc := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			case c < 0x20:
				c = ' '
			}
			out = append(out, c)
			continue
		}
		switch {
		case c == '"':
			inStr = true
		case c == ',':
			if j := skipSpace(b, i+1); j < len(b) && (b[j] == '}' || b[j] == ']') {
				continue // trailing comma
			}
		case c == '}' || c == ']':
			out = append(out, c)
			if j := skipSpace(b, i+1); j < len(b) && (b[j] == '{' || b[j] == '"') {
				out = append(out, ',') // `}{` between STATS objects
			}
			continue
		case c == '-' || isLetter(c):
			j := i
			if c == '-' {
				j++
			}
			k := j
			for k < len(b) && isLetter(b[k]) {
				k++
			}
			word := strings.ToLower(string(b[j:k]))
			switch word {
			case "inf", "infinity", "nan":
				out = append(out, "null"...)
			default:
				out = append(out, b[i:k]...)
			}
			i = k - 1
			continue
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t':
			continue // stray control bytes between tokens
		}
		out = append(out, c)
	}
	return out
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// replyStatusError reports the rig's own refusal (STATUS "E"), in either the
// cgminer shape ({"STATUS":[{"STATUS":"E","Msg":...}]}) or the newer
// Whatsminer shape ({"STATUS":"E","Msg":...}).
func replyStatusError(obj map[string]any) error {
	var st map[string]any
	switch s := obj["STATUS"].(type) {
	case []any:
		if len(s) > 0 {
			st, _ = s[0].(map[string]any)
		}
	case string:
		st = obj
	}
	if st == nil {
		return nil
	}
	if code, _ := st["STATUS"].(string); code == "E" || code == "F" {
		msg, _ := st["Msg"].(string)
		if msg == "" {
			msg, _ = st["msg"].(string)
		}
		if n, _ := num(st["Code"]); isUnsupported(n, msg) {
			return fmt.Errorf("rig refused the command: %q: %w", msg, errUnsupportedCommand)
		}
		return fmt.Errorf("rig refused the command: %q", msg)
	}
	return nil
}

// num reads a number that firmware may send as a JSON number or a string
// ("GHS 5s":"95000.12"). NaN and ±Inf, in either form, count as absent.
func num(v any) (float64, bool) {
	var f float64
	var err error
	switch x := v.(type) {
	case json.Number:
		f, err = strconv.ParseFloat(string(x), 64)
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	case float64:
		f = x
	case bool:
		return 0, false
	default:
		return 0, false
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// numKey returns the first of keys present in obj as a number.
func numKey(obj map[string]any, keys ...string) (float64, bool) {
	for _, k := range keys {
		if v, ok := obj[k]; ok {
			if f, ok := num(v); ok {
				return f, true
			}
		}
	}
	return 0, false
}

func strKey(obj map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := obj[k].(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// section returns the objects under key (SUMMARY, STATS, DEVS, POOLS, ...).
func section(obj map[string]any, key string) []map[string]any {
	arr, _ := obj[key].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// description is STATUS[0].Description, where cgminer forks name themselves.
func description(obj map[string]any) string {
	if obj == nil {
		return ""
	}
	if s := section(obj, "STATUS"); len(s) > 0 {
		return strKey(s[0], "Description")
	}
	return strKey(obj, "Description")
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func tail(b []byte) string {
	const n = 40
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strconv.Quote(string(b))
}

func excerpt(b []byte, off int64) string {
	lo, hi := max(int(off)-20, 0), min(int(off)+20, len(b))
	if lo > hi {
		lo = hi
	}
	return strconv.Quote(string(b[lo:hi]))
}
