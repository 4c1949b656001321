package powerprice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"time"
)

// Fixed is one price for every hour: the configured
// economics.power_price_usd_per_kwh, and the last resort of every chain.
type Fixed struct{ USDPerMWh float64 }

func (Fixed) Name() string { return "fixed" }

func (f Fixed) Price(_ context.Context, now time.Time) (Quote, error) {
	if err := checkPrice(f.USDPerMWh, "fixed price"); err != nil {
		return Quote{}, err
	}
	return Quote{USDPerMWh: f.USDPerMWh, At: now}, nil
}

// Window is one time-of-use period: on Days (none: every day), from
// StartHour to EndHour local time (end exclusive; past midnight when End
// is before Start; equal hours: all day), the price is USDPerMWh.
type Window struct {
	Days               []time.Weekday
	StartHour, EndHour int
	USDPerMWh          float64
}

func (w Window) covers(t time.Time) bool {
	if len(w.Days) > 0 {
		day := t.Weekday()
		if w.StartHour > w.EndHour && t.Hour() < w.EndHour {
			day = (day + 6) % 7 // the early hours belong to the window that began the day before
		}
		found := false
		for _, d := range w.Days {
			found = found || d == day
		}
		if !found {
			return false
		}
	}
	h := t.Hour()
	switch {
	case w.StartHour == w.EndHour:
		return true
	case w.StartHour < w.EndHour:
		return h >= w.StartHour && h < w.EndHour
	}
	return h >= w.StartHour || h < w.EndHour
}

// Schedule is a time-of-use tariff: the first window covering now sets the
// price; hours no window covers cost OtherUSDPerMWh (the fixed price).
type Schedule struct {
	Windows        []Window
	OtherUSDPerMWh float64
	Location       *time.Location // nil: UTC
}

func (Schedule) Name() string { return "schedule" }

func (s Schedule) Price(_ context.Context, now time.Time) (Quote, error) {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	p := s.OtherUSDPerMWh
	for _, w := range s.Windows {
		if w.covers(t) {
			p = w.USDPerMWh
			break
		}
	}
	if err := checkPrice(p, "schedule"); err != nil {
		return Quote{}, err
	}
	// A tariff is never stale: it is as current as the configuration.
	return Quote{USDPerMWh: p, At: now}, nil
}

// maxDocument bounds what a file, URL or command may return: a day of
// 5-minute rows is 10 KiB.
const maxDocument = 1 << 20

// File reads a price document (ParseDocument) from a local file, such as
// one a market-data script rewrites every interval.
type File struct{ Path string }

func (File) Name() string { return "file" }

func (f File) Price(_ context.Context, now time.Time) (Quote, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return Quote{}, fmt.Errorf("power price file: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxDocument+1))
	if err != nil {
		return Quote{}, fmt.Errorf("power price file %s: %w", f.Path, err)
	}
	if len(data) > maxDocument {
		return Quote{}, fmt.Errorf("power price file %s: larger than %d bytes", f.Path, maxDocument)
	}
	return ParseDocument(data, f.Path, now)
}

// URL fetches a price document over HTTP(S). Credentials written into the
// URL never appear in errors.
type URL struct {
	URL     string
	Timeout time.Duration // 0: 10s
	Client  *http.Client  // nil: a client with Timeout
	// Token, when set, is sent as "Authorization: Bearer"; it never
	// appears in errors.
	Token string
}

func (URL) Name() string { return "url" }

func (u URL) Price(ctx context.Context, now time.Time) (Quote, error) {
	name := redact(u.URL)
	to := u.Timeout
	if to <= 0 {
		to = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.URL, nil)
	if err != nil {
		return Quote{}, fmt.Errorf("power price url %s: %w", name, errors.Unwrap(err))
	}
	req.Header.Set("Accept", "application/json, text/csv")
	if u.Token != "" {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	c := u.Client
	if c == nil {
		c = &http.Client{Timeout: to}
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, credentials included
		}
		return Quote{}, fmt.Errorf("power price url %s: %w", name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	switch {
	case resp.StatusCode != http.StatusOK:
		return Quote{}, fmt.Errorf("power price url %s: HTTP %s: %s", name, resp.Status, oneLine(string(data)))
	case err != nil:
		return Quote{}, fmt.Errorf("power price url %s: %w", name, err)
	case len(data) > maxDocument:
		return Quote{}, fmt.Errorf("power price url %s: reply larger than %d bytes", name, maxDocument)
	}
	return ParseDocument(data, name, now)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

// Exec runs a command (no shell) that prints the price with its unit
// (ParseAmount): "42.5 usd/mwh", optionally followed by the RFC 3339 time it
// took effect. Anything a site has (an ISO's API, a broker's feed, a
// SCADA tag) can be wrapped this way.
type Exec struct {
	Command []string
	Timeout time.Duration // 0: 10s
}

func (Exec) Name() string { return "exec" }

func (e Exec) Price(ctx context.Context, now time.Time) (Quote, error) {
	if len(e.Command) == 0 {
		return Quote{}, errors.New("power price command: none configured")
	}
	to := e.Timeout
	if to <= 0 {
		to = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.Command[0], e.Command[1:]...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limited{w: &out, n: maxDocument}, &limited{w: &errOut, n: 4096}
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Quote{}, fmt.Errorf("power price command %s: no answer within %s", e.Command[0], to)
		}
		return Quote{}, fmt.Errorf("power price command %s: %w: %s", e.Command[0], err, oneLine(errOut.String()))
	}
	v, at, err := ParseAmount(out.String())
	if err != nil {
		return Quote{}, fmt.Errorf("power price command %s printed %w", e.Command[0], err)
	}
	if at.IsZero() {
		at = now
	}
	return Quote{USDPerMWh: v, At: at}, nil
}

// limited keeps the first n bytes written and discards the rest, so a
// runaway command cannot fill memory.
type limited struct {
	w *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
