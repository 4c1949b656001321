package collectors

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeV3Rig speaks Whatsminer API v3 framing: a 4-byte little-endian
// length, then JSON, both ways. mode "truncated" announces more bytes than
// it sends; "unframed" answers like the v2 API, without the length.
type fakeV3Rig struct {
	addr    string
	replies map[string][]byte // summary, edevs, pools, device_info
	mu      sync.Mutex
	mode    string
	seen    []string
}

func startFakeV3Rig(t *testing.T, addr string) *fakeV3Rig {
	t.Helper()
	r := &fakeV3Rig{replies: loadRig(t, "whatsminer_v3")}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { r.serve(c) })
		}
	})
	return r
}

func (r *fakeV3Rig) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return
	}
	body := make([]byte, binary.LittleEndian.Uint32(hdr[:])&0xffff)
	if _, err := io.ReadFull(c, body); err != nil {
		return
	}
	var req struct {
		Cmd   string `json:"cmd"`
		Param string `json:"param"`
	}
	_ = json.Unmarshal(body, &req)
	r.mu.Lock()
	r.seen = append(r.seen, req.Cmd+" "+req.Param)
	mode := r.mode
	r.mu.Unlock()
	key := req.Param
	if req.Cmd == "get.device.info" {
		key = "device_info"
	}
	reply, ok := r.replies[key]
	if !ok || !strings.HasPrefix(req.Cmd, "get.") {
		reply = []byte(`{"code":-1,"when":1700000000,"msg":"invalid command","desc":""}`)
	}
	switch mode {
	case "unframed":
		_, _ = c.Write(append(reply, 0))
		return
	case "truncated":
		_, _ = c.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(reply))))
		_, _ = c.Write(reply[:len(reply)/2])
		return
	}
	_, _ = c.Write(append(binary.LittleEndian.AppendUint32(nil, uint32(len(reply))), reply...))
}

func TestASICWhatsminerV3(t *testing.T) {
	srv := startFakeV3Rig(t, "127.0.0.1:0")
	a := newTestASIC([]ASICRig{{Address: srv.addr, Site: "dc5", Firmware: "whatsminer-v3"}}, ASICOptions{})
	pts, err := a.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	checkGolden(t, pts, srv.addr, filepath.Join("testdata", "asic", "whatsminer_v3", "golden.lp"))
	for _, s := range srv.seen {
		if !strings.HasPrefix(s, "get.") {
			t.Errorf("sent %q, not a get.* query", s)
		}
	}

	srv.mu.Lock()
	srv.mode = "truncated"
	srv.mu.Unlock()
	if _, err := a.Collect(context.Background()); !errors.Is(err, errTruncated) {
		t.Errorf("truncated reply: err = %v", err)
	}
	srv.mu.Lock()
	srv.mode = ""
	srv.mu.Unlock()
	if _, err := a.Collect(context.Background()); err != nil {
		t.Errorf("after the rig recovered: %v", err)
	}
}

// On port 4433 the protocol is found without configuration; a port there
// that answers without v3 framing is named as such, not timed out.
func TestASICWhatsminerV3Detection(t *testing.T) {
	srv := startFakeV3Rig(t, "127.4.0.1:4433")
	a := newTestASIC([]ASICRig{{Address: srv.addr, Name: "m60"}}, ASICOptions{Timeout: time.Second})
	pts, err := a.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if p := rigPoint(t, pts, "m60"); p.Fields["api"] != apiWhatsminerV3 || p.Tags["model"] != "WhatsMiner M60S_VK30" {
		t.Errorf("api %v model %v", p.Fields["api"], p.Tags["model"])
	}
	srv.mu.Lock()
	srv.mode = "unframed"
	srv.mu.Unlock()
	b := newTestASIC([]ASICRig{{Address: srv.addr, Name: "m60"}}, ASICOptions{Timeout: time.Second})
	if _, err := b.Collect(context.Background()); !errors.Is(err, errUnsupportedAPI) {
		t.Errorf("unframed answer: err = %v, want unsupported API", err)
	}
}

func TestWhatsminerV3RefusesWrites(t *testing.T) {
	a := newTestASIC(nil, ASICOptions{})
	for _, req := range []string{`{"cmd":"set.miner.pools"}`, `{"cmd":"set.system.reboot"}`} {
		if _, err := a.v3Call(context.Background(), "127.0.0.1:1", req); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s: err = %v", req, err)
		}
	}
}
