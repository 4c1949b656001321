// Package influx writes line protocol to any server that speaks the InfluxDB
// v2 write API: InfluxDB 1.8+ (bucket "db/rp", token "user:password" or
// empty), 2.x and 3.x. It performs single attempts and classifies failures;
// retrying, splitting and dead-lettering belong to the caller, which owns the
// durable copy of the data.
package influx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
)

// Config is what the sink needs to reach a server.
type Config struct {
	URL                string
	Org                string
	Bucket             string
	Token              string // never logged
	Gzip               bool
	Timeout            time.Duration
	TLSCA              string
	InsecureSkipVerify bool
	BatchLines         int // lines per request; 0 = 5000
}

// Sink writes to one InfluxDB endpoint.
type Sink struct {
	client influxdb2.Client
	write  api.WriteAPIBlocking
	cfg    Config
}

// New builds a sink. It does not contact the server; call Ping for that.
func New(cfg Config, logger *slog.Logger) (*Sink, error) {
	if cfg.URL == "" {
		return nil, errors.New("influx: no url configured")
	}
	if cfg.BatchLines <= 0 {
		cfg.BatchLines = 5000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.InsecureSkipVerify && logger != nil {
		logger.Warn("TLS certificate verification is OFF for InfluxDB (influx.insecure_skip_verify = true); anyone on the path can read and alter the data", "url", cfg.URL)
	}
	timeoutS := uint((cfg.Timeout + time.Second - 1) / time.Second)
	opts := influxdb2.DefaultOptions().
		SetUseGZip(cfg.Gzip).
		SetHTTPRequestTimeout(timeoutS).
		SetPrecision(time.Nanosecond).
		SetApplicationName("perwatt").
		SetLogLevel(0). // the library must not print; errors come back to us
		SetMaxRetries(0)
	if tlsCfg != nil {
		opts.SetTLSConfig(tlsCfg)
	}
	hc := opts.HTTPOptions().HTTPClient() // built from the options above
	hc.Transport = reasonTransport{next: hc.Transport}
	client := influxdb2.NewClientWithOptions(strings.TrimRight(cfg.URL, "/"), cfg.Token, opts)
	return &Sink{client: client, write: client.WriteAPIBlocking(cfg.Org, cfg.Bucket), cfg: cfg}, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	if cfg.TLSCA == "" && !cfg.InsecureSkipVerify {
		return nil, nil // system roots, full verification
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.TLSCA != "" {
		pem, err := os.ReadFile(cfg.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("influx: read tls_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("influx: tls_ca %s holds no PEM certificate", cfg.TLSCA)
		}
		t.RootCAs = pool
	}
	return t, nil
}

// Write sends lines (line protocol without trailing newlines) in requests of
// at most BatchLines lines. It stops at the first failed request and returns
// how many lines were accepted before it, so the caller can resume exactly.
func (s *Sink) Write(ctx context.Context, lines []string) (accepted int, err error) {
	for start := 0; start < len(lines); start += s.cfg.BatchLines {
		end := min(start+s.cfg.BatchLines, len(lines))
		if err := s.WriteBody(ctx, strings.Join(lines[start:end], "\n")); err != nil {
			return start, err
		}
	}
	return len(lines), nil
}

// WriteBody sends one request whose body is the given line protocol.
func (s *Sink) WriteBody(ctx context.Context, body string) error {
	if body == "" {
		return nil
	}
	if err := s.write.WriteRecord(ctx, body); err != nil {
		return classify(err)
	}
	return nil
}

// Ping reports whether the server answers.
func (s *Sink) Ping(ctx context.Context) error {
	ok, err := s.client.Ping(ctx)
	if err != nil {
		return fmt.Errorf("influx: ping %s: %w", s.cfg.URL, err)
	}
	if !ok {
		return fmt.Errorf("influx: ping %s: server not ready", s.cfg.URL)
	}
	return nil
}

// Client exposes the underlying client for queries (tests, dashboards).
func (s *Sink) Client() influxdb2.Client { return s.client }

// Close releases idle connections.
func (s *Sink) Close() { s.client.Close() }
