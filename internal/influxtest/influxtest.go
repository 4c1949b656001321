// Package influxtest connects tests to the real InfluxDB that `make test`
// starts. Under CI a missing or unreachable server fails the test; a developer
// running `go test` by hand without the harness gets a skip that says how to
// run it.
package influxtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// EnvURL names the variable the test harness exports.
const EnvURL = "PERWATT_TEST_INFLUX_URL"

// URL returns the base URL of the test server, or stops the test.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	inCI := os.Getenv("CI") != ""
	if u == "" {
		if inCI {
			t.Fatalf("%s is not set; CI must run this test against a real InfluxDB (use `make test`)", EnvURL)
		}
		t.Skipf("%s not set: run `make test` to start a real InfluxDB for this test", EnvURL)
	}
	if err := ping(u); err != nil {
		if inCI {
			t.Fatalf("test InfluxDB at %s is unreachable: %v", u, err)
		}
		t.Skipf("test InfluxDB at %s is unreachable (%v): run `make test`", u, err)
	}
	return u
}

func ping(u string) error {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(strings.TrimRight(u, "/") + "/ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ping answered %s", resp.Status)
	}
	return nil
}

// NewBucket creates a fresh database on the InfluxDB 1.8 test server and
// returns the v2-API bucket name for it ("db/autogen"). It is dropped when the
// test ends so runs do not see each other's points.
func NewBucket(t testing.TB, baseURL string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	db := "t_" + hex.EncodeToString(b[:])
	if err := V1Query(baseURL, "CREATE DATABASE "+db); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { _ = V1Query(baseURL, "DROP DATABASE "+db) })
	return db + "/autogen"
}

// V1Query runs an InfluxQL statement through the 1.x /query endpoint.
func V1Query(baseURL, q string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		strings.TrimRight(baseURL, "/")+"/query?q="+url.QueryEscape(q), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), `"error"`) {
		return fmt.Errorf("%s: %s: %s", q, resp.Status, body)
	}
	return nil
}
