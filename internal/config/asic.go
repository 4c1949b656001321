package config

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// ASICRange is a block of addresses the agent scans for rigs.
type ASICRange struct {
	Range      string  `toml:"range" json:"range"` // CIDR or start-end
	Ports      []int   `toml:"ports" json:"ports"` // default [4028]
	Site       string  `toml:"site" json:"site"`
	Rack       string  `toml:"rack" json:"rack"`
	NameplateW float64 `toml:"nameplate_w" json:"nameplate_w"`
	Firmware   string  `toml:"firmware" json:"firmware"`
}

// asicFirmwares are the values a rig's or range's firmware key accepts;
// empty means detect.
var asicFirmwares = []string{"", "antminer", "braiins", "whatsminer", "luxos", "cgminer",
	"axeos", "vnish", "epic", "antminer-web", "whatsminer-v3"}

// maxASICRangeAddresses matches what the collector will expand.
const maxASICRangeAddresses = 1 << 18

// applyASICSecrets reads the web-API password (Antminer stock web, VNish)
// from PERWATT_ASIC_PASSWORD or collectors.asic.password_file.
func (a *ASICCollector) applySecrets(getenv func(string) string) error {
	if pw := getenv("PERWATT_ASIC_PASSWORD"); pw != "" {
		a.Password = Secret(pw)
		return nil
	}
	if a.PasswordFile != "" {
		b, err := os.ReadFile(a.PasswordFile)
		if err != nil {
			return fmt.Errorf("config: collectors.asic.password_file: %w", err)
		}
		a.Password = Secret(strings.TrimSpace(string(b)))
	}
	return nil
}

// validateASIC checks [collectors.asic], reporting through bad.
func validateASIC(co ASICCollector, bad func(key, format string, args ...any)) {
	if co.Concurrency < 1 {
		bad("collectors.asic.concurrency", "must be at least 1, got %d", co.Concurrency)
	}
	if co.RigTimeout < 0 {
		bad("collectors.asic.rig_timeout", "must not be negative, got %s", co.RigTimeout.D())
	} else if co.RigTimeout > 0 && co.RigTimeout < co.Timeout {
		bad("collectors.asic.rig_timeout", "%s is shorter than one command's timeout (%s)", co.RigTimeout.D(), co.Timeout.D())
	}
	if co.Rescan < 0 {
		bad("collectors.asic.rescan", "must not be negative, got %s", co.Rescan.D())
	}
	if co.DiscoverTimeout < 0 {
		bad("collectors.asic.discover_timeout", "must not be negative, got %s", co.DiscoverTimeout.D())
	}
	seen := map[string]int{}
	for i, r := range co.Rigs {
		key := fmt.Sprintf("collectors.asic.rigs.%d", i)
		if _, _, err := net.SplitHostPort(r.Address); err != nil {
			bad(key+".address", "want host:port such as 10.0.0.21:4028, got %q", r.Address)
		} else if j, dup := seen[r.Address]; dup {
			bad(key+".address", "%s is also rig %d", r.Address, j)
		} else {
			seen[r.Address] = i
		}
		if r.NameplateW < 0 {
			bad(key+".nameplate_w", "must not be negative, got %g", r.NameplateW)
		}
		if !slices.Contains(asicFirmwares, r.Firmware) {
			bad(key+".firmware", "want one of %s (or leave it out to detect), got %q", strings.Join(asicFirmwares[1:], ", "), r.Firmware)
		}
	}
	for i, r := range co.Ranges {
		key := fmt.Sprintf("collectors.asic.ranges.%d", i)
		if n, err := countASICRange(r.Range); err != nil {
			bad(key+".range", "%v", err)
		} else if n > maxASICRangeAddresses {
			bad(key+".range", "%q holds %d addresses, more than the %d one range may; split it", r.Range, n, maxASICRangeAddresses)
		}
		for _, p := range r.Ports {
			if p < 1 || p > 65535 {
				bad(key+".ports", "port %d is not between 1 and 65535", p)
			}
		}
		if r.NameplateW < 0 {
			bad(key+".nameplate_w", "must not be negative, got %g", r.NameplateW)
		}
		if !slices.Contains(asicFirmwares, r.Firmware) {
			bad(key+".firmware", "want one of %s (or leave it out to detect), got %q", strings.Join(asicFirmwares[1:], ", "), r.Firmware)
		}
	}
}

// countASICRange checks a range's syntax and counts its addresses; the
// collector expands it.
func countASICRange(spec string) (uint64, error) {
	spec = strings.TrimSpace(spec)
	if p, err := netip.ParsePrefix(spec); err == nil {
		if !p.Addr().Is4() {
			return 0, fmt.Errorf("%q: only IPv4 ranges are scanned", spec)
		}
		return 1 << (32 - p.Bits()), nil
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		a, b = spec, spec
	}
	first, err1 := netip.ParseAddr(strings.TrimSpace(a))
	last, err2 := netip.ParseAddr(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("want a CIDR (10.0.0.0/24) or start-end (10.0.0.10-10.0.0.99), got %q", spec)
	}
	if !first.Is4() || !last.Is4() {
		return 0, fmt.Errorf("%q: only IPv4 ranges are scanned", spec)
	}
	f, l := first.As4(), last.As4()
	fu := uint64(f[0])<<24 | uint64(f[1])<<16 | uint64(f[2])<<8 | uint64(f[3])
	lu := uint64(l[0])<<24 | uint64(l[1])<<16 | uint64(l[2])<<8 | uint64(l[3])
	if lu < fu {
		return 0, fmt.Errorf("%q: the end comes before the start", spec)
	}
	return lu - fu + 1, nil
}
