package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/config"
)

// servePrometheus starts /metrics when [prometheus] listen is set; the
// returned function stops it.
func servePrometheus(cfg *config.Config, ag *agent.Agent, log *slog.Logger) (func(), error) {
	p := cfg.Prometheus
	if p.Listen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", p.Listen)
	if err != nil {
		return nil, fmt.Errorf("prometheus.listen: %w", err)
	}
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil && !ap.Addr().IsLoopback() {
		log.Warn("metrics endpoint is reachable from other hosts", "addr", ln.Addr().String())
	}
	srv := &http.Server{Handler: ag.EnablePrometheus(p.StaleAfter.D()), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("metrics endpoint listening", "addr", ln.Addr().String(), "path", "/metrics")
	return func() { _ = srv.Close() }, nil
}
