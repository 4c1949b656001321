package collectors

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ASICRange is a block of addresses the agent scans for rigs: a CIDR
// ("10.1.0.0/22") or an inclusive start-end ("10.1.0.10-10.1.3.250"), on
// each of Ports. Rigs found there take the range's tags and nameplate.
type ASICRange struct {
	Range      string
	Ports      []int // default 4028
	Site, Rack string
	NameplateW float64
	Firmware   string // forces the protocol, as ASICRig.Firmware
}

// maxRangeAddresses bounds one range: a typo such as /8 must not make the
// agent dial sixteen million addresses.
const maxRangeAddresses = 1 << 18

// ParseASICRange expands a range spec into its addresses.
func ParseASICRange(spec string) ([]netip.Addr, error) {
	spec = strings.TrimSpace(spec)
	var first, last netip.Addr
	if strings.Contains(spec, "/") {
		p, err := netip.ParsePrefix(spec)
		if err != nil {
			return nil, fmt.Errorf("range %q: %w", spec, err)
		}
		if !p.Addr().Is4() {
			return nil, fmt.Errorf("range %q: only IPv4 ranges are scanned", spec)
		}
		p = p.Masked()
		first = p.Addr()
		bits := 32 - p.Bits()
		if bits > 18 {
			return nil, fmt.Errorf("range %q holds %d addresses, more than the %d one range may", spec, uint64(1)<<bits, maxRangeAddresses)
		}
		last = addrAdd(first, (1<<bits)-1)
		if bits >= 2 { // network and broadcast addresses are not hosts
			first, last = first.Next(), last.Prev()
		}
	} else {
		a, b, ok := strings.Cut(spec, "-")
		if !ok {
			addr, err := netip.ParseAddr(spec)
			if err != nil {
				return nil, fmt.Errorf("range %q: want a CIDR (10.0.0.0/24), start-end (10.0.0.10-10.0.0.99) or one address", spec)
			}
			a, b = addr.String(), addr.String()
		}
		var err1, err2 error
		first, err1 = netip.ParseAddr(strings.TrimSpace(a))
		last, err2 = netip.ParseAddr(strings.TrimSpace(b))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("range %q: want a CIDR (10.0.0.0/24) or start-end (10.0.0.10-10.0.0.99): %w", spec, err)
		}
		if !first.Is4() || !last.Is4() {
			return nil, fmt.Errorf("range %q: only IPv4 ranges are scanned", spec)
		}
		if last.Less(first) {
			return nil, fmt.Errorf("range %q: the end comes before the start", spec)
		}
		if n := addrDiff(first, last) + 1; n > maxRangeAddresses {
			return nil, fmt.Errorf("range %q holds %d addresses, more than the %d one range may", spec, n, maxRangeAddresses)
		}
	}
	var out []netip.Addr
	for a := first; ; a = a.Next() {
		out = append(out, a)
		if a == last {
			break
		}
	}
	return out, nil
}

func addrU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addrAdd(a netip.Addr, n uint32) netip.Addr {
	v := addrU32(a) + n
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func addrDiff(a, b netip.Addr) uint64 { return uint64(addrU32(b) - addrU32(a)) }

// scanner remembers the ranges' addresses and when they were last scanned.
type scanner struct {
	rigs []ASICRig
	last time.Time
}

// newScanner expands ranges; they were validated with ParseASICRange by
// the configuration, so a bad one here is skipped.
func newScanner(ranges []ASICRange) *scanner {
	s := &scanner{}
	seen := map[string]bool{}
	for _, r := range ranges {
		addrs, err := ParseASICRange(r.Range)
		if err != nil {
			continue
		}
		ports := r.Ports
		if len(ports) == 0 {
			ports = []int{4028}
		}
		for _, a := range addrs {
			for _, p := range ports {
				addr := a.String() + ":" + strconv.Itoa(p)
				if seen[addr] {
					continue
				}
				seen[addr] = true
				s.rigs = append(s.rigs, ASICRig{Address: addr, Site: r.Site, Rack: r.Rack, NameplateW: r.NameplateW, Firmware: r.Firmware})
			}
		}
	}
	return s
}

func (s *scanner) due(now time.Time, every time.Duration) bool {
	if s.last.IsZero() || now.Sub(s.last) >= every {
		s.last = now
		return true
	}
	return false
}

func (s *scanner) addresses() []ASICRig { return s.rigs }
