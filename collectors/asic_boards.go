package collectors

import (
	"math"
	"strconv"
	"strings"
)

// fansFromStats reads Antminer fans: a "fan" array (newer firmware) or
// numbered fan1..fanN keys, of which only the populated ones count.
func fansFromStats(miner map[string]any) []float64 {
	var out []float64
	if arr, ok := miner["fan"].([]any); ok {
		for _, v := range arr {
			if rpm, ok := num(v); ok {
				out = append(out, rpm)
			}
		}
		return out
	}
	n := 8
	if v, ok := numKey(miner, "fan_num"); ok && v >= 0 && v < 32 {
		n = int(v)
	}
	for i := 1; i <= 16 && len(out) < n; i++ {
		if rpm, ok := numKey(miner, "fan"+strconv.Itoa(i)); ok && rpm > 0 {
			out = append(out, rpm)
		}
	}
	return out
}

// chipsFromACS counts an Antminer chain_acs string: one character per
// chip position, 'o' for a chip that answers, 'x' or '-' for one that
// does not. It gives both the chips found and the chips expected.
func chipsFromACS(s string) (found, expected int64, ok bool) {
	for _, c := range s {
		switch c {
		case 'o':
			found++
			expected++
		case 'x', 'X', '-':
			expected++
		}
	}
	return found, expected, expected > 0
}

// boardsFromStats reads hashboards from Antminer-style stats: either the
// newer "chain" array (S21 and recent S19 firmware) or the numbered
// chain_rate1/chain_acn1/temp_chip1 keys of older firmware.
func boardsFromStats(miner map[string]any) []ASICBoard {
	if miner == nil {
		return nil
	}
	scale := rateUnitScale(strKey(miner, "rate_unit"))
	var out []ASICBoard
	if chains, ok := miner["chain"].([]any); ok {
		for i, c := range chains {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			b := ASICBoard{Index: i}
			if v, ok := numKey(cm, "index"); ok {
				b.Index = int(v)
			}
			if v, ok := numKey(cm, "rate_real"); ok {
				b.HashrateHS = some(math.Round(v * scale))
			}
			if v, ok := numKey(cm, "rate_ideal"); ok {
				setPos(&b.ExpectedHS)(math.Round(v*scale), true)
			}
			if v, ok := numKey(cm, "asic_num"); ok {
				b.Chips = some(int64(v))
			}
			if v, ok := numKey(cm, "hw"); ok {
				b.HWErrors = some(int64(v))
			}
			b.TempBoardC = hottest(cm["temp_pcb"])
			b.TempChipC = hottest(cm["temp_chip"])
			b.Serial = strKey(cm, "sn")
			out = append(out, b)
		}
		return out
	}
	for i := 1; i <= 16; i++ {
		n := strconv.Itoa(i)
		b := ASICBoard{Index: i - 1}
		any := false
		if v, ok := numKey(miner, "chain_rate"+n); ok {
			b.HashrateHS, any = some(math.Round(v*scale)), true
		}
		if v, ok := numKey(miner, "chain_rateideal"+n); ok {
			setPos(&b.ExpectedHS)(math.Round(v*scale), true)
		}
		if v, ok := numKey(miner, "chain_acn"+n); ok {
			b.Chips, any = some(int64(v)), true
		}
		if _, exp, ok := chipsFromACS(strKey(miner, "chain_acs"+n)); ok {
			b.ChipsExpected = some(exp)
		}
		if v, ok := numKey(miner, "chain_hw"+n); ok {
			b.HWErrors, any = some(int64(v)), true
		}
		if !any {
			continue // no such chain
		}
		if b.TempBoardC = hottest(miner["temp_pcb"+n]); !b.TempBoardC.OK {
			b.TempBoardC = hottest(miner["temp"+n])
		}
		if b.TempChipC = hottest(miner["temp_chip"+n]); !b.TempChipC.OK {
			b.TempChipC = hottest(miner["temp2_"+n])
		}
		out = append(out, b)
	}
	return out
}

// boardsFromDevs reads hashboards from the devs reply (Braiins OS,
// Whatsminer, LuxOS), one ASC entry per board.
func boardsFromDevs(devs []map[string]any) []ASICBoard {
	var out []ASICBoard
	for i, d := range devs {
		b := ASICBoard{Index: i}
		if v, ok := numKey(d, "ASC", "ID", "Slot"); ok {
			b.Index = int(v)
		}
		if v, ok := anyHashrate(d); ok {
			b.HashrateHS = some(v)
		}
		if v, ok := numKey(d, "Effective Chips", "Chips"); ok {
			b.Chips = some(int64(v))
		}
		if v, ok := numKey(d, "Hardware Errors"); ok {
			b.HWErrors = some(int64(v))
		}
		setPos(&b.TempBoardC)(numKey(d, "Temperature", "Board Temperature"))
		setPos(&b.TempChipC)(numKey(d, "Chip Temp Max", "Chip Temperature"))
		b.Serial = strKey(d, "PCB SN", "SerialNo")
		out = append(out, b)
	}
	return out
}

// hottest is the hottest of a sensor list, which firmware sends as a JSON
// array ([55,56,70,71]), a dash-joined string ("55-56-70-71") or a number.
// 0 means "no sensor" on Antminer.
func hottest(v any) Opt[float64] {
	var vals []float64
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if n, ok := num(e); ok {
				vals = append(vals, n)
			}
		}
	case string:
		for part := range strings.SplitSeq(x, "-") {
			if n, ok := num(part); ok {
				vals = append(vals, n)
			}
		}
	default:
		if n, ok := num(v); ok {
			vals = append(vals, n)
		}
	}
	var best Opt[float64]
	for _, n := range vals {
		if n != 0 && (!best.OK || n > best.V) {
			best = some(n)
		}
	}
	return best
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

// mergeTemps adds Braiins OS `temps` readings (one entry per hashboard, in
// board order) to the boards read from devs.
func mergeTemps(boards []ASICBoard, temps []map[string]any) []ASICBoard {
	for i, tm := range temps {
		idx := i
		if v, ok := numKey(tm, "TEMP"); ok {
			idx = int(v)
		}
		var board, chip Opt[float64]
		setPos(&board)(numKey(tm, "Board"))
		setPos(&chip)(numKey(tm, "Chip"))
		if !board.OK && !chip.OK {
			continue
		}
		j := slicesIndex(boards, idx)
		if j < 0 {
			boards = append(boards, ASICBoard{Index: idx})
			j = len(boards) - 1
		}
		if board.OK {
			boards[j].TempBoardC = board
		}
		if chip.OK {
			boards[j].TempChipC = chip
		}
	}
	return boards
}

func slicesIndex(boards []ASICBoard, idx int) int {
	for i, b := range boards {
		if b.Index == idx {
			return i
		}
	}
	return -1
}
