package collectors

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// Firmware families, as the firmware tag spells them.
const (
	fwAntminer   = "antminer" // Bitmain stock (bmminer / cgminer fork)
	fwBraiins    = "braiins"
	fwWhatsminer = "whatsminer"
	fwLuxOS      = "luxos"
	fwCgminer    = "cgminer" // anything else speaking the protocol
)

// detectFirmware tells the forks apart by the name they put in
// STATUS.Description and, for stock Antminer, the model in STATS.
func detectFirmware(replies map[string]map[string]any) string {
	desc := strings.ToLower(description(replies["summary"]) + " " + description(replies["stats"]))
	switch {
	case strings.Contains(desc, "bosminer") || strings.Contains(desc, "boser") || strings.Contains(desc, "braiins"):
		return fwBraiins
	case strings.Contains(desc, "luxminer"):
		return fwLuxOS
	case strings.Contains(desc, "btminer"):
		return fwWhatsminer
	case strings.Contains(desc, "bmminer") || strings.Contains(strings.ToLower(statsModel(replies["stats"])), "antminer"):
		return fwAntminer
	}
	if s := section(replies["summary"], "SUMMARY"); len(s) > 0 {
		if _, ok := s[0]["Power"]; ok {
			return fwWhatsminer // older btminer builds leave Description empty
		}
	}
	return fwCgminer
}

// extraCommands are the firmware-specific read-only queries worth asking.
func extraCommands(fw string) []string {
	switch fw {
	case fwBraiins:
		return []string{"tunerstatus", "temps", "fans"}
	case fwLuxOS:
		return []string{"power"}
	}
	return nil
}

func statsModel(stats map[string]any) string {
	for _, s := range section(stats, "STATS") {
		if t := strKey(s, "Type"); t != "" {
			return t
		}
	}
	return ""
}

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

// normalizeRig turns the replies of one rig into an `asic` point and one
// `asic_board` point per hashboard. Values the firmware does not report are
// left out, never filled with zeros.
func normalizeRig(rig ASICRig, replies map[string]map[string]any, t time.Time) []metric.Point {
	fw := detectFirmware(replies)
	f := map[string]any{"up": int64(1), "address": rig.Address}
	var summary, miner map[string]any
	if s := section(replies["summary"], "SUMMARY"); len(s) > 0 {
		summary = s[0]
	}
	// Stock Antminer puts a version object first and the readings second;
	// take the first object that carries readings.
	for _, s := range section(replies["stats"], "STATS") {
		if _, ok := s["Elapsed"]; ok {
			miner = s
			break
		}
		if _, ok := s["ID"]; ok {
			miner = s
			break
		}
	}

	setHash := func(field, window, rateKey string) {
		for _, obj := range []map[string]any{summary, miner} {
			if obj == nil {
				continue
			}
			if v, ok := hashrate(obj, window); ok {
				f[field] = v
				return
			}
			if v, ok := numKey(obj, rateKey); ok {
				f[field] = math.Round(v * rateUnitScale(strKey(obj, "rate_unit")))
				return
			}
		}
	}
	setHash("hashrate_5s_hs", "5s", "rate_5s")
	setHash("hashrate_avg_hs", "av", "rate_avg")
	if miner != nil {
		if v, ok := numKey(miner, "rate_ideal", "total_rateideal"); ok && v > 0 {
			f["hashrate_ideal_hs"] = math.Round(v * rateUnitScale(strKey(miner, "rate_unit")))
		}
	}
	for _, c := range []struct{ field, key string }{
		{"accepted", "Accepted"}, {"rejected", "Rejected"}, {"hw_errors", "Hardware Errors"}, {"uptime_s", "Elapsed"},
	} {
		for _, obj := range []map[string]any{summary, miner} {
			if v, ok := numKey(obj, c.key); ok && obj != nil {
				f[c.field] = int64(v)
				break
			}
		}
	}

	mac := ""
	if summary != nil {
		mac = normalizeMAC(strKey(summary, "MAC", "mac"))
		if v, ok := numKey(summary, "Fan Speed In"); ok {
			f["fan_in_rpm"] = v
		}
		if v, ok := numKey(summary, "Fan Speed Out"); ok {
			f["fan_out_rpm"] = v
		}
		if v, ok := numKey(summary, "Power Limit"); ok && v > 0 {
			f["power_limit_w"] = v
		}
	}

	tags := rigTags(rig, mac)
	tags["firmware"] = fw
	if m := statsModel(replies["stats"]); m != "" {
		tags["model"] = m
	}

	if miner != nil {
		setFans(f, miner)
	}
	for i, fan := range section(replies["fans"], "FANS") { // Braiins OS
		if rpm, ok := numKey(fan, "RPM"); ok {
			f["fan"+strconv.Itoa(i+1)+"_rpm"] = rpm
		}
	}
	boards := boardsFromStats(miner)
	if len(boards) == 0 {
		boards = boardsFromDevs(section(replies["devs"], "DEVS"))
	}
	boards = mergeTemps(boards, section(replies["temps"], "TEMPS"))
	tempMax, haveTemp := 0.0, false
	for _, b := range boards {
		for _, k := range []string{"temp_board_c", "temp_chip_c"} {
			if v, ok := b.fields[k].(float64); ok && (!haveTemp || v > tempMax) {
				tempMax, haveTemp = v, true
			}
		}
	}
	if summary != nil {
		if v, ok := numKey(summary, "Temperature"); ok && (!haveTemp || v > tempMax) {
			tempMax, haveTemp = v, true
		}
	}
	if haveTemp {
		f["temp_max_c"] = tempMax
	}

	if url, user := activePool(section(replies["pools"], "POOLS")); url != "" {
		f["pool_url"] = url
		if user != "" {
			f["pool_user"] = user
		}
	}

	if ts := section(replies["tunerstatus"], "TUNERSTATUS"); len(ts) > 0 {
		if v, ok := numKey(ts[0], "PowerLimit"); ok && v > 0 {
			f["power_limit_w"] = v
		}
	}
	switch w, ok := measuredPower(fw, summary, replies); {
	case ok:
		f["power_w"] = w
		tags["power_source"] = "measured"
	case rig.NameplateW > 0:
		f["power_w"] = rig.NameplateW
		tags["power_source"] = "nameplate"
	}
	if w, ok := f["power_w"].(float64); ok {
		if h, ok := f["hashrate_avg_hs"].(float64); ok && h > 0 {
			f["efficiency_j_per_th"] = w / (h / 1e12)
		}
	}

	dropNonFinite(f)
	points := []metric.Point{metric.New("asic", tags, f, t)}
	for _, b := range boards {
		bt := make(map[string]string, len(tags)+1)
		for k, v := range tags {
			if k != "power_source" {
				bt[k] = v
			}
		}
		bt["board"] = strconv.Itoa(b.index)
		if dropNonFinite(b.fields); len(b.fields) == 0 {
			continue
		}
		points = append(points, metric.New("asic_board", bt, b.fields, t))
	}
	return points
}

// measuredPower returns the power the firmware itself reports, in W.
func measuredPower(fw string, summary map[string]any, replies map[string]map[string]any) (float64, bool) {
	pos := func(v float64, ok bool) (float64, bool) { return v, ok && v > 0 }
	switch fw {
	case fwBraiins:
		if ts := section(replies["tunerstatus"], "TUNERSTATUS"); len(ts) > 0 {
			return pos(numKey(ts[0], "ApproximateMinerPowerConsumption"))
		}
	case fwLuxOS:
		if p := section(replies["power"], "POWER"); len(p) > 0 {
			return pos(numKey(p[0], "Watts", "Power"))
		}
	}
	if summary != nil {
		return pos(numKey(summary, "Power", "power"))
	}
	return 0, false
}

func setFans(f map[string]any, miner map[string]any) {
	if arr, ok := miner["fan"].([]any); ok {
		for i, v := range arr {
			if rpm, ok := num(v); ok {
				f["fan"+strconv.Itoa(i+1)+"_rpm"] = rpm
			}
		}
		return
	}
	n := 8
	if v, ok := numKey(miner, "fan_num"); ok && v >= 0 && v < 32 {
		n = int(v)
	}
	for i, seen := 1, 0; i <= 16 && seen < n; i++ {
		if rpm, ok := numKey(miner, "fan"+strconv.Itoa(i)); ok && rpm > 0 {
			f["fan"+strconv.Itoa(seen+1)+"_rpm"] = rpm
			seen++
		}
	}
}

type board struct {
	index  int
	fields map[string]any
}

// boardsFromStats reads hashboards from Antminer-style stats: either the
// newer "chain" array (S21 and recent S19 firmware) or the numbered
// chain_rate1/chain_acn1/temp_chip1 keys of older firmware.
func boardsFromStats(miner map[string]any) []board {
	if miner == nil {
		return nil
	}
	scale := rateUnitScale(strKey(miner, "rate_unit"))
	var out []board
	if chains, ok := miner["chain"].([]any); ok {
		for i, c := range chains {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			f := map[string]any{}
			idx := i
			if v, ok := numKey(cm, "index"); ok {
				idx = int(v)
			}
			if v, ok := numKey(cm, "rate_real"); ok {
				f["hashrate_hs"] = math.Round(v * scale)
			}
			if v, ok := numKey(cm, "asic_num"); ok {
				f["chips"] = int64(v)
			}
			if v, ok := numKey(cm, "hw"); ok {
				f["hw_errors"] = int64(v)
			}
			setMax(f, "temp_board_c", cm["temp_pcb"])
			setMax(f, "temp_chip_c", cm["temp_chip"])
			if sn := strKey(cm, "sn"); sn != "" {
				f["serial"] = sn
			}
			if len(f) > 0 {
				out = append(out, board{idx, f})
			}
		}
		return out
	}
	for i := 1; i <= 16; i++ {
		n := strconv.Itoa(i)
		f := map[string]any{}
		if v, ok := numKey(miner, "chain_rate"+n); ok {
			f["hashrate_hs"] = math.Round(v * scale)
		}
		if v, ok := numKey(miner, "chain_acn"+n); ok {
			f["chips"] = int64(v)
		}
		if v, ok := numKey(miner, "chain_hw"+n); ok {
			f["hw_errors"] = int64(v)
		}
		if len(f) == 0 {
			continue // no such chain
		}
		setMax(f, "temp_board_c", miner["temp_pcb"+n])
		if _, ok := f["temp_board_c"]; !ok {
			setMax(f, "temp_board_c", miner["temp"+n])
		}
		setMax(f, "temp_chip_c", miner["temp_chip"+n])
		if _, ok := f["temp_chip_c"]; !ok {
			setMax(f, "temp_chip_c", miner["temp2_"+n])
		}
		out = append(out, board{i - 1, f})
	}
	return out
}

// boardsFromDevs reads hashboards from the devs reply (Braiins OS,
// Whatsminer, LuxOS), one ASC entry per board.
func boardsFromDevs(devs []map[string]any) []board {
	var out []board
	for i, d := range devs {
		f := map[string]any{}
		idx := i
		if v, ok := numKey(d, "ASC", "ID", "Slot"); ok {
			idx = int(v)
		}
		if v, ok := hashrate(d, "5s"); ok {
			f["hashrate_hs"] = v
		} else if v, ok := hashrate(d, "av"); ok {
			f["hashrate_hs"] = v
		}
		if v, ok := numKey(d, "Effective Chips", "Chips"); ok {
			f["chips"] = int64(v)
		}
		if v, ok := numKey(d, "Hardware Errors"); ok {
			f["hw_errors"] = int64(v)
		}
		if v, ok := numKey(d, "Temperature", "Board Temperature"); ok && v != 0 {
			f["temp_board_c"] = v
		}
		if v, ok := numKey(d, "Chip Temp Max", "Chip Temperature"); ok && v != 0 {
			f["temp_chip_c"] = v
		}
		if sn := strKey(d, "PCB SN", "SerialNo"); sn != "" {
			f["serial"] = sn
		}
		if len(f) > 0 {
			out = append(out, board{idx, f})
		}
	}
	return out
}

// setMax stores the hottest of a sensor list, which firmware sends as a JSON
// array ([55,56,70,71]), a dash-joined string ("55-56-70-71") or a number.
func setMax(f map[string]any, key string, v any) {
	var vals []float64
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if n, ok := num(e); ok {
				vals = append(vals, n)
			}
		}
	case string:
		for _, part := range strings.Split(x, "-") {
			if n, ok := num(part); ok {
				vals = append(vals, n)
			}
		}
	default:
		if n, ok := num(v); ok {
			vals = append(vals, n)
		}
	}
	best, have := 0.0, false
	for _, n := range vals {
		if n != 0 && (!have || n > best) { // 0 means "no sensor" on Antminer
			best, have = n, true
		}
	}
	if have {
		f[key] = best
	}
}

// activePool picks the pool the rig is hashing on: the one marked
// "Stratum Active", else the alive pool with the best priority.
func activePool(pools []map[string]any) (url, user string) {
	bestPrio := -1.0
	for _, p := range pools {
		if active, _ := p["Stratum Active"].(bool); active {
			return strKey(p, "URL"), strKey(p, "User")
		}
		if !strings.EqualFold(strKey(p, "Status"), "Alive") {
			continue
		}
		prio, _ := numKey(p, "Priority")
		if bestPrio < 0 || prio < bestPrio {
			bestPrio, url, user = prio, strKey(p, "URL"), strKey(p, "User")
		}
	}
	return url, user
}

// dropNonFinite removes values that overflowed while scaling units (a
// firmware sending "1e308" GH/s): InfluxDB cannot store them and they are
// not measurements.
func dropNonFinite(f map[string]any) {
	for k, v := range f {
		if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
			delete(f, k)
		}
	}
}

// mergeTemps adds Braiins OS `temps` readings (one entry per hashboard, in
// board order) to the boards read from devs.
func mergeTemps(boards []board, temps []map[string]any) []board {
	for i, tm := range temps {
		idx := i
		if v, ok := numKey(tm, "TEMP"); ok {
			idx = int(v)
		}
		f := map[string]any{}
		if v, ok := numKey(tm, "Board"); ok && v != 0 {
			f["temp_board_c"] = v
		}
		if v, ok := numKey(tm, "Chip"); ok && v != 0 {
			f["temp_chip_c"] = v
		}
		if len(f) == 0 {
			continue
		}
		found := false
		for _, b := range boards {
			if b.index == idx {
				for k, v := range f {
					b.fields[k] = v
				}
				found = true
				break
			}
		}
		if !found {
			boards = append(boards, board{idx, f})
		}
	}
	return boards
}
