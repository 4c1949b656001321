package economics

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

type failingReader struct{ n int }

func (f *failingReader) Read([]byte) (int, error) {
	f.n++
	return 0, errors.New("read /tmp: is a directory")
}

// An unreadable input is one error, said once; binary input is named as such
// and none of its bytes reach the message.
func TestReadPriceCSVBadInputsSayWhatOnce(t *testing.T) {
	_, err := ReadPriceCSV(&failingReader{}, "/tmp")
	if err == nil || strings.Count(err.Error(), "is a directory") != 1 {
		t.Errorf("directory: %v", err)
	}
	bin := append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0}, bytes.Repeat([]byte{0xff, 0x00, 0x9c}, 300)...)
	_, err = ReadPriceCSV(bytes.NewReader(bin), "perwatt")
	if err == nil || !strings.Contains(err.Error(), "not a CSV text file") || strings.ContainsAny(err.Error(), "\x00\x7f\xff") || strings.Contains(err.Error(), "\n") {
		t.Errorf("binary: %q", err)
	}
	// Long garbage rows are clipped in the message.
	long := "2026-07-06T00:00:00Z," + strings.Repeat("9x", 500) + "\n"
	_, err = ReadPriceCSV(io.MultiReader(strings.NewReader(long)), "p.csv")
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("long row: %d chars: %v", len(err.Error()), err)
	}
}
