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

// Source is one place market data comes from.
type Source interface {
	Name() string
	Fetch(ctx context.Context) (Snapshot, error)
}

// DefaultTimeout bounds one HTTP request when the caller's context has no
// earlier deadline: a dead API must not hold up `perwatt econ`.
const DefaultTimeout = 10 * time.Second

// maxBody caps what is read from an API; every answer used here is small.
const maxBody = 1 << 20

type getter struct {
	source string
	base   string
	client *http.Client
}

func newGetter(source, base string, client *http.Client) getter {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	return getter{source: source, base: strings.TrimRight(base, "/"), client: client}
}

// get fetches base+path and returns the body, or an error naming the source
// and the endpoint.
func (g getter) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", g.source, path, err)
	}
	req.Header.Set("User-Agent", "perwatt")
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
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", g.source, path, resp.StatusCode, snippet(body))
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

// getFloat reads a bare-number answer ("1.2e14", "83500.12").
func (g getter) getFloat(ctx context.Context, path, field string) (float64, error) {
	body, err := g.get(ctx, path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(body)), 64)
	if err != nil {
		return 0, &FieldError{Source: g.source, Field: field, Value: snippet(body), Reason: "is not a number (from " + path + ")"}
	}
	return v, nil
}

// unreachable reports a transport failure (DNS, refused, timeout): the host
// did not answer at all, as opposed to answering badly.
func unreachable(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return strconv.Quote(s)
}

// satString parses the satoshi amounts mempool.space sends as JSON strings.
func satString(source, field, s string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, &FieldError{Source: source, Field: field, Value: strconv.Quote(s), Reason: "is not a whole number of satoshis"}
	}
	return v, nil
}
