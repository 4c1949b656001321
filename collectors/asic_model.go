package collectors

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

// Opt is a value a rig may or may not report. A missing reading stays
// missing: it is never written as zero.
type Opt[T any] struct {
	V  T
	OK bool
}

func some[T any](v T) Opt[T] { return Opt[T]{V: v, OK: true} }

// setPos keeps v only when it is a finite, positive number: firmware sends
// 0 for "no sensor" and "not known" alike.
// It is called as setPos(&field)(numKey(...)).
func setPos(o *Opt[float64]) func(v float64, ok bool) {
	return func(v float64, ok bool) {
		if ok && v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			*o = some(v)
		}
	}
}

// Power sources, as the power_source tag spells them. They match
// appraisal.PowerSource one for one.
const (
	powerMeasured  = "measured"  // the rig's own meter (PSU or power board)
	powerFirmware  = "firmware"  // the firmware's estimate (Braiins tuner)
	powerNameplate = "nameplate" // the operator's configured figure
)

// ASICReading is one poll of one rig in the terms every make shares. Each
// protocol fills what its firmware exposes; the meaning of every field is
// the same for every make (README, "ASIC rig model").
type ASICReading struct {
	Address string // host:port polled
	Name    string // configured name, empty if none
	Site    string
	Rack    string
	At      time.Time

	Up             bool
	Error          string   // why the rig is down
	Partial        bool     // answered, but some readings failed
	FailedCommands []string // the commands/endpoints that failed this poll

	API             string // protocol spoken: cgminer, axeos, vnish, epic, antminer-web
	Firmware        string // family: antminer, braiins, whatsminer, luxos, vnish, epic, axeos, cgminer
	FirmwareVersion string
	Model           string // as the rig names itself ("Antminer S21", "WhatsMiner M50S")
	Serial          string
	MAC             string // aa:bb:cc:dd:ee:ff
	Hostname        string

	Hashrate5sHS       Opt[float64] // the firmware's shortest window (5 s, else 1 min)
	HashrateAvgHS      Opt[float64] // average since start (or the firmware's longest window)
	HashrateExpectedHS Opt[float64] // nominal/factory rate at the current settings

	PowerW      Opt[float64]
	PowerSource string // measured, firmware, nameplate; empty when no power
	PowerLimitW Opt[float64]

	TempMaxC       Opt[float64] // hottest chip; the hottest board sensor only where no chip sensor is reported
	TempMaxSensor  string       // "chip" or "board": what TempMaxC is
	TempBoardMaxC  Opt[float64] // hottest PCB sensor
	TempInletC     Opt[float64]
	FansRPM        []float64
	FanInRPM       Opt[float64] // Whatsminer intake/exhaust
	FanOutRPM      Opt[float64]
	BoardsExpected Opt[int64]

	Accepted Opt[int64]
	Rejected Opt[int64]
	HWErrors Opt[int64]
	UptimeS  Opt[int64]

	PoolURL  string
	PoolUser string

	ErrorCodes     []string // firmware error/status codes currently raised
	ErrorCodesRead bool     // the firmware exposes its codes and they were read (an empty list is then "none")
	FaultLight     Opt[bool]

	Boards []ASICBoard
}

// ASICBoard is one hash board (chain).
type ASICBoard struct {
	Index         int
	HashrateHS    Opt[float64]
	ExpectedHS    Opt[float64]
	Chips         Opt[int64] // chips found
	ChipsExpected Opt[int64]
	TempBoardC    Opt[float64] // hottest PCB sensor
	TempChipC     Opt[float64] // hottest chip
	HWErrors      Opt[int64]
	Serial        string
}

// EfficiencyJPerTH is power over the average hashrate, when both are known.
func (r *ASICReading) EfficiencyJPerTH() (float64, bool) {
	if !r.PowerW.OK || !r.HashrateAvgHS.OK || r.HashrateAvgHS.V <= 0 {
		return 0, false
	}
	return r.PowerW.V / (r.HashrateAvgHS.V / 1e12), true
}

// ID is how the appraisal and the rig tag name the rig: its configured
// name, else its address.
func (r *ASICReading) ID() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Address
}

// finish derives what follows from the fields the protocol filled: the
// temperature summary, the nameplate fallback for power.
func (r *ASICReading) finish(nameplateW float64) {
	chip, board := Opt[float64]{}, r.TempBoardMaxC
	for _, b := range r.Boards {
		if b.TempChipC.OK && (!chip.OK || b.TempChipC.V > chip.V) {
			chip = b.TempChipC
		}
		if b.TempBoardC.OK && (!board.OK || b.TempBoardC.V > board.V) {
			board = b.TempBoardC
		}
	}
	r.TempBoardMaxC = board
	switch {
	case r.TempMaxC.OK: // the firmware's own hottest-chip figure
	case chip.OK:
		r.TempMaxC, r.TempMaxSensor = chip, "chip"
	case board.OK:
		r.TempMaxC, r.TempMaxSensor = board, "board"
	}
	if !r.PowerW.OK && nameplateW > 0 {
		r.PowerW, r.PowerSource = some(nameplateW), powerNameplate
	}
	if !r.PowerW.OK {
		r.PowerSource = ""
	}
}

// appraisalReading converts a reading for the economics.
func (r *ASICReading) appraisalReading() appraisal.Reading {
	ar := appraisal.Reading{Kind: appraisal.KindASIC, ID: r.ID(), Model: r.Model, At: r.At}
	if r.HashrateAvgHS.OK {
		ar.HashrateHS = r.HashrateAvgHS.V
	}
	if r.PowerW.OK {
		ar.PowerW = r.PowerW.V
		ar.PowerSource = appraisal.PowerSource(r.PowerSource)
	} else {
		ar.PowerNote = "the rig reports no power (" + r.Firmware + " firmware) and no nameplate_w is configured for it"
	}
	return ar
}

// tags are the rig's series tags: identity that does not change between polls.
func (r *ASICReading) tags() map[string]string {
	tags := map[string]string{"site": r.Site, "rack": r.Rack, "mac": r.MAC,
		"firmware": r.Firmware, "model": r.Model, "power_source": r.PowerSource}
	switch {
	case r.Name != "":
		tags["rig"] = r.Name
	case r.MAC != "":
		tags["rig"] = r.MAC
	default:
		tags["rig"] = r.Address
	}
	for k, v := range tags {
		if v == "" {
			delete(tags, k)
		}
	}
	return tags
}

// points renders the reading as one `asic` point and one `asic_board`
// point per board.
func (r *ASICReading) points() []metric.Point {
	tags := r.tags()
	f := map[string]any{"address": r.Address}
	if !r.Up {
		f["up"] = int64(0)
		f["error"] = r.Error
		return []metric.Point{metric.New("asic", tags, f, r.At)}
	}
	f["up"] = int64(1)
	f["partial"] = r.Partial
	if len(r.FailedCommands) > 0 {
		f["failed_commands"] = strings.Join(r.FailedCommands, ",")
	}
	if r.Error != "" {
		f["error"] = r.Error
	}
	str := map[string]string{"api": r.API, "firmware_version": r.FirmwareVersion, "serial": r.Serial,
		"hostname": r.Hostname, "pool_url": r.PoolURL, "pool_user": r.PoolUser,
		"temp_max_sensor": r.TempMaxSensor, "error_codes": strings.Join(r.ErrorCodes, ",")}
	for k, v := range str {
		if v != "" {
			f[k] = v
		}
	}
	flt := map[string]Opt[float64]{"hashrate_5s_hs": r.Hashrate5sHS, "hashrate_avg_hs": r.HashrateAvgHS,
		"hashrate_expected_hs": r.HashrateExpectedHS, "power_w": r.PowerW, "power_limit_w": r.PowerLimitW,
		"temp_max_c": r.TempMaxC, "temp_board_max_c": r.TempBoardMaxC, "temp_inlet_c": r.TempInletC,
		"fan_in_rpm": r.FanInRPM, "fan_out_rpm": r.FanOutRPM}
	for k, v := range flt {
		if v.OK && !math.IsInf(v.V, 0) && !math.IsNaN(v.V) {
			f[k] = v.V
		}
	}
	if e, ok := r.EfficiencyJPerTH(); ok && !math.IsInf(e, 0) {
		f["efficiency_j_per_th"] = e
	}
	ints := map[string]Opt[int64]{"accepted": r.Accepted, "rejected": r.Rejected, "hw_errors": r.HWErrors,
		"uptime_s": r.UptimeS, "boards_expected": r.BoardsExpected}
	for k, v := range ints {
		if v.OK {
			f[k] = v.V
		}
	}
	if len(r.Boards) > 0 {
		f["boards"] = int64(len(r.Boards))
	}
	if r.FaultLight.OK {
		f["fault_light"] = r.FaultLight.V
	}
	if r.ErrorCodesRead {
		f["error_count"] = int64(len(r.ErrorCodes))
	}
	for i, rpm := range r.FansRPM {
		f["fan"+strconv.Itoa(i+1)+"_rpm"] = rpm
	}
	points := []metric.Point{metric.New("asic", tags, f, r.At)}
	for _, b := range r.Boards {
		bt := make(map[string]string, len(tags)+1)
		for k, v := range tags {
			if k != "power_source" {
				bt[k] = v
			}
		}
		bt["board"] = strconv.Itoa(b.Index)
		bf := map[string]any{}
		for k, v := range map[string]Opt[float64]{"hashrate_hs": b.HashrateHS, "hashrate_expected_hs": b.ExpectedHS,
			"temp_board_c": b.TempBoardC, "temp_chip_c": b.TempChipC} {
			if v.OK && !math.IsInf(v.V, 0) && !math.IsNaN(v.V) {
				bf[k] = v.V
			}
		}
		for k, v := range map[string]Opt[int64]{"chips": b.Chips, "chips_expected": b.ChipsExpected, "hw_errors": b.HWErrors} {
			if v.OK {
				bf[k] = v.V
			}
		}
		if b.Serial != "" {
			bf["serial"] = b.Serial
		}
		if len(bf) == 0 {
			continue
		}
		points = append(points, metric.New("asic_board", bt, bf, r.At))
	}
	return points
}
