package collectors

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// httpEndpoint is one GET a protocol makes per poll. The first of a
// protocol's list is required (the rig is down without it); the others
// make the reading partial when they fail.
type httpEndpoint struct {
	path     string
	identity bool // asked only on identity polls
}

var httpEndpoints = map[string][]httpEndpoint{
	apiAxeOS: {{path: "/api/system/info"}},
	apiVNish: {{path: "/api/v1/summary"}, {path: "/api/v1/info", identity: true}},
	apiEPIC:  {{path: "/summary"}, {path: "/capabilities", identity: true}},
	apiAntminerWeb: {{path: "/cgi-bin/stats.cgi"}, {path: "/cgi-bin/summary.cgi"}, {path: "/cgi-bin/pools.cgi"},
		{path: "/cgi-bin/get_blink_status.cgi"}, {path: "/cgi-bin/get_system_info.cgi", identity: true}},
}

// pollHTTP reads a rig speaking one of the HTTP APIs into r.
func (a *ASIC) pollHTTP(ctx context.Context, st *rigState, r *ASICReading, identity bool) error {
	eps, ok := httpEndpoints[st.api]
	if !ok {
		return fmt.Errorf("%w: %q", errUnsupportedAPI, st.api)
	}
	r.API = st.api
	replies := map[string]map[string]any{}
	for i, ep := range eps {
		if ep.identity && !identity {
			continue
		}
		obj, err := a.getJSON(ctx, st.rig.Address, ep.path)
		if err != nil {
			if i == 0 {
				return err
			}
			r.FailedCommands = append(r.FailedCommands, ep.path)
			a.log.Debug("rig endpoint failed", "rig", rigLabel(st.rig), "path", ep.path, "err", err)
			continue
		}
		replies[ep.path] = obj
	}
	switch st.api {
	case apiAxeOS:
		normalizeAxeOS(r, replies["/api/system/info"])
	case apiVNish:
		normalizeVNish(r, replies["/api/v1/summary"], replies["/api/v1/info"])
	case apiEPIC:
		normalizeEPIC(r, replies["/summary"], replies["/capabilities"])
	case apiAntminerWeb:
		normalizeAntminerWeb(r, replies)
	}
	return nil
}

// obj returns m[key] as an object, or nil.
func obj(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		if m == nil {
			return nil
		}
		m, _ = m[k].(map[string]any)
	}
	return m
}

func arr(m map[string]any, key string) []map[string]any {
	if m == nil {
		return nil
	}
	return section(m, key)
}

func intOpt(m map[string]any, keys ...string) Opt[int64] {
	if v, ok := numKey(m, keys...); ok && m != nil && v >= 0 {
		return some(int64(v))
	}
	return Opt[int64]{}
}

func scaled(m map[string]any, scale float64, keys ...string) Opt[float64] {
	var o Opt[float64]
	if m != nil {
		if v, ok := numKey(m, keys...); ok {
			setPos(&o)(math.Round(v*scale), true)
		}
	}
	return o
}

// normalizeAxeOS reads Bitaxe / AxeOS /api/system/info: one board, rates
// in GH/s, power from the board's INA260 (measured), temp is the chip's.
func normalizeAxeOS(r *ASICReading, info map[string]any) {
	r.Firmware = fwAxeOS
	r.Model = strings.TrimSpace("Bitaxe " + strKey(info, "ASICModel"))
	if bv := strKey(info, "boardVersion"); bv != "" {
		r.Model += " (board " + bv + ")"
	}
	r.FirmwareVersion = strKey(info, "version", "axeOSVersion")
	r.MAC = normalizeMAC(strKey(info, "macAddr"))
	r.Hostname = strKey(info, "hostname")
	r.Hashrate5sHS = scaled(info, 1e9, "hashRate")
	r.HashrateAvgHS = scaled(info, 1e9, "hashRate_10m", "hashRate_1h", "hashRate")
	r.HashrateExpectedHS = scaled(info, 1e9, "expectedHashrate")
	setPos(&r.PowerW)(numKey(info, "power"))
	if r.PowerW.OK {
		r.PowerSource = powerMeasured
	}
	setPos(&r.PowerLimitW)(numKey(info, "maxPower"))
	if rpm, ok := numKey(info, "fanrpm"); ok {
		r.FansRPM = []float64{rpm}
	}
	r.Accepted = intOpt(info, "sharesAccepted")
	r.Rejected = intOpt(info, "sharesRejected")
	r.UptimeS = intOpt(info, "uptimeSeconds")
	if u := strKey(info, "stratumURL"); u != "" {
		r.PoolURL = u
		if p, ok := numKey(info, "stratumPort"); ok {
			r.PoolURL = "stratum+tcp://" + u + ":" + strconv.Itoa(int(p))
		}
	}
	r.PoolUser = strKey(info, "stratumUser")
	b := ASICBoard{Index: 0, HashrateHS: r.Hashrate5sHS, ExpectedHS: r.HashrateExpectedHS, ChipsExpected: intOpt(info, "asicCount")}
	setPos(&b.TempChipC)(numKey(info, "temp"))
	setPos(&b.TempBoardC)(numKey(info, "vrTemp"))
	r.Boards = []ASICBoard{b}
	r.BoardsExpected = some(int64(1))
	if f := strKey(info, "power_fault"); f != "" {
		r.ErrorCodes = []string{f}
	}
	if v, ok := numKey(info, "overheat_mode"); ok && v != 0 {
		r.ErrorCodes = append(r.ErrorCodes, "overheat")
	}
}

// normalizeVNish reads VNish /api/v1/summary (rig rates in TH/s, chain
// rates in GH/s, power from the firmware's PSU model) and /api/v1/info.
func normalizeVNish(r *ASICReading, summary, info map[string]any) {
	r.Firmware = fwVNish
	m := obj(summary, "miner")
	r.Model = strKey(m, "miner_type")
	r.Hashrate5sHS = scaled(m, 1e12, "instant_hashrate", "hr_realtime")
	r.HashrateAvgHS = scaled(m, 1e12, "average_hashrate", "hr_average")
	r.HashrateExpectedHS = scaled(m, 1e12, "hr_nominal", "hr_stock")
	setPos(&r.PowerW)(numKey(m, "power_consumption", "power_usage"))
	if r.PowerW.OK {
		r.PowerSource = powerFirmware
	}
	r.HWErrors = intOpt(m, "hw_errors")
	for _, f := range arr(obj(m, "cooling"), "fans") {
		if rpm, ok := numKey(f, "rpm"); ok {
			r.FansRPM = append(r.FansRPM, rpm)
		}
	}
	if n, ok := numKey(obj(m, "cooling"), "fan_num"); ok && n > 0 && int(n) < len(r.FansRPM) {
		r.FansRPM = r.FansRPM[:int(n)]
	}
	for i, c := range arr(m, "chains") {
		b := ASICBoard{Index: i}
		if v, ok := numKey(c, "id"); ok {
			b.Index = int(v) - 1 // VNish numbers chains from 1
		}
		b.HashrateHS = scaled(c, 1e9, "hashrate_rt")
		b.ExpectedHS = scaled(c, 1e9, "hashrate_ideal")
		b.HWErrors = intOpt(c, "hw_errors")
		setPos(&b.TempChipC)(numKey(obj(c, "chip_temp"), "max"))
		setPos(&b.TempBoardC)(numKey(obj(c, "pcb_temp"), "max"))
		if cs := obj(c, "chip_statuses"); cs != nil {
			var sum int64
			for _, k := range []string{"red", "orange", "grey"} {
				if v, ok := numKey(cs, k); ok {
					sum += int64(v)
				}
			}
			if sum > 0 {
				r.ErrorCodes = append(r.ErrorCodes, fmt.Sprintf("chain%d:%d_chips_not_ok", b.Index, sum))
			}
		}
		b.Serial = strKey(c, "serial")
		r.Boards = append(r.Boards, b)
	}
	for _, p := range arr(m, "pools") {
		st := strings.ToLower(strKey(p, "status"))
		if st == "active" || st == "working" {
			r.PoolURL, r.PoolUser = strKey(p, "url"), strKey(p, "user")
			r.Accepted, r.Rejected = intOpt(p, "accepted"), intOpt(p, "rejected")
			break
		}
	}
	if info != nil {
		r.FirmwareVersion = strKey(info, "fw_version")
		if r.Model == "" {
			r.Model = strKey(info, "miner", "model")
		}
		ns := obj(info, "system", "network_status")
		r.MAC = normalizeMAC(strKey(ns, "mac"))
		r.Hostname = strKey(ns, "hostname")
		r.Serial = strKey(info, "serial")
		if up, ok := numKey(obj(info, "system"), "uptime_s", "uptime"); ok {
			r.UptimeS = some(int64(up))
		}
	}
	if s := strKey(obj(m, "miner_status"), "miner_state"); s != "" && s != "mining" {
		r.ErrorCodes = append(r.ErrorCodes, "state:"+s)
	}
}

// normalizeEPIC reads ePIC PowerPlay /summary (rates in MH/s; each board's
// "Hashrate" is [MH/s, fraction of ideal]) and /capabilities.
func normalizeEPIC(r *ASICReading, summary, caps map[string]any) {
	r.Firmware = fwEPIC
	r.Hostname = strKey(summary, "Hostname")
	r.FirmwareVersion = strKey(summary, "Software")
	sess := obj(summary, "Session")
	r.HashrateAvgHS = scaled(sess, 1e6, "Average MHs")
	r.Accepted, r.Rejected = intOpt(sess, "Accepted"), intOpt(sess, "Rejected")
	r.UptimeS = intOpt(sess, "Uptime")
	var total, ideal float64
	for i, hb := range arr(summary, "HBs") {
		b := ASICBoard{Index: i}
		if v, ok := numKey(hb, "Index"); ok {
			b.Index = int(v)
		}
		if hr, ok := hb["Hashrate"].([]any); ok && len(hr) > 0 {
			if v, ok := num(hr[0]); ok {
				b.HashrateHS = some(math.Round(v * 1e6))
				total += v * 1e6
				if len(hr) > 1 {
					if frac, ok := num(hr[1]); ok && frac > 0 {
						b.ExpectedHS = some(math.Round(v * 1e6 / frac))
						ideal += v * 1e6 / frac
					}
				}
			}
		}
		setPos(&b.TempBoardC)(numKey(hb, "Temperature"))
		r.Boards = append(r.Boards, b)
	}
	if total > 0 {
		r.Hashrate5sHS = some(math.Round(total))
	}
	if ideal > 0 {
		r.HashrateExpectedHS = some(math.Round(ideal))
	}
	if w, ok := numKey(obj(summary, "Power Supply Stats"), "Input Power"); ok && w > 0 {
		r.PowerW, r.PowerSource = some(w), powerMeasured
	}
	st := obj(summary, "Stratum")
	r.PoolURL, r.PoolUser = strKey(st, "Current Pool"), strKey(st, "Current User")
	fans := obj(summary, "Fans Rpm")
	for _, k := range slices.Sorted(maps.Keys(fans)) {
		if rpm, ok := num(fans[k]); ok {
			r.FansRPM = append(r.FansRPM, rpm)
		}
	}
	if loc, ok := obj(summary, "Misc")["Locate Miner State"].(bool); ok {
		r.FaultLight = some(loc)
	}
	if s := strKey(obj(summary, "Status"), "Operating State"); s != "" && !strings.EqualFold(s, "mining") {
		r.ErrorCodes = append(r.ErrorCodes, "state:"+s)
	}
	for _, nic := range obj(summary, "Network") {
		if m, ok := nic.(map[string]any); ok {
			if mac := normalizeMAC(strKey(m, "mac_address")); mac != "" {
				r.MAC = mac
				break
			}
		}
	}
	if caps != nil {
		r.Model = strKey(caps, "Model")
		if sub := strKey(caps, "Model Subtype"); sub != "" && r.Model != "" {
			r.Model += " " + sub
		}
		r.BoardsExpected = intOpt(caps, "Max HBs")
	}
}

// normalizeAntminerWeb reads the stock Antminer web API, whose stats and
// summary carry the same fields as the TCP API in lower case.
func normalizeAntminerWeb(r *ASICReading, replies map[string]map[string]any) {
	r.Firmware = fwAntminer
	stats := replies["/cgi-bin/stats.cgi"]
	var miner map[string]any
	if s := section(stats, "STATS"); len(s) > 0 {
		miner = s[0]
	}
	info := obj(stats, "INFO")
	r.Model = strKey(info, "type")
	r.FirmwareVersion = strKey(info, "CompileTime", "miner_version")
	unit := rateUnitScale(strKey(miner, "rate_unit"))
	r.Hashrate5sHS = scaled(miner, unit, "rate_5s")
	r.HashrateAvgHS = scaled(miner, unit, "rate_avg", "rate_30m")
	r.HashrateExpectedHS = scaled(miner, unit, "rate_ideal")
	r.UptimeS = intOpt(miner, "elapsed")
	r.BoardsExpected = intOpt(miner, "chain_num")
	if miner != nil {
		r.FansRPM = fansFromStats(miner)
		r.Boards = boardsFromStats(miner)
	}
	if s := section(replies["/cgi-bin/summary.cgi"], "SUMMARY"); len(s) > 0 {
		r.HWErrors = intOpt(s[0], "hw_all")
		r.ErrorCodesRead = s[0]["status"] != nil
		for _, st := range section(s[0], "status") {
			if code := strings.ToLower(strKey(st, "status")); code != "" && code != "s" {
				r.ErrorCodes = append(r.ErrorCodes, strKey(st, "type")+":"+strKey(st, "msg"))
			}
		}
	}
	pools := section(replies["/cgi-bin/pools.cgi"], "POOLS")
	for i, p := range pools { // the web API spells the cgminer keys in lower case
		pools[i] = map[string]any{"URL": p["url"], "User": p["user"], "Status": p["status"], "Priority": p["priority"]}
	}
	r.PoolURL, r.PoolUser = activePool(pools)
	var acc, rej int64
	for _, p := range section(replies["/cgi-bin/pools.cgi"], "POOLS") {
		if v, ok := numKey(p, "accepted"); ok {
			acc += int64(v)
		}
		if v, ok := numKey(p, "rejected"); ok {
			rej += int64(v)
		}
	}
	if len(pools) > 0 {
		r.Accepted, r.Rejected = some(acc), some(rej)
	}
	if b, ok := replies["/cgi-bin/get_blink_status.cgi"]["blink"].(bool); ok {
		r.FaultLight = some(b)
	}
	if si := replies["/cgi-bin/get_system_info.cgi"]; si != nil {
		if r.Model == "" {
			r.Model = strKey(si, "minertype")
		}
		r.MAC = normalizeMAC(strKey(si, "macaddr"))
		r.Hostname = strKey(si, "hostname")
		r.Serial = strKey(si, "serinum")
		if r.FirmwareVersion == "" {
			r.FirmwareVersion = strKey(si, "system_filesystem_version")
		}
	}
}
