package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The daemon with [prometheus] listen serves /metrics with the host's
// readings and its own health.
func TestAgentServesPrometheus(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "perwatt.toml")
	body := "[agent]\ninterval = \"1s\"\njitter = \"0s\"\noutput = \"" + filepath.Join(dir, "out.lp") + "\"\n" +
		"[spool]\ndir = \"" + filepath.Join(dir, "spool") + "\"\n[prometheus]\nlisten = \"" + addr + "\"\n" +
		"[collectors.host]\nenabled = true\n[collectors.nvml]\nenabled = false\n[collectors.rapl]\nenabled = false\n[collectors.ipmi]\nenabled = false\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"agent", "--config", cfg}, func(string) string { return "" }, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop")
		}
	}()

	url := "http://" + addr + "/metrics"
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			p := expfmt.NewTextParser(model.LegacyValidation)
			fams, perr := p.TextToMetricFamilies(resp.Body)
			resp.Body.Close()
			if perr != nil {
				t.Fatalf("exposition does not parse: %v", perr)
			}
			if _, ok := fams["perwatt_host_cpu_usage_percent"]; ok {
				if _, ok := fams["perwatt_agent_up"]; !ok {
					t.Fatal("no perwatt_agent_up")
				}
				if _, ok := fams["perwatt_host_mem_used_bytes"]; !ok {
					t.Fatal("no perwatt_host_mem_used_bytes")
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no host readings on %s within 20s (last error %v); agent log:\n%s", url, err, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
