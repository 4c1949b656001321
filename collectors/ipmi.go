package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	ipmi "github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/command/dcmi"
	ipmitypes "github.com/bougou/go-ipmi/pkg/types"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

// DefaultIPMIDevice is the Linux IPMI driver's device (ipmi_si + ipmi_devintf).
const DefaultIPMIDevice = "/dev/ipmi0"

// IPMIOptions says which BMC to read. An empty Address reads this host's
// BMC in-band through Device; otherwise Address (host:port, port 623) is
// read over the network with Username and Password.
type IPMIOptions struct {
	Address   string
	Device    string // default DefaultIPMIDevice
	Interface string // "lanplus" (IPMI 2.0 RMCP+, default) or "lan" (IPMI 1.5)
	Username  string
	Password  string // from the environment or a file; never logged
	// CipherSuite fixes the RMCP+ cipher suite (ipmitool -C); 0 asks the
	// BMC for its list first, which some BMCs do not answer.
	CipherSuite int
	Timeout     time.Duration
}

// IPMI reads the server's power at the wall with the DCMI Get Power
// Reading command, the one BMCs from every vendor answer (ipmitool dcmi
// power reading). A host without a BMC device, or a BMC without a power
// meter, is absent hardware; a BMC that stops answering is a failure, and
// the session is opened again on the next round.
type IPMI struct {
	opts IPMIOptions
	log  *slog.Logger
	now  func() time.Time
	dial func(ctx context.Context) (ipmiConn, error)

	mu     sync.Mutex
	conn   ipmiConn
	model  string
	named  bool // the product name was asked for (once per session)
	last   appraisal.Reading
	haveOK bool
}

// ipmiConn is the part of go-ipmi's client the collector uses.
type ipmiConn interface {
	GetDCMIPowerReading(ctx context.Context) (*dcmi.GetDCMIPowerReadingResponse, error)
	GetFRU(ctx context.Context, deviceID uint8, deviceName string) (*ipmitypes.FRU, error)
	Close(ctx context.Context) error
}

// NewIPMI returns the collector; nothing is opened until the first Collect.
func NewIPMI(opts IPMIOptions, log *slog.Logger) *IPMI {
	if opts.Device == "" {
		opts.Device = DefaultIPMIDevice
	}
	if opts.Interface == "" {
		opts.Interface = "lanplus"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	c := &IPMI{opts: opts, log: log.With("collector", "ipmi"), now: time.Now}
	c.dial = c.dialLibrary
	return c
}

func (c *IPMI) Name() string { return "ipmi" }

// bmcID is the reading's ID: the BMC's address, or "local" in-band.
func (c *IPMI) bmcID() string {
	if c.opts.Address == "" {
		return "local"
	}
	return c.opts.Address
}

// Collect reads the power once: one host_power point, source=ipmi.
func (c *IPMI) Collect(ctx context.Context) ([]metric.Point, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.haveOK = false
	if c.conn == nil {
		conn, err := c.dial(ctx)
		if err != nil {
			return nil, err
		}
		c.conn, c.named = conn, false
	}
	if !c.named {
		c.named = true
		c.model = c.productName(ctx)
	}
	r, err := c.conn.GetDCMIPowerReading(ctx)
	if err != nil {
		return nil, c.readFailed(ctx, err)
	}
	if !r.PowerMeasurementActive {
		return nil, fmt.Errorf("ipmi: %w: the BMC at %s reports power measurement inactive; enable it (ipmitool dcmi power activate) or set [collectors.ipmi] enabled = false",
			ErrUnavailable, c.bmcID())
	}
	t := c.now()
	c.last = appraisal.Reading{
		Kind: appraisal.KindHost, ID: c.bmcID(), Model: c.model, At: t,
		PowerW: float64(r.CurrentPower), PowerSource: appraisal.PowerWall,
	}
	c.haveOK = true
	f := map[string]any{
		"power_w":     float64(r.CurrentPower),
		"power_min_w": float64(r.MinimumPower),
		"power_max_w": float64(r.MaximumPower),
		"power_avg_w": float64(r.AveragePower),
	}
	if r.ReportingPeriod > 0 {
		f["sample_period_s"] = float64(r.ReportingPeriod) / 1000
	}
	tags := map[string]string{"source": "ipmi", "bmc": c.bmcID()}
	if c.model != "" {
		tags["model"] = c.model
	}
	return []metric.Point{metric.New("host_power", tags, f, t)}, nil
}

// Readings returns the latest wall-power reading of this server (none when
// the last read failed).
func (c *IPMI) Readings() []appraisal.Reading {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haveOK {
		return nil
	}
	return []appraisal.Reading{c.last}
}

// Close ends the session or closes the device.
func (c *IPMI) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	err := c.conn.Close(ctx)
	c.conn = nil
	return err
}

// readFailed classifies a failed power read. A BMC that does not
// implement DCMI power (invalid command, not supported) has no meter to
// read: absent. Anything else drops the session so the next round starts
// a fresh one.
func (c *IPMI) readFailed(ctx context.Context, err error) error {
	var re *ipmitypes.ResponseError
	if errors.As(err, &re) {
		switch re.CompletionCode() {
		case ipmitypes.CodeInvalidCommand, ipmitypes.CodeNotSupported:
			return fmt.Errorf("ipmi: %w: the BMC at %s has no DCMI power reading (completion code %#02x); use [collectors.redfish] if it speaks Redfish, or set [collectors.ipmi] enabled = false",
				ErrUnavailable, c.bmcID(), uint8(re.CompletionCode()))
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = c.conn.Close(cctx)
	c.conn = nil
	return fmt.Errorf("ipmi: reading DCMI power from the BMC at %s: %w", c.bmcID(), err)
}

// productName asks the BMC's FRU for the product (or board) name; many
// BMCs have none, and then the reading just has no model.
func (c *IPMI) productName(ctx context.Context) string {
	fru, err := c.conn.GetFRU(ctx, 0, "builtin")
	if err != nil || fru == nil {
		c.log.Debug("no FRU product name from the BMC", "err", err)
		return ""
	}
	if fru.ProductInfoArea != nil {
		if s := strings.TrimSpace(string(fru.ProductInfoArea.Name)); s != "" {
			return s
		}
	}
	if fru.BoardInfoArea != nil {
		return strings.TrimSpace(string(fru.BoardInfoArea.ProductName))
	}
	return ""
}

// dialLibrary opens go-ipmi's client: the device in-band, a session over
// the network otherwise.
func (c *IPMI) dialLibrary(ctx context.Context) (ipmiConn, error) {
	if c.opts.Address == "" {
		devnum, err := c.inBandDevice()
		if err != nil {
			return nil, err
		}
		cl, err := ipmi.NewOpenClient()
		if err != nil {
			return nil, fmt.Errorf("ipmi: %w", err)
		}
		cl.WithTimeout(c.opts.Timeout)
		if err := cl.ConnectOpen(ctx, devnum); err != nil {
			return nil, fmt.Errorf("ipmi: opening %s: %w (perwatt needs read-write access to it: run as root or add the service user to its group)", c.opts.Device, err)
		}
		return cl, nil
	}
	host, portStr, err := net.SplitHostPort(c.opts.Address)
	if err != nil {
		return nil, fmt.Errorf("ipmi: address %q: %w", c.opts.Address, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("ipmi: address %q: bad port", c.opts.Address)
	}
	cl, err := ipmi.NewClient(host, port, c.opts.Username, c.opts.Password)
	if err != nil {
		return nil, fmt.Errorf("ipmi: %w", err)
	}
	cl.WithTimeout(c.opts.Timeout).WithInterface(ipmi.Interface(c.opts.Interface)).WithRetry(1)
	if c.opts.CipherSuite > 0 {
		cl.WithCipherSuiteID(ipmitypes.CipherSuiteID(c.opts.CipherSuite))
	}
	if err := cl.Connect(ctx); err != nil {
		// The library's message never carries the password.
		return nil, fmt.Errorf("ipmi: opening a %s session with %s as %q: %w", c.opts.Interface, c.opts.Address, c.opts.Username, err)
	}
	return cl, nil
}

// inBandDevice checks that this host has a BMC device: its absence is the
// common case on VMs and desktops, and says so with the fix.
func (c *IPMI) inBandDevice() (int32, error) {
	if _, err := os.Stat(c.opts.Device); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("ipmi: %w: no BMC device %s (no BMC, or the ipmi_si and ipmi_devintf drivers are not loaded: modprobe ipmi_si ipmi_devintf); set [collectors.ipmi] address to read a BMC over the network, or enabled = false",
				ErrUnavailable, c.opts.Device)
		}
		return 0, fmt.Errorf("ipmi: %w", err)
	}
	i := len(c.opts.Device)
	for i > 0 && c.opts.Device[i-1] >= '0' && c.opts.Device[i-1] <= '9' {
		i--
	}
	n, err := strconv.Atoi(c.opts.Device[i:])
	if err != nil {
		return 0, fmt.Errorf("ipmi: device %q does not end in its number (/dev/ipmi0)", c.opts.Device)
	}
	return int32(n), nil
}
