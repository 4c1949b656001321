package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/perwatt/perwatt/internal/metric"
)

// ASICRig is one miner speaking the cgminer JSON API (usually TCP 4028).
type ASICRig struct {
	Address    string  // host:port
	Name       string  // optional; the rig tag, else MAC, else address
	Site, Rack string  // optional tags
	NameplateW float64 // used as power_w only when the firmware reports none
}

// ASICOptions bounds the polling. Zero values take the defaults.
type ASICOptions struct {
	Timeout       time.Duration // per rig, all commands together; default 5s
	Concurrency   int           // rigs polled at once; default 32
	MaxReplyBytes int           // per reply; default 1 MiB
}

// isReadOnlyCommand lists every command perwatt will ever send. Rigs accept
// write commands (pool changes, restarts, frequency) on the same port, so
// anything else is refused before it reaches the wire.
func isReadOnlyCommand(cmd string) bool {
	switch cmd {
	case "summary", "stats", "devs", "pools", "version",
		"tunerstatus", "temps", "fans", // Braiins OS: power estimate, board temperatures, fans
		"power": // LuxOS: measured power (the query form, no parameters)
		return true
	}
	return false
}

// ASIC polls a fleet of miners. Rigs are polled concurrently (bounded), each
// under its own deadline, so a dead rig costs one timeout and never delays
// the others.
type ASIC struct {
	rigs []ASICRig
	opts ASICOptions
	log  *slog.Logger
	now  func() time.Time

	mu   sync.Mutex
	macs map[string]string // address -> MAC learned from the rig, keeps the tag stable while it is down
}

// NewASIC returns a collector for rigs.
func NewASIC(rigs []ASICRig, opts ASICOptions, log *slog.Logger) *ASIC {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	if opts.MaxReplyBytes <= 0 {
		opts.MaxReplyBytes = 1 << 20
	}
	return &ASIC{
		rigs: rigs, opts: opts, log: log.With("collector", "asic"),
		now: time.Now, macs: map[string]string{},
	}
}

func (a *ASIC) Name() string { return "asic" }

// Collect polls every rig. A rig that cannot be read yields an `asic` point
// with up=0 and its error, and its error is joined into the returned one;
// the other rigs' points are returned regardless.
func (a *ASIC) Collect(ctx context.Context) ([]metric.Point, error) {
	results := make([][]metric.Point, len(a.rigs))
	errs := make([]error, len(a.rigs))
	sem := make(chan struct{}, a.opts.Concurrency)
	var wg sync.WaitGroup
	for i, rig := range a.rigs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = fmt.Errorf("rig %s: not polled: %w", rigLabel(rig), ctx.Err())
			results[i] = []metric.Point{a.downPoint(rig, errs[i])}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i], errs[i] = a.pollRig(ctx, rig)
		})
	}
	wg.Wait()
	var points []metric.Point
	for _, r := range results {
		points = append(points, r...)
	}
	return points, errors.Join(errs...)
}

// pollRig sends the read-only commands to one rig. summary is required;
// the others add detail and their failure is only logged, because several
// firmwares reject stats or devs outright.
func (a *ASIC) pollRig(ctx context.Context, rig ASICRig) ([]metric.Point, error) {
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	replies := map[string]map[string]any{}
	summary, err := a.command(ctx, rig.Address, "summary")
	if err != nil {
		err = fmt.Errorf("rig %s: %w", rigLabel(rig), err)
		return []metric.Point{a.downPoint(rig, err)}, err
	}
	replies["summary"] = summary
	for _, cmd := range []string{"stats", "devs", "pools"} {
		r, err := a.command(ctx, rig.Address, cmd)
		if err != nil {
			a.log.Debug("rig command failed", "rig", rigLabel(rig), "command", cmd, "err", err)
			continue
		}
		replies[cmd] = r
	}
	// Power, and on Braiins OS temperatures and fans, live behind
	// firmware-specific commands; ask only the firmware that has them, so
	// other rigs see no unknown commands.
	for _, extra := range extraCommands(detectFirmware(replies)) {
		if r, err := a.command(ctx, rig.Address, extra); err == nil {
			replies[extra] = r
		} else {
			a.log.Debug("rig command failed", "rig", rigLabel(rig), "command", extra, "err", err)
		}
	}
	points := normalizeRig(rig, replies, a.now())
	if len(points) > 0 {
		if mac := points[0].Tags["mac"]; mac != "" {
			a.mu.Lock()
			a.macs[rig.Address] = mac
			a.mu.Unlock()
		}
	}
	return points, nil
}

// downPoint records that a rig was polled and did not answer, so dashboards
// show a dead rig instead of a silent gap.
func (a *ASIC) downPoint(rig ASICRig, err error) metric.Point {
	a.mu.Lock()
	mac := a.macs[rig.Address]
	a.mu.Unlock()
	tags := rigTags(rig, mac)
	return metric.New("asic", tags, map[string]any{
		"up": int64(0), "error": err.Error(), "address": rig.Address,
	}, a.now())
}

// command performs one request on its own connection, as the cgminer API
// expects: it answers one JSON request, ends the reply with NUL and closes.
func (a *ASIC) command(ctx context.Context, addr, cmd string) (map[string]any, error) {
	if !isReadOnlyCommand(cmd) {
		return nil, fmt.Errorf("command %q is not a read-only query; refusing to send it", cmd)
	}
	raw, err := a.exchange(ctx, addr, cmd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	obj, err := parseReply(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return obj, nil
}

func (a *ASIC) exchange(ctx context.Context, addr, cmd string) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Cancellation without a deadline must still unblock the read.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := fmt.Fprintf(conn, `{"command":%q}`, cmd); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	limit := a.opts.MaxReplyBytes
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 4096)
	for {
		n, rerr := conn.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i := bytes.IndexByte(buf, 0); i >= 0 {
			return buf[:i], nil
		}
		if len(buf) > limit {
			return nil, fmt.Errorf("reply exceeds %d bytes; not a cgminer API reply or a misbehaving rig", limit)
		}
		if rerr == io.EOF {
			return buf, nil // some firmware closes without the NUL
		}
		if rerr != nil {
			if err := deadlineCause(ctx, rerr); err != nil {
				return nil, fmt.Errorf("no complete reply after %d bytes: %w", len(buf), err)
			}
			return nil, fmt.Errorf("read after %d bytes: %w", len(buf), rerr)
		}
	}
}

// deadlineCause maps a socket timeout to the context error behind it. The
// socket deadline can fire a moment before the context's own timer does, so
// a passed deadline counts even while ctx.Err() is still nil.
func deadlineCause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return context.DeadlineExceeded
		}
	}
	return nil
}

func rigLabel(r ASICRig) string {
	if r.Name != "" {
		return r.Name + " (" + r.Address + ")"
	}
	return r.Address
}

func rigTags(r ASICRig, mac string) map[string]string {
	tags := map[string]string{"site": r.Site, "rack": r.Rack}
	switch {
	case r.Name != "":
		tags["rig"] = r.Name
	case mac != "":
		tags["rig"] = mac
	default:
		tags["rig"] = r.Address
	}
	if mac != "" {
		tags["mac"] = mac
	}
	for k, v := range tags {
		if v == "" {
			delete(tags, k)
		}
	}
	return tags
}

// normalizeMAC turns the many MAC spellings firmware uses into aa:bb:cc:dd:ee:ff.
func normalizeMAC(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("-", ":", ".", "").Replace(s)
	if len(s) == 12 && !strings.Contains(s, ":") {
		var b strings.Builder
		for i := 0; i < 12; i += 2 {
			if i > 0 {
				b.WriteByte(':')
			}
			b.WriteString(s[i : i+2])
		}
		s = b.String()
	}
	if len(s) != 17 || s == "00:00:00:00:00:00" {
		return ""
	}
	return s
}
