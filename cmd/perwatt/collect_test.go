package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serveRig answers every connection with reply, the way a cgminer-API rig
// does (one request, reply ending in NUL, close).
func serveRig(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 256)
				_, _ = c.Read(buf)
				_, _ = c.Write([]byte(reply + "\x00"))
			}()
		}
	}()
	return ln.Addr().String()
}

func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func writeCollectConfig(t *testing.T, rigs map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("[collectors.host]\nenabled = true\n[collectors.nvml]\nenabled = false\n")
	b.WriteString("[collectors.rapl]\nenabled = true\nsysfs_root = \"" + filepath.Join(t.TempDir(), "nopowercap") + "\"\n")
	b.WriteString("[collectors.asic]\nenabled = true\ntimeout = \"2s\"\n")
	for name, addr := range rigs {
		b.WriteString("[[collectors.asic.rigs]]\naddress = \"" + addr + "\"\nname = \"" + name + "\"\nnameplate_w = 3500\n")
	}
	p := filepath.Join(t.TempDir(), "perwatt.toml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const s21Summary = `{"STATUS":[{"STATUS":"S","When":1700000000,"Code":11,"Msg":"Summary","Description":"cgminer 4.11.1"}],` +
	`"SUMMARY":[{"Elapsed":7200,"GHS 5s":"200512.34","GHS av":200012.30,"Accepted":2210,"Rejected":1,"Hardware Errors":12}],"id":1}`

func TestCollectLineProtocol(t *testing.T) {
	cfg := writeCollectConfig(t, map[string]string{"s21-a": serveRig(t, s21Summary)})
	out, errOut, code := perwatt(t, nil, "--config", cfg, "collect", "--only", "asic", "--output", "lp")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.HasPrefix(out, "asic,") || !strings.Contains(out, "rig=s21-a") ||
		!strings.Contains(out, "hashrate_avg_hs=2.000123e+14") || !strings.Contains(out, "power_source=nameplate") {
		t.Fatalf("line protocol:\n%s", out)
	}
}

func TestCollectJSONReportsEachCollector(t *testing.T) {
	cfg := writeCollectConfig(t, map[string]string{"good": serveRig(t, s21Summary), "dead": deadAddr(t)})
	out, errOut, code := perwatt(t, nil, "--config", cfg, "collect", "--json", "--interval", "0s")
	if code != exitError {
		t.Errorf("exit %d with a dead rig, want %d; stderr:\n%s", code, exitError, errOut)
	}
	if !strings.Contains(errOut, "asic failed") {
		t.Errorf("stderr does not name the failed collector:\n%s", errOut)
	}
	var res struct {
		Collectors []struct {
			Name, Status, Error string
			Points              []struct {
				Measurement string
				Tags        map[string]string
				Fields      map[string]any
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	status := map[string]string{}
	for _, c := range res.Collectors {
		status[c.Name] = c.Status
		if c.Name == "asic" {
			up := map[string]any{}
			for _, p := range c.Points {
				up[p.Tags["rig"]] = p.Fields["up"]
			}
			if up["good"] != 1.0 || up["dead"] != 0.0 {
				t.Errorf("asic up by rig = %v", up)
			}
			if !strings.Contains(c.Error, "rig dead") {
				t.Errorf("asic error %q does not name the dead rig", c.Error)
			}
		}
	}
	want := map[string]string{"host": "ok", "rapl": "unavailable", "asic": "partial"}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s status = %q, want %q (all: %v)", k, status[k], v, status)
		}
	}
	if _, ok := status["nvml"]; ok {
		t.Error("disabled nvml collector was run")
	}
}

func TestCollectTableShowsUnavailableReason(t *testing.T) {
	cfg := writeCollectConfig(t, nil)
	out, errOut, code := perwatt(t, nil, "--config", cfg, "collect", "--only", "rapl,host", "--interval", "0s")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "rapl: unavailable") || !strings.Contains(out, "no intel-rapl zones") ||
		!strings.Contains(out, "mem_total_bytes") {
		t.Fatalf("table:\n%s", out)
	}
}

func TestCollectUsageErrors(t *testing.T) {
	cfg := writeCollectConfig(t, nil)
	for _, args := range [][]string{
		{"collect", "--only", "host,bogus"},
		{"collect", "--only", "asic"}, // enabled but no rigs: not built
		{"collect", "--timeout", "0s"},
		{"collect", "--interval", "-1s"},
	} {
		_, errOut, code := perwatt(t, nil, append([]string{"--config", cfg}, args...)...)
		if code != exitUsage || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want a one-line usage error", args, code, errOut)
		}
	}
}

// --only asic with no rigs says so, rather than only "not an enabled collector".
func TestCollectOnlyASICWithoutRigsSaysWhy(t *testing.T) {
	_, errOut, code := perwatt(t, nil, "collect", "--only", "asic")
	if code != exitUsage || !strings.Contains(errOut, "no rig is configured") || !strings.Contains(errOut, "[[collectors.asic.rigs]]") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
