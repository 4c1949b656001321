package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as "10s", "6h" in the file.
type Duration time.Duration

func (d Duration) D() time.Duration { return time.Duration(d) }

// durationForms is what a duration may look like, shown whenever one is refused.
const durationForms = `a quoted duration with a unit such as "500ms", "10s", "1m30s" or "6h" (units ns, us, ms, s, m, h)`

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("want %s, got %q", durationForms, b)
	}
	*d = Duration(v)
	return nil
}

// unmarshalInt refuses a bare number: Go would read 1 as one nanosecond and
// Telegraf as one second; a unit leaves no doubt.
func (d *Duration) unmarshalInt(n int64) error {
	return fmt.Errorf("want %s, got the bare number %d (no unit)", durationForms, n)
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Size is a byte count written as a number or with a unit: "512MiB", "1GB".
type Size int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

func (s *Size) UnmarshalText(b []byte) error {
	str := strings.TrimSpace(string(b))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(str, u.suffix) {
			str, mult = strings.TrimSpace(strings.TrimSuffix(str, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(str, 64)
	if err != nil || f < 0 {
		return fmt.Errorf("not a size like \"512MiB\" or \"2GB\": %q", b)
	}
	*s = Size(f * float64(mult))
	return nil
}

// unmarshalInt takes a bare number as a count of bytes.
func (s *Size) unmarshalInt(n int64) error {
	if n < 0 {
		return fmt.Errorf("want a size such as \"512MiB\" or a byte count from 0, got %d", n)
	}
	*s = Size(n)
	return nil
}

func (s Size) MarshalText() ([]byte, error) { return []byte(strconv.FormatInt(int64(s), 10)), nil }

// Secret holds a credential. Every way of printing it prints a placeholder.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}
func (s Secret) GoString() string              { return `config.Secret("` + s.String() + `")` }
func (s Secret) LogValue() slog.Value          { return slog.StringValue(s.String()) }
func (s Secret) MarshalText() ([]byte, error)  { return []byte(s.String()), nil }
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }
func (s Secret) Reveal() string                { return string(s) }
