package collectors

import (
	"os"
	"path/filepath"
	"testing"
)

// The host's /proc parsers read what the kernel writes, but containers,
// test fixtures and odd kernels hand them other things: none may panic,
// and what they accept must be self-consistent. Seeds: the fixtures plus
// testdata/fuzz/<FuzzName>.

func seedFile(f *testing.F, rel string) {
	if b, err := os.ReadFile(filepath.Join("testdata", "host", "proc", rel)); err == nil {
		f.Add(b)
	}
}

func FuzzParseDiskstats(f *testing.F) {
	seedFile(f, "diskstats")
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := parseDiskstats(b, nil)
		if err == nil {
			for _, r := range rows {
				if r.name == "" {
					t.Fatal("a row without a device name")
				}
			}
		}
		// Reusing the rows (as the collector does) must give the same result.
		again, err2 := parseDiskstats(b, rows[:0])
		if (err == nil) != (err2 == nil) || len(again) != len(rows) {
			t.Fatalf("reparse into the old rows differs: %v/%v, %d/%d", err, err2, len(rows), len(again))
		}
	})
}

func FuzzParseNetDev(f *testing.F) {
	seedFile(f, "net/dev")
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := parseNetDev(b, nil)
		if err != nil {
			return
		}
		for _, r := range rows {
			for _, c := range []byte(r.name) {
				if c == ':' || c == '\n' {
					t.Fatalf("interface name %q holds a separator", r.name)
				}
			}
		}
	})
}

func FuzzParsePSI(f *testing.F) {
	seedFile(f, "pressure/cpu")
	seedFile(f, "pressure/io")
	f.Fuzz(func(t *testing.T, b []byte) {
		some, _, _, err := parsePSI(b)
		if err == nil && (some.avg10 != some.avg10 || some.avg60 != some.avg60) {
			t.Fatal("NaN accepted as a pressure average")
		}
	})
}

func FuzzParseMountinfo(f *testing.F) {
	seedFile(f, "1/mountinfo")
	fstypes := NameFilter{Exclude: DefaultFSTypesExclude()}
	mounts := NameFilter{Exclude: DefaultMountsExclude()}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := parseMountinfo(b, mounts, fstypes)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, m := range ms {
			if seen[m.point] {
				t.Fatalf("mount point %q reported twice", m.point)
			}
			seen[m.point] = true
			if !fstypes.Keep(m.fstype) || !mounts.Keep(m.point) {
				t.Fatalf("filtered mount %+v reported", m)
			}
		}
	})
}
