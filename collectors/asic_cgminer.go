package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Protocols a rig is polled with.
const (
	apiCgminer     = "cgminer"      // JSON over TCP, one command per connection (cgminer, bmminer, BOSminer, btminer, LUXminer)
	apiAxeOS       = "axeos"        // Bitaxe / AxeOS HTTP
	apiVNish       = "vnish"        // VNish HTTP /api/v1
	apiEPIC        = "epic"         // ePIC PowerPlay HTTP on 4028
	apiAntminerWeb = "antminer-web" // Antminer stock web, /cgi-bin/*.cgi behind digest auth
)

// apiFor maps a configured firmware to the protocol used to poll it; empty
// means detect.
func apiFor(firmware string) string {
	switch firmware {
	case "":
		return ""
	case fwAxeOS:
		return apiAxeOS
	case fwVNish:
		return apiVNish
	case fwEPIC:
		return apiEPIC
	case apiAntminerWeb:
		return apiAntminerWeb
	case apiWhatsminerV3:
		return apiWhatsminerV3
	}
	return apiCgminer
}

// isReadOnlyCommand lists every command perwatt will ever send. Rigs accept
// write commands (pool changes, restarts, frequency) on the same port, so
// anything else is refused before it reaches the wire.
func isReadOnlyCommand(cmd string) bool {
	switch cmd {
	case "summary", "stats", "devs", "pools", "version", "devdetails",
		"tunerstatus", "temps", "fans", // Braiins OS: power estimate, board temperatures, fans
		"power",                                           // LuxOS: measured power (the query form, no parameters)
		"get_version", "get_miner_info", "get_error_code": // Whatsminer API v2 queries that need no token
		return true
	}
	return false
}

// errUnsupportedCommand is the rig saying it does not know a command: a
// capability it lacks, not a failure.
var errUnsupportedCommand = errors.New("command not supported by this firmware")

// errNotCgminer means the port answered, or stayed silent, in a way no
// cgminer-family API does; the HTTP APIs are tried next.
var errNotCgminer = errors.New("not a cgminer API")

// Commands asked every poll after summary; a failure makes the reading
// partial.
var cgminerDetail = []string{"stats", "devs", "pools"}

// probes are asked once per rig to learn what it can answer (whatever its
// Description says) and then every poll if it could.
var probes = []string{"tunerstatus", "power", "get_version"}

// pollCgminer reads one cgminer-family rig into r.
func (a *ASIC) pollCgminer(ctx context.Context, st *rigState, r *ASICReading, identity bool) error {
	r.API = apiCgminer
	replies := map[string]map[string]any{}
	summary := st.summary
	st.summary = nil
	if summary == nil {
		var err error
		if summary, err = a.commandCtx(ctx, st.rig.Address, "summary"); err != nil {
			return err
		}
	}
	replies["summary"] = summary
	if st.caps == nil {
		st.caps = map[string]bool{}
	}
	ask := func(cmd string) {
		if supported, known := st.caps[cmd]; known && !supported {
			return
		}
		if ctx.Err() != nil {
			r.FailedCommands = append(r.FailedCommands, cmd)
			return
		}
		rep, err := a.commandCtx(ctx, st.rig.Address, cmd)
		switch {
		case errors.Is(err, errUnsupportedCommand):
			st.caps[cmd] = false
		case err != nil:
			r.FailedCommands = append(r.FailedCommands, cmd)
			a.log.Debug("rig command failed", "rig", rigLabel(st.rig), "command", cmd, "err", err)
		default:
			st.caps[cmd] = true
			replies[cmd] = rep
		}
	}
	for _, cmd := range cgminerDetail {
		ask(cmd)
	}
	if identity {
		ask("version")
		ask("devdetails")
	}
	for _, cmd := range probes {
		ask(cmd)
	}
	switch detectFirmware(replies) {
	case fwBraiins:
		ask("temps")
		ask("fans")
	case fwWhatsminer:
		if identity {
			ask("get_miner_info")
		}
		ask("get_error_code")
	}
	normalizeCgminer(r, replies)
	return nil
}

// commandCtx runs one command under the per-command timeout, within the
// rig's deadline.
func (a *ASIC) commandCtx(ctx context.Context, addr, cmd string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	return a.command(ctx, addr, cmd)
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
	defer a.bufs.Put(&raw) // the decoded reply holds copies, not the bytes
	if looksHTTP(raw) {
		return nil, fmt.Errorf("%s: %w: the port answers HTTP", cmd, errNotCgminer)
	}
	obj, err := parseReply(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return obj, nil
}

func looksHTTP(b []byte) bool {
	b = bytes.TrimSpace(b)
	return bytes.HasPrefix(b, []byte("HTTP/")) || bytes.HasPrefix(b, []byte("<")) // status line or an HTML page
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
	// Read straight into a pooled buffer: a fleet poll reads tens of
	// thousands of replies a minute.
	bp, _ := a.bufs.Get().(*[]byte)
	var buf []byte
	if bp != nil {
		buf = (*bp)[:0]
	} else {
		buf = make([]byte, 0, 8192)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		start := len(buf)
		n, rerr := conn.Read(buf[start:cap(buf)])
		buf = buf[:start+n]
		if i := bytes.IndexByte(buf[start:], 0); i >= 0 {
			return buf[:start+i], nil
		}
		if len(buf) > limit {
			return nil, fmt.Errorf("reply exceeds %d bytes; not a cgminer API reply or a misbehaving rig", limit)
		}
		if rerr == io.EOF {
			return buf, nil // some firmware closes without the NUL
		}
		if rerr != nil {
			if err := deadlineCause(ctx, rerr); err != nil {
				if len(buf) == 0 {
					// Connected but silent: an HTTP server waiting for
					// a request line looks like this.
					return nil, fmt.Errorf("no reply: %w (%w)", err, errSilent)
				}
				return nil, fmt.Errorf("no complete reply after %d bytes: %w", len(buf), err)
			}
			return nil, fmt.Errorf("read after %d bytes: %w", len(buf), rerr)
		}
	}
}

var errSilent = errors.New("connection accepted, nothing answered")

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
		return context.DeadlineExceeded // the per-command deadline
	}
	return nil
}

// isUnsupported tells a rig's "invalid command" refusal (cgminer code 14,
// Whatsminer "invalid cmd") from other refusals.
func isUnsupported(code float64, msg string) bool {
	m := strings.ToLower(msg)
	return code == 14 || strings.Contains(m, "invalid command") || strings.Contains(m, "invalid cmd") ||
		strings.Contains(m, "unknown command") || strings.Contains(m, "not supported")
}
