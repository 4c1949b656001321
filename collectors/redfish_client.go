package collectors

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// Redfish is JSON over HTTPS: the handful of GETs the collector needs are
// a small client over net/http (rfClient), with the session login, the
// re-login when a session expires, and TLS verified unless the operator
// says otherwise.

// maxRedfishBody bounds what one reply may hold; a chassis document is a
// few kilobytes, a BMC streaming more has gone wrong.
const maxRedfishBody = 4 << 20

type rfClient struct {
	base     *url.URL // scheme://host[:port]
	user     string
	password string
	session  bool // session login (X-Auth-Token) rather than basic auth
	http     *http.Client

	token      string // current session token; "" when none
	sessionURI string // to DELETE on Close
}

// errRedfishAuth marks a 401/403 so the caller can log in again once.
var errRedfishAuth = errors.New("authentication refused")

func newRFClient(o RedfishOptions) (*rfClient, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("redfish: url %q: want https://host[:port]", redactedURL(o.URL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("redfish: url %s carries credentials; give the username and password separately", u.Redacted())
	}
	tlsConf := &tls.Config{InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // the operator's explicit choice
	if o.TLSCA != "" {
		pem, err := os.ReadFile(o.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("redfish: tls_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redfish: tls_ca %s holds no PEM certificate", o.TLSCA)
		}
		tlsConf.RootCAs = pool
	}
	tr := &http.Transport{TLSClientConfig: tlsConf, MaxIdleConns: 2, IdleConnTimeout: 2 * o.Timeout, Proxy: http.ProxyFromEnvironment}
	return &rfClient{
		base: &url.URL{Scheme: u.Scheme, Host: u.Host}, user: o.Username, password: o.Password,
		session: o.Auth != "basic", http: &http.Client{Transport: tr, Timeout: o.Timeout},
	}, nil
}

// get fetches one resource into v, logging in first when a session is
// needed and once more when the BMC says the session has ended.
func (c *rfClient) get(ctx context.Context, path string, v any) error {
	if c.session && c.token == "" {
		if err := c.login(ctx); err != nil {
			return err
		}
	}
	err := c.do(ctx, http.MethodGet, path, nil, v, nil)
	if errors.Is(err, errRedfishAuth) && c.session {
		c.token = "" // expired or revoked: one fresh login
		if err := c.login(ctx); err != nil {
			return err
		}
		err = c.do(ctx, http.MethodGet, path, nil, v, nil)
	}
	return err
}

// login opens a session (Redfish SessionService), keeping the token.
func (c *rfClient) login(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{"UserName": c.user, "Password": c.password})
	var hdr http.Header
	err := c.do(ctx, http.MethodPost, "/redfish/v1/SessionService/Sessions", body, nil, &hdr)
	if err != nil {
		return fmt.Errorf("logging in as %q: %w", c.user, err)
	}
	tok := hdr.Get("X-Auth-Token")
	if tok == "" {
		return fmt.Errorf("logging in as %q: the BMC returned no X-Auth-Token; set [collectors.redfish] auth = \"basic\"", c.user)
	}
	c.token, c.sessionURI = tok, hdr.Get("Location")
	return nil
}

// logout deletes the session, so a BMC's small session table is not
// filled by restarts.
func (c *rfClient) logout(ctx context.Context) {
	if c.token == "" || c.sessionURI == "" {
		return
	}
	_ = c.do(ctx, http.MethodDelete, c.sessionURI, nil, nil, nil)
	c.token, c.sessionURI = "", ""
}

func (c *rfClient) do(ctx context.Context, method, path string, body []byte, v any, hdr *http.Header) error {
	ref, err := url.Parse(path)
	if err != nil {
		return fmt.Errorf("%s: bad link: %w", path, err)
	}
	u := c.base.ResolveReference(ref)
	if u.Host != c.base.Host {
		return fmt.Errorf("%s: link leaves the BMC (%s); not followed", path, c.base.Host)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-Version", "4.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.token != "":
		req.Header.Set("X-Auth-Token", c.token)
	case !c.session:
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRedfishBody+1))
	if err != nil {
		return fmt.Errorf("%s %s: reading the reply: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s %s: %s: %w", method, path, resp.Status, errRedfishAuth)
	case resp.StatusCode >= 300:
		return fmt.Errorf("%s %s: %s%s", method, path, resp.Status, redfishMessage(b))
	case len(b) > maxRedfishBody:
		return fmt.Errorf("%s %s: reply larger than %d bytes", method, path, maxRedfishBody)
	}
	if hdr != nil {
		*hdr = resp.Header
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s %s: not a Redfish JSON reply: %w", method, path, err)
	}
	return nil
}

// redfishMessage pulls the BMC's own explanation out of an error reply.
func redfishMessage(b []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Ext     []struct {
				Message string `json:"Message"`
			} `json:"@Message.ExtendedInfo"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	msg := e.Error.Message
	if len(e.Error.Ext) > 0 && e.Error.Ext[0].Message != "" {
		msg = e.Error.Ext[0].Message
	}
	if msg = strings.TrimSpace(msg); msg == "" {
		return ""
	}
	return " (" + msg + ")"
}

func redactedURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndexByte(raw, '@'); i >= 0 {
		return "…@" + raw[i+1:]
	}
	return raw
}
