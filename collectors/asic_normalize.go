package collectors

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Firmware families, as the firmware tag spells them.
const (
	fwAntminer   = "antminer" // Bitmain stock (bmminer / cgminer fork)
	fwBraiins    = "braiins"
	fwWhatsminer = "whatsminer"
	fwLuxOS      = "luxos"
	fwCgminer    = "cgminer" // anything else speaking the protocol
	fwAxeOS      = "axeos"
	fwVNish      = "vnish"
	fwEPIC       = "epic"
)

// detectFirmware tells the forks apart, first by what the rig answered
// (a command only one firmware has is proof, whatever the rig calls
// itself), then by the name in STATUS.Description, then by shape.
func detectFirmware(replies map[string]map[string]any) string {
	switch {
	case replies["tunerstatus"] != nil:
		return fwBraiins
	case replies["get_miner_info"] != nil || replies["get_version"] != nil:
		return fwWhatsminer
	}
	desc := strings.ToLower(description(replies["summary"]) + " " + description(replies["stats"]) + " " + description(replies["version"]))
	switch {
	case strings.Contains(desc, "bosminer") || strings.Contains(desc, "boser") || strings.Contains(desc, "braiins"):
		return fwBraiins
	case strings.Contains(desc, "luxminer"):
		return fwLuxOS
	case strings.Contains(desc, "btminer"):
		return fwWhatsminer
	}
	if v := section(replies["version"], "VERSION"); len(v) > 0 {
		switch {
		case v[0]["BOSminer"] != nil || v[0]["BOSer"] != nil:
			return fwBraiins
		case v[0]["LUXminer"] != nil:
			return fwLuxOS
		}
	}
	if s := section(replies["summary"], "SUMMARY"); len(s) > 0 {
		if _, ok := s[0]["Factory GHS"]; ok {
			return fwWhatsminer
		}
		if _, ok := s[0]["Power"]; ok {
			return fwWhatsminer // older btminer builds leave Description empty
		}
	}
	if strings.Contains(desc, "bmminer") || strings.Contains(strings.ToLower(statsModel(replies["stats"])), "antminer") {
		return fwAntminer
	}
	return fwCgminer
}

func statsModel(stats map[string]any) string {
	for _, s := range section(stats, "STATS") {
		if t := strKey(s, "Type"); t != "" {
			return t
		}
	}
	return ""
}

// rateWindows are the hashrate windows firmware reports, shortest first.
var rateWindows = []string{"5s", "1m", "5m", "15m", "30m", "av"}

// hashrate reads e.g. "GHS 5s" or "MHS av" from obj, in H/s.
func hashrate(obj map[string]any, window string) (float64, bool) {
	prefixes := [...]struct {
		prefix string
		scale  float64
	}{{"THS ", 1e12}, {"GHS ", 1e9}, {"MHS ", 1e6}, {"KHS ", 1e3}}
	for _, p := range prefixes {
		if v, ok := numKey(obj, p.prefix+window); ok {
			return math.Round(v * p.scale), true
		}
	}
	return 0, false
}

// anyHashrate returns the shortest window obj reports: boards of some
// firmware carry only "MHS 1m", others only "MHS av".
func anyHashrate(obj map[string]any) (float64, bool) {
	for _, w := range rateWindows {
		if v, ok := hashrate(obj, w); ok {
			return v, true
		}
	}
	if v, ok := numKey(obj, "HS RT"); ok { // Whatsminer: real-time, in MH/s
		return math.Round(v * 1e6), true
	}
	return 0, false
}

func rateUnitScale(unit string) float64 {
	switch strings.ToUpper(strings.TrimSpace(unit)) {
	case "TH/S", "THS":
		return 1e12
	case "MH/S", "MHS":
		return 1e6
	case "KH/S", "KHS":
		return 1e3
	case "H/S", "HS":
		return 1
	}
	return 1e9 // GH/s is the Antminer default when rate_unit is absent
}

// normalizeCgminer fills r from the replies of a cgminer-family rig.
// Values the firmware does not report are left out, never set to zero.
func normalizeCgminer(r *ASICReading, replies map[string]map[string]any) {
	r.Firmware = detectFirmware(replies)
	var summary, miner map[string]any
	if s := section(replies["summary"], "SUMMARY"); len(s) > 0 {
		summary = s[0]
	}
	// Stock Antminer puts a version object first and the readings second;
	// take the first object that carries readings.
	for _, s := range section(replies["stats"], "STATS") {
		_, e := s["Elapsed"]
		_, id := s["ID"]
		if e || id {
			miner = s
			break
		}
	}
	objs := []map[string]any{summary, miner}

	rate := func(window, rateKey string) Opt[float64] {
		for _, obj := range objs {
			if obj == nil {
				continue
			}
			if v, ok := hashrate(obj, window); ok {
				return some(v)
			}
			if v, ok := numKey(obj, rateKey); ok {
				return some(math.Round(v * rateUnitScale(strKey(obj, "rate_unit"))))
			}
		}
		return Opt[float64]{}
	}
	r.Hashrate5sHS = rate("5s", "rate_5s")
	if !r.Hashrate5sHS.OK {
		r.Hashrate5sHS = rate("1m", "rate_1m")
	}
	r.HashrateAvgHS = rate("av", "rate_avg")
	if miner != nil {
		if v, ok := numKey(miner, "rate_ideal", "total_rateideal"); ok {
			setPos(&r.HashrateExpectedHS)(math.Round(v*rateUnitScale(strKey(miner, "rate_unit"))), true)
		}
		if v, ok := numKey(miner, "miner_count", "chain_num"); ok && v > 0 && v < 64 {
			r.BoardsExpected = some(int64(v))
		}
	}
	if summary != nil && !r.HashrateExpectedHS.OK {
		if v, ok := numKey(summary, "Factory GHS"); ok { // Whatsminer
			setPos(&r.HashrateExpectedHS)(v*1e9, true)
		} else if v, ok := numKey(summary, "Target MHS"); ok {
			setPos(&r.HashrateExpectedHS)(v*1e6, true)
		}
	}
	for _, c := range []struct {
		dst *Opt[int64]
		key string
	}{{&r.Accepted, "Accepted"}, {&r.Rejected, "Rejected"}, {&r.HWErrors, "Hardware Errors"}, {&r.UptimeS, "Elapsed"}} {
		for _, obj := range objs {
			if v, ok := numKey(obj, c.key); ok && obj != nil {
				*c.dst = some(int64(v))
				break
			}
		}
	}

	if summary != nil {
		r.MAC = normalizeMAC(strKey(summary, "MAC", "mac"))
		setPos(&r.FanInRPM)(numKey(summary, "Fan Speed In"))
		setPos(&r.FanOutRPM)(numKey(summary, "Fan Speed Out"))
		setPos(&r.PowerLimitW)(numKey(summary, "Power Limit"))
		setPos(&r.TempInletC)(numKey(summary, "Env Temp"))
		// Whatsminer's summary knows the hottest chip; its devs know
		// only per-board maxima, which may be a board sensor.
		setPos(&r.TempMaxC)(numKey(summary, "Chip Temp Max"))
		if r.TempMaxC.OK {
			r.TempMaxSensor = "chip"
		}
	}
	r.Model = statsModel(replies["stats"])
	if d := section(replies["devdetails"], "DEVDETAILS"); len(d) > 0 && r.Model == "" {
		r.Model = strKey(d[0], "Model")
		if r.Firmware == fwWhatsminer && r.Model != "" && !strings.HasPrefix(strings.ToLower(r.Model), "whatsminer") {
			r.Model = "WhatsMiner " + r.Model
		}
	}
	if v := section(replies["version"], "VERSION"); len(v) > 0 {
		if r.Model == "" {
			r.Model = strKey(v[0], "Type")
		}
		r.FirmwareVersion = strKey(v[0], "BOSminer", "BOSer", "LUXminer", "Miner", "CompileTime")
	}
	if r.FirmwareVersion == "" && r.Firmware == fwBraiins {
		r.FirmwareVersion = firmwareFromDescription(description(replies["summary"]))
	}
	if r.FirmwareVersion == "" {
		for _, s := range section(replies["stats"], "STATS") {
			if v := strKey(s, "CompileTime"); v != "" {
				r.FirmwareVersion = v
				break
			}
		}
	}
	whatsminerExtras(r, replies)

	if miner != nil {
		r.FansRPM = fansFromStats(miner)
	}
	for _, fan := range section(replies["fans"], "FANS") { // Braiins OS
		if rpm, ok := numKey(fan, "RPM"); ok {
			r.FansRPM = append(r.FansRPM, rpm)
		}
	}
	r.Boards = boardsFromStats(miner)
	if len(r.Boards) == 0 {
		r.Boards = boardsFromDevs(section(replies["devs"], "DEVS"))
	}
	r.Boards = mergeTemps(r.Boards, section(replies["temps"], "TEMPS"))
	if summary != nil {
		setPos(&r.TempBoardMaxC)(numKey(summary, "Temperature"))
	}

	r.PoolURL, r.PoolUser = activePool(section(replies["pools"], "POOLS"))

	if ts := section(replies["tunerstatus"], "TUNERSTATUS"); len(ts) > 0 {
		setPos(&r.PowerLimitW)(numKey(ts[0], "PowerLimit"))
		if chains, ok := ts[0]["TunerChainStatus"].([]any); ok && !r.BoardsExpected.OK {
			r.BoardsExpected = some(int64(len(chains)))
		}
		if w, ok := numKey(ts[0], "ApproximateMinerPowerConsumption"); ok && w > 0 {
			r.PowerW, r.PowerSource = some(w), powerFirmware
		}
	}
	if p := section(replies["power"], "POWER"); len(p) > 0 && !r.PowerW.OK { // LuxOS: the PSU's reading
		if w, ok := numKey(p[0], "Watts", "Power"); ok && w > 0 {
			r.PowerW, r.PowerSource = some(w), powerMeasured
		}
	}
	if summary != nil && !r.PowerW.OK { // Whatsminer: the PSU's reading
		if w, ok := numKey(summary, "Power", "power"); ok && w > 0 {
			r.PowerW, r.PowerSource = some(w), powerMeasured
		}
	}
}

// whatsminerExtras reads the Whatsminer API v2 read-only queries, whose
// replies carry an object in Msg instead of cgminer sections.
func whatsminerExtras(r *ASICReading, replies map[string]map[string]any) {
	if msg, ok := replies["get_version"]["Msg"].(map[string]any); ok {
		if v := strKey(msg, "fw_ver"); v != "" {
			r.FirmwareVersion = v
		}
	}
	if msg, ok := replies["get_miner_info"]["Msg"].(map[string]any); ok {
		if m := normalizeMAC(strKey(msg, "mac")); m != "" {
			r.MAC = m
		}
		r.Hostname = strKey(msg, "hostname")
		r.Serial = strKey(msg, "minersn")
		if led := strings.ToLower(strKey(msg, "ledstat")); led != "" {
			r.FaultLight = some(led != "auto")
		}
	}
	if msg, ok := replies["get_error_code"]["Msg"].(map[string]any); ok {
		r.ErrorCodesRead = true
		codes, _ := msg["error_code"].([]any)
		for _, c := range codes {
			switch x := c.(type) {
			case map[string]any: // {"329":"2023-05-01 10:00:00"}
				for k := range x {
					r.ErrorCodes = append(r.ErrorCodes, k)
				}
			case string:
				r.ErrorCodes = append(r.ErrorCodes, x)
			default:
				if n, ok := num(x); ok {
					r.ErrorCodes = append(r.ErrorCodes, formatCode(n))
				}
			}
		}
		slices.Sort(r.ErrorCodes)
		r.ErrorCodes = slices.Compact(r.ErrorCodes)
	}
}

func formatCode(n float64) string { return strconv.FormatFloat(n, 'f', -1, 64) }

// firmwareFromDescription takes the version from "BOSer boser-buildroot 0.1.0-d2d5f3f5".
func firmwareFromDescription(d string) string {
	parts := strings.Fields(d)
	if len(parts) == 0 {
		return ""
	}
	return parts[len(parts)-1]
}
