package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noenv(string) string { return "" }

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := Load("../../configs/perwatt.example.toml", noenv)
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	// Installed as the fleet steps say, the example must behave as the
	// defaults: no rig to poll, no site tags that would mis-tag a host.
	def := Default()
	if len(cfg.Tags) != len(def.Tags) || cfg.Tags["host"] != def.Tags["host"] || len(cfg.Collectors.ASIC.Rigs) != 0 ||
		len(cfg.Collectors.ASIC.Ranges) != 0 || cfg.Spool.MaxBytes != 1<<30 {
		t.Fatalf("example is not the defaults: tags %v, %d rigs, %d ranges", cfg.Tags, len(cfg.Collectors.ASIC.Rigs), len(cfg.Collectors.ASIC.Ranges))
	}
	if cfg.Agent.Interval.D() != 10*time.Second {
		t.Fatalf("agent.interval = %s", cfg.Agent.Interval.D())
	}
}

func TestEveryProblemHasKeyAndLine(t *testing.T) {
	src := `[agent]
interval = "10s"
batch_sise = 10

[spool]
sync = "sometimes"
max_size = "2GB"

[[collectors.asic.rigs]]
address = "10.0.0.1:4028"

[[collectors.asic.rigs]]
address = "no-port"
nameplate_w = -5

[influx]
url = "ftp://x"
token = "hunter2"
`
	_, err := Parse([]byte(src), "site.toml", noenv)
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	for _, want := range []string{
		"site.toml:3: agent.batch_sise: unknown key",
		"site.toml:18: influx.token: unknown key",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("token value leaked into error: %s", msg)
	}
}

func TestSemanticProblemsLocated(t *testing.T) {
	src := `[spool]
sync = "sometimes"

[[collectors.asic.rigs]]
address = "10.0.0.1:4028"

[[collectors.asic.rigs]]
address = "no-port"
nameplate_w = -5

[influx]
url = "ftp://x"
`
	_, err := Parse([]byte(src), "site.toml", noenv)
	if err == nil {
		t.Fatal("want errors")
	}
	var probs []Problem
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var p Problem
		if errors.As(e, &p) {
			probs = append(probs, p)
		}
	}
	want := map[string]int{
		"spool.sync":                         2,
		"collectors.asic.rigs.1.address":     8,
		"collectors.asic.rigs.1.nameplate_w": 9,
		"influx.url":                         12,
		"influx.bucket":                      11, // absent key: its table's line
	}
	got := map[string]int{}
	for _, p := range probs {
		got[p.Key] = p.Line
	}
	for k, line := range want {
		if got[k] != line {
			t.Errorf("%s: line %d, want %d (all: %v)", k, got[k], line, got)
		}
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	_, err := Parse([]byte("[agent]\ninterval = \n"), "x.toml", noenv)
	if err == nil || !strings.HasPrefix(err.Error(), "x.toml:2:") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadDurationAndSize(t *testing.T) {
	_, err := Parse([]byte("[agent]\ninterval = \"ten seconds\"\n"), "x.toml", noenv)
	if err == nil || !strings.Contains(err.Error(), "x.toml:2") || !strings.Contains(err.Error(), "duration") {
		t.Fatalf("err = %v", err)
	}
	cfg, err := Parse([]byte("[spool]\nmax_size = \"512MiB\"\nsegment_size = 1048576\n"), "x.toml", noenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Spool.MaxBytes != 512<<20 || cfg.Spool.SegmentBytes != 1<<20 {
		t.Fatalf("sizes = %d %d", cfg.Spool.MaxBytes, cfg.Spool.SegmentBytes)
	}
}

func TestTokenFromEnvOrFileNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "token")
	if err := os.WriteFile(tf, []byte("s3cr3t-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("[influx]\nurl = \"http://127.0.0.1:8086\"\nbucket = \"b\"\ntoken_file = %q\n", tf)
	cfg, err := Parse([]byte(src), "x.toml", noenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Influx.Token.Reveal() != "s3cr3t-from-file" {
		t.Fatalf("token from file not read")
	}
	env := func(k string) string {
		if k == "PERWATT_INFLUX_TOKEN" {
			return "s3cr3t-from-env"
		}
		return ""
	}
	cfg, err = Parse([]byte(src), "x.toml", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Influx.Token.Reveal() != "s3cr3t-from-env" {
		t.Fatalf("env must win over token_file")
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "token", cfg.Influx.Token, "influx", cfg.Influx)
	js, _ := json.Marshal(cfg)
	fmt.Fprintf(&buf, "%v %+v %#v %s", cfg.Influx, cfg.Influx, cfg.Influx, js)
	if strings.Contains(buf.String(), "s3cr3t") {
		t.Fatalf("token leaked: %s", buf.String())
	}
}

func TestMissingTokenFileNamesPathNotContent(t *testing.T) {
	_, err := Parse([]byte("[influx]\ntoken_file = \"/nonexistent/tok\"\n"), "x.toml", noenv)
	if err == nil || !strings.Contains(err.Error(), "influx.token_file") {
		t.Fatalf("err = %v", err)
	}
}

func TestSpoolFullPolicy(t *testing.T) {
	cfg, err := Parse([]byte("[spool]\nfull = \"reject_new\"\n"), "x.toml", noenv)
	if err != nil || cfg.Spool.Full != "reject_new" {
		t.Fatalf("full = %q, err %v", cfg.Spool.Full, err)
	}
	_, err = Parse([]byte("[spool]\nfull = \"newest\"\n"), "x.toml", noenv)
	if err == nil || !strings.Contains(err.Error(), "x.toml:2: spool.full") {
		t.Fatalf("err = %v", err)
	}
}

func TestEconomicsCapitalKeys(t *testing.T) {
	cfg, err := Parse([]byte("[economics]\ndiscount_rate = 0.08\ndebt_share = 0.5\ndebt_rate = 0.09\ndebt_term_years = 4\n"), "x.toml", noenv)
	if err != nil || cfg.Economics.DiscountRate != 0.08 || cfg.Economics.DebtTermYears != 4 {
		t.Fatalf("cfg %+v, err %v", cfg.Economics, err)
	}
	_, err = Parse([]byte("[economics]\ndiscount_rate = 10\ndebt_share = 0.5\n"), "x.toml", noenv)
	for _, want := range []string{"x.toml:2: economics.discount_rate", "economics.debt_term_years"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

func TestHostFiltersAndBMCSections(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "ipmi.pw")
	if err := os.WriteFile(pw, []byte("s3cret-ipmi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := "[collectors.host]\nslow_interval = \"30s\"\ninterfaces_include = [\"eth*\"]\nmount_points_exclude = []\n" +
		"[collectors.ipmi]\naddress = \"10.0.0.5:623\"\nusername = \"admin\"\npassword_file = \"" + pw + "\"\n" +
		"[collectors.redfish]\nenabled = true\nurl = \"https://10.0.0.6\"\nusername = \"root\"\n"
	cfg, err := Parse([]byte(good), "good.toml", func(k string) string {
		if k == "PERWATT_REDFISH_PASSWORD" {
			return "s3cret-redfish"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Collectors.IPMI.Password.Reveal() != "s3cret-ipmi" || cfg.Collectors.Redfish.Password.Reveal() != "s3cret-redfish" {
		t.Error("BMC passwords not read from the file and the environment")
	}
	if h := cfg.Collectors.Host; h.MountPointsExclude == nil || len(h.MountPointsExclude) != 0 || h.SlowInterval.D().Seconds() != 30 {
		t.Errorf("host: an empty list must stay empty (no defaults): %+v", h)
	}
	if s := fmt.Sprintf("%v %+v", cfg.Collectors.IPMI, cfg.Collectors.Redfish); strings.Contains(s, "s3cret") {
		t.Errorf("a BMC password printed: %s", s)
	}

	bad := "[collectors.host]\ninterfaces_include = [\"[eth\"]\nskip = [\"gpu\"]\n" +
		"[collectors.ipmi]\naddress = \"10.0.0.5\"\ninterface = \"serial\"\n" +
		"[collectors.redfish]\nenabled = true\nurl = \"https://admin:hunter2@10.0.0.6\"\nauth = \"digest\"\n"
	_, err = Parse([]byte(bad), "bad.toml", func(string) string { return "" }, HostParts("cpu", "disk", "net"))
	if err == nil {
		t.Fatal("bad BMC config accepted")
	}
	for _, key := range []string{"collectors.host.interfaces_include", "collectors.host.skip", "collectors.ipmi.address", "collectors.ipmi.username",
		"collectors.ipmi.interface", "collectors.redfish.url", "collectors.redfish.auth", "collectors.redfish.username"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("password from the URL shown in the error: %v", err)
	}
}
