package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestASICRangesAndFirmware(t *testing.T) {
	src := `[collectors.asic]
rig_timeout = "15s"

[[collectors.asic.rigs]]
address = "10.0.0.1:4028"
firmware = "braiins"

[[collectors.asic.rigs]]
address = "10.0.0.2:80"
firmware = "bitmain-ultra"

[[collectors.asic.ranges]]
range = "10.1.0.0/22"
ports = [4028, 80]
site = "tx-1"

[[collectors.asic.ranges]]
range = "10.2.0.10-10.2.0.250"

[[collectors.asic.ranges]]
range = "10.0.0.0/8"

[[collectors.asic.ranges]]
range = "10.3.0.9-10.3.0.1"
ports = [0]
`
	_, err := Parse([]byte(src), "site.toml", noenv)
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	for _, want := range []string{
		"collectors.asic.rigs.1.firmware: want one of",
		"collectors.asic.ranges.2.range",
		"more than the 262144",
		"collectors.asic.ranges.3.range",
		"end comes before the start",
		"collectors.asic.ranges.3.ports: port 0",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in\n%s", want, msg)
		}
	}
	for _, good := range []string{"rigs.0.", "ranges.0.", "ranges.1."} {
		if strings.Contains(msg, good) {
			t.Errorf("valid entry %s reported: %s", good, msg)
		}
	}

	valid := strings.Replace(src[:strings.Index(src, "[[collectors.asic.ranges]]\nrange = \"10.0.0.0/8\"")], "bitmain-ultra", "antminer-web", 1)
	cfg, err := Parse([]byte(valid), "ok.toml", noenv)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Collectors.ASIC
	if len(a.Ranges) != 2 || a.Ranges[0].Ports[1] != 80 || a.Ranges[0].Site != "tx-1" || a.RigTimeout.D().String() != "15s" || a.Concurrency != 256 {
		t.Errorf("decoded %+v", a)
	}
}

func TestASICPasswordFromEnvOrFileNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "asic.pw")
	if err := os.WriteFile(pwFile, []byte("s3cret-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("[collectors.asic]\nuser = \"admin\"\npassword_file = %q\n", pwFile)
	cfg, err := Parse([]byte(src), "x.toml", noenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Collectors.ASIC.Password.Reveal() != "s3cret-file" {
		t.Errorf("password from file = %q", cfg.Collectors.ASIC.Password.Reveal())
	}
	if out := fmt.Sprintf("%v %+v %#v", cfg, cfg.Collectors.ASIC, cfg.Collectors.ASIC); strings.Contains(out, "s3cret") {
		t.Errorf("password printed: %s", out)
	}
	env := func(k string) string {
		if k == "PERWATT_ASIC_PASSWORD" {
			return "s3cret-env"
		}
		return ""
	}
	if cfg, err = Parse([]byte(src), "x.toml", env); err != nil || cfg.Collectors.ASIC.Password.Reveal() != "s3cret-env" {
		t.Errorf("env password: %v %q", err, cfg.Collectors.ASIC.Password.Reveal())
	}
	_, err = Parse([]byte("[collectors.asic]\npassword = \"hunter2\"\n"), "x.toml", noenv)
	if err == nil || !strings.Contains(err.Error(), "PERWATT_ASIC_PASSWORD") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("password in the file: err = %v", err)
	}
}
