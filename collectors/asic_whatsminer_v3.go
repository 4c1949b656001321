package collectors

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Whatsminer API v3 (firmware from 2024, TCP 4433): each request and
// reply is a JSON object behind a 4-byte little-endian length. The get.*
// queries need no token; perwatt sends nothing else.
const apiWhatsminerV3 = "whatsminer-v3"

// whatsminerV3Queries are the only requests perwatt sends on API v3.
var whatsminerV3Queries = map[string]bool{
	`{"cmd":"get.miner.status","param":"summary"}`: true,
	`{"cmd":"get.miner.status","param":"edevs"}`:   true,
	`{"cmd":"get.miner.status","param":"pools"}`:   true,
	`{"cmd":"get.device.info"}`:                    true,
}

// v3Call sends one query and returns the reply's msg object.
func (a *ASIC) v3Call(ctx context.Context, addr, req string) (map[string]any, error) {
	if !whatsminerV3Queries[req] {
		return nil, fmt.Errorf("request %s is not a read-only query; refusing to send it", req)
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	frame := binary.LittleEndian.AppendUint32(nil, uint32(len(req)))
	if _, err := conn.Write(append(frame, req...)); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		if cause := deadlineCause(ctx, err); cause != nil {
			return nil, fmt.Errorf("no reply: %w", cause)
		}
		return nil, fmt.Errorf("reading the reply length: %w", err)
	}
	if looksHTTP(hdr[:]) || hdr[0] == '{' {
		return nil, fmt.Errorf("%w: the port answers without API v3 framing (%q)", errUnsupportedAPI, hdr[:])
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n > uint32(a.opts.MaxReplyBytes) {
		return nil, fmt.Errorf("reply length %d exceeds %d bytes; not a Whatsminer API v3 reply", n, a.opts.MaxReplyBytes)
	}
	body := make([]byte, n)
	if k, err := io.ReadFull(conn, body); err != nil {
		return nil, fmt.Errorf("%w after %d of %d bytes", errTruncated, k, n)
	}
	obj, err := parseReply(body)
	if err != nil {
		return nil, err
	}
	if code, ok := numKey(obj, "code"); ok && code != 0 {
		msg, _ := obj["msg"].(string)
		return nil, fmt.Errorf("rig refused the query: code %v %q", code, msg)
	}
	msg, ok := obj["msg"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("reply has no msg object: %s", excerpt(body, 0))
	}
	return msg, nil
}

// pollWhatsminerV3 reads summary (required), edevs, pools and, on identity
// polls, device info.
func (a *ASIC) pollWhatsminerV3(ctx context.Context, st *rigState, r *ASICReading, identity bool) error {
	r.API = apiWhatsminerV3
	summary, err := a.v3Call(ctx, st.rig.Address, `{"cmd":"get.miner.status","param":"summary"}`)
	if err != nil {
		return fmt.Errorf("get.miner.status summary: %w", err)
	}
	get := func(name, req string) map[string]any {
		msg, err := a.v3Call(ctx, st.rig.Address, req)
		if err != nil {
			r.FailedCommands = append(r.FailedCommands, name)
			a.log.Debug("rig query failed", "rig", rigLabel(st.rig), "query", name, "err", err)
		}
		return msg
	}
	edevs := get("edevs", `{"cmd":"get.miner.status","param":"edevs"}`)
	pools := get("pools", `{"cmd":"get.miner.status","param":"pools"}`)
	var info map[string]any
	if identity {
		info = get("get.device.info", `{"cmd":"get.device.info"}`)
	}
	normalizeWhatsminerV3(r, obj(summary, "summary"), section(edevs, "edevs"), section(pools, "pools"), info)
	return nil
}

// normalizeWhatsminerV3 maps API v3 replies (rates in TH/s, power from the
// PSU) onto the rig model.
func normalizeWhatsminerV3(r *ASICReading, s map[string]any, edevs, pools []map[string]any, info map[string]any) {
	r.Firmware = fwWhatsminer
	r.Hashrate5sHS = scaled(s, 1e12, "hash-realtime", "hash-1min")
	r.HashrateAvgHS = scaled(s, 1e12, "hash-average", "hash-15min")
	r.HashrateExpectedHS = scaled(s, 1e12, "factory-hash")
	r.UptimeS = intOpt(s, "elapsed")
	setPos(&r.PowerW)(numKey(s, "power-realtime", "power-5min"))
	if r.PowerW.OK {
		r.PowerSource = powerMeasured
	}
	setPos(&r.PowerLimitW)(numKey(s, "power-limit"))
	setPos(&r.FanInRPM)(numKey(s, "fan-speed-in"))
	setPos(&r.FanOutRPM)(numKey(s, "fan-speed-out"))
	setPos(&r.TempInletC)(numKey(s, "environment-temperature", "environment-tempurature"))
	setPos(&r.TempMaxC)(numKey(s, "chip-temp-max"))
	if r.TempMaxC.OK {
		r.TempMaxSensor = "chip"
	}
	for _, k := range []string{"board-temperature", "board-tempurature"} {
		if t := hottest(s[k]); t.OK {
			r.TempBoardMaxC = t
		}
	}
	for i, d := range edevs {
		b := ASICBoard{Index: i}
		if v, ok := numKey(d, "slot", "id"); ok {
			b.Index = int(v)
		}
		b.HashrateHS = scaled(d, 1e12, "hash-average")
		b.ExpectedHS = scaled(d, 1e12, "factory-hash")
		b.Chips = intOpt(d, "effective-chips")
		setPos(&b.TempChipC)(numKey(d, "chip-temp-max"))
		r.Boards = append(r.Boards, b)
	}
	for _, p := range pools {
		if active, _ := p["stratum-active"].(bool); active {
			r.PoolURL, r.PoolUser = strKey(p, "url"), strKey(p, "account")
			break
		}
	}
	if info != nil {
		net, sys, miner := obj(info, "network"), obj(info, "system"), obj(info, "miner")
		r.MAC = normalizeMAC(strKey(net, "mac"))
		r.Hostname = strKey(net, "hostname")
		r.FirmwareVersion = strKey(sys, "fwversion")
		if led := strings.ToLower(strKey(sys, "ledstatus")); led != "" {
			r.FaultLight = some(led != "auto")
		}
		if t := strKey(miner, "type"); t != "" {
			r.Model = "WhatsMiner " + t
		}
		r.Serial = strKey(miner, "miner-sn")
		r.BoardsExpected = intOpt(miner, "board-num")
		for i := range r.Boards {
			r.Boards[i].Serial = strKey(miner, "pcbsn"+strconv.Itoa(r.Boards[i].Index))
		}
	}
}

// isV3Port is the port Whatsminer API v3 listens on.
func isV3Port(addr string) bool {
	_, port, _ := net.SplitHostPort(addr)
	return port == "4433"
}
