package economics

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func goldenReport(t *testing.T) Report {
	m := testMarket()
	r, err := Evaluate(m, 0.05, []Profile{Miners()[2], GPUs()[0], Deals()[0]}, m.AsOf.Add(90*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportTableGolden(t *testing.T) {
	var b bytes.Buffer
	if err := goldenReport(t).Table(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.table.golden", b.Bytes())
}

func TestReportLineProtocolGolden(t *testing.T) {
	pts := goldenReport(t).Points()
	for _, p := range pts {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	out := metric.Lines(pts)
	if !strings.Contains(string(out), "economics,kind=colocation") {
		t.Error("no colocation point")
	}
	golden(t, "report.lp.golden", out)
}
