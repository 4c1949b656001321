// Package rigtest serves recorded cgminer-API replies on loopback, for the
// tests outside package collectors that need a rig to poll (the agent's
// dashboard test, the CLI's appraisal round).
package rigtest

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CGMiner answers each command with dir/<command>.json (NUL-terminated, as
// cgminer does), or cgminer's "Invalid command" status when there is no
// capture for it. It returns the address to poll; the listener closes when
// the test ends.
func CGMiner(t testing.TB, dir string) string {
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
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				var req struct {
					Command string `json:"command"`
				}
				if json.NewDecoder(c).Decode(&req) != nil {
					return
				}
				b, err := os.ReadFile(filepath.Join(dir, filepath.Base(req.Command)+".json"))
				if err != nil {
					b = []byte(`{"STATUS":[{"STATUS":"E","Code":14,"Msg":"Invalid command"}],"id":1}`)
				}
				_, _ = c.Write(append(b, 0))
			}()
		}
	}()
	return ln.Addr().String()
}
