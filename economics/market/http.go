package market

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one HTTP request when the caller's context has no
// earlier deadline: a dead API must not hold up `perwatt econ`.
const DefaultTimeout = 10 * time.Second

// maxBody caps what is read from an API; every answer used here is small.
const maxBody = 1 << 20

// StatusError is an HTTP answer other than 200. It says whether the host
// asked to be left alone (429, 5xx) and for how long (Retry-After).
type StatusError struct {
	Source string
	Path   string
	Status int
	Body   string // a quoted snippet
	wait   time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d: %s", e.Source, e.Path, e.Status, e.Body)
	if e.wait > 0 {
		msg += fmt.Sprintf(" (asked to wait %s)", e.wait)
	}
	return msg
}

// BackOff reports whether the host should not be asked again for a while:
// it is rate limiting (429) or failing (5xx).
func (e *StatusError) BackOff() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// RetryAfter is the host's Retry-After, or 0 when it sent none.
func (e *StatusError) RetryAfter() time.Duration { return e.wait }

// parseRetryAfter reads Retry-After as seconds or an HTTP date; anything
// else, negative or past, is 0. Capped at a day: a typo must not silence a
// source for good.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, 86400)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

type getter struct {
	source string
	base   string
	client *http.Client
	now    func() time.Time
}

func newGetter(source, base string, client *http.Client) getter {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	return getter{source: source, base: strings.TrimRight(base, "/"), client: client, now: time.Now}
}

// get fetches base+path and returns the body, or an error naming the source
// and the endpoint.
func (g getter) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", g.source, path, err)
	}
	req.Header.Set("User-Agent", "perwatt")
	req.Header.Set("Accept", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", g.source, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading answer: %w", g.source, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Source: g.source, Path: path, Status: resp.StatusCode, Body: snippet(body),
			wait: parseRetryAfter(resp.Header.Get("Retry-After"), g.now())}
	}
	return body, nil
}

func (g getter) getJSON(ctx context.Context, path string, v any) error {
	body, err := g.get(ctx, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s %s: answer is not the expected JSON (%v): %s", g.source, path, err, snippet(body))
	}
	return nil
}

// stop says a fetch should not go on asking the same host: it did not answer
// at all (DNS, refused, timeout), or it asked to be left alone.
func stop(err error) bool {
	var ue *url.Error
	var se *StatusError
	return errors.As(err, &ue) || (errors.As(err, &se) && se.BackOff())
}

// snippet quotes the start of an answer for an error message; of an HTML
// page (a proxy's or rate limiter's error page) only its title.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "<") {
		lower := strings.ToLower(s)
		if i := strings.Index(lower, "<title>"); i >= 0 {
			if j := strings.Index(lower[i:], "</title>"); j >= 0 {
				s = "HTML page: " + strings.TrimSpace(s[i+len("<title>"):i+j])
			}
		}
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return strconv.Quote(s)
}
