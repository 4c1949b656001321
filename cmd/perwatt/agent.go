package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/agent"
	"github.com/perwatt/perwatt/internal/config"
	"github.com/perwatt/perwatt/internal/influx"
	"github.com/perwatt/perwatt/internal/metric"
	"github.com/perwatt/perwatt/internal/spool"
)

// Test aids, documented in README.md (The agent); never needed in production.
const (
	envSynthetic = "PERWATT_TEST_SYNTHETIC" // "POINTS@INTERVAL": add the synthetic collector
	envAckFile   = "PERWATT_TEST_ACK_FILE"  // append "series timestamp" per acknowledged synthetic point
)

func newAgentCmd(a *app) *cobra.Command {
	var once bool
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the collection daemon: spool every point to disk, ship it to InfluxDB",
		Long: `agent runs the configured collectors and benchmarks on their schedules, adds the
global tags, appends every point to the on-disk spool before acknowledging it,
and ships the spool to InfluxDB (or, with no [influx] url, to agent.output as
line protocol). SIGTERM/SIGINT flush within agent.shutdown_timeout and exit;
SIGHUP reloads the config file (a bad file is rejected, the old one kept).

--once sends one full round to stdout instead, without touching the spool or
the network: every collector once, and those that report rates (host CPU
utilisation, RAPL power) sampled twice, one second apart, so the round has
what the daemon's steady rounds have. --output json prints the same round
as JSON, per collector with its status.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if once {
				return a.agentOnce(cmd.Context())
			}
			return a.runAgent(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "print one full round as line protocol (or --output json) instead of running, then exit")
	return cmd
}

// agentCollectors is buildCollectors plus the test-only synthetic source.
func (a *app) agentCollectors(cfg *config.Config) ([]wiredCollector, func()) {
	cs, closeAll := buildCollectors(cfg, a.logger)
	if spec := a.getenv(envSynthetic); spec != "" {
		syn, err := agent.ParseSynthetic(spec)
		if err != nil {
			a.logger.Error("synthetic collector not started", "err", err)
		} else {
			a.logger.Warn("test aid: synthetic collector enabled", "env", envSynthetic, "spec", spec)
			cs = append(cs, wiredCollector{syn, syn.Interval})
		}
	}
	return cs, closeAll
}

func (a *app) runAgent(ctx context.Context) error {
	cfg := a.cfg
	log := a.logger
	if lim := int64(cfg.Agent.MemoryLimit); lim > 0 && a.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(lim)
	}
	if a.getenv("GOMAXPROCS") == "" {
		// Setting it explicitly (to the value the runtime chose at start,
		// which honours a cgroup CPU limit) stops the runtime from
		// re-reading the cgroup limit every second: one wake-up a second
		// fewer for a daemon that should be idle between rounds.
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	}
	if a.getenv("GOGC") == "" {
		// The agent's live heap is a few MB; the default GOGC=100 lets it
		// double before collecting, which is most of the RSS. The CPU cost
		// of collecting a small heap more often is negligible.
		debug.SetGCPercent(50)
	}

	sp, err := openSpool(cfg, log)
	if err != nil {
		return err
	}
	defer sp.Close()
	dlPath := cfg.Agent.DeadLetter
	if dlPath == "" {
		dlPath = filepath.Join(cfg.Spool.Dir, "dead-letter.lp")
	}
	dl, err := agent.OpenDeadLetter(dlPath)
	if err != nil {
		return err
	}

	settings, release, err := a.agentSettings(cfg)
	if err != nil {
		return err
	}
	defer func() { release() }()

	var onAck func([]metric.Point)
	if path := a.getenv(envAckFile); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("%s: %w", envAckFile, err)
		}
		defer f.Close()
		onAck = ackWriter(f)
	}
	ag, err := agent.New(agent.Options{Queue: spoolQueue{sp}, DeadLetter: dl, Logger: log, OnAck: onAck}, settings)
	if err != nil {
		return err
	}

	stopProm, err := servePrometheus(cfg, ag, log)
	if err != nil {
		return err
	}
	defer stopProm()

	if cfg.Agent.HealthListen != "" {
		ln, err := net.Listen("tcp", cfg.Agent.HealthListen)
		if err != nil {
			return fmt.Errorf("agent.health_listen: %w", err)
		}
		if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil && !ap.Addr().IsLoopback() {
			log.Warn("health endpoint is reachable from other hosts; it shows counters and the last error", "addr", ln.Addr().String())
		}
		srv := &http.Server{Handler: ag.HealthHandler(max(3*cfg.Agent.FlushInterval.D(), time.Minute)), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		log.Info("health endpoint listening", "addr", ln.Addr().String())
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				newRelease, ok := a.reloadAgent(ctx, ag, cfg)
				if ok {
					old := release
					release = newRelease
					old()
				}
			}
		}
	}()

	log.Info("agent started", "collectors", len(settings.Collectors), "sink", settings.SinkName,
		"spool", cfg.Spool.Dir, "spooled_records", sp.Stats().PendingRecords, "spool_max_bytes", sp.Stats().MaxBytes)
	err = ag.Run(ctx)
	wg.Wait()
	return err
}

// reloadAgent applies a changed config file. Anything invalid keeps the
// running configuration; spool settings need a restart.
func (a *app) reloadAgent(ctx context.Context, ag *agent.Agent, running *config.Config) (func(), bool) {
	path := a.configPath
	if path == "" {
		path = a.getenv("PERWATT_CONFIG")
	}
	a.logger.Info("SIGHUP: reloading configuration", "file", path)
	next, err := a.loadConfig(path)
	if err != nil {
		a.logger.Error("new configuration rejected; keeping the running one", "err", oneLine(err))
		return nil, false
	}
	if next.Spool != running.Spool {
		a.logger.Warn("spool settings changed; they take effect at the next restart")
	}
	s, release, err := a.agentSettings(next)
	if err != nil {
		a.logger.Error("new configuration rejected; keeping the running one", "err", oneLine(err))
		return nil, false
	}
	if err := ag.Reload(ctx, s); err != nil {
		release()
		return nil, false
	}
	return release, true
}

func openSpool(cfg *config.Config, log *slog.Logger) (*spool.Spool, error) {
	// The config package has validated both spellings already.
	policy, err := spool.ParseSyncPolicy(cfg.Spool.Sync)
	if err != nil {
		return nil, fmt.Errorf("spool.sync: %w", err)
	}
	full, err := spool.ParseFullPolicy(cfg.Spool.Full)
	if err != nil {
		return nil, fmt.Errorf("spool.full: %w", err)
	}
	sp, err := spool.Open(cfg.Spool.Dir, spool.Options{
		MaxBytes:     int64(cfg.Spool.MaxBytes),
		SegmentBytes: min(int64(cfg.Spool.SegmentBytes), int64(cfg.Spool.MaxBytes)/2),
		Sync:         policy,
		SyncInterval: cfg.Spool.SyncInterval.D(),
		Full:         full,
		Logger:       log,
	})
	switch {
	case errors.Is(err, spool.ErrLocked):
		// Not a permission problem: another agent holds the lock.
		return nil, fmt.Errorf("spool: %w: another perwatt agent is running on spool.dir %s; stop it, or give this agent its own spool.dir", err, cfg.Spool.Dir)
	case err != nil:
		return nil, fmt.Errorf("spool: %w (spool.dir must be writable by the agent's user)", err)
	}
	return sp, nil
}

// agentSettings builds what a reload may change: collectors, tags, sink.
func (a *app) agentSettings(cfg *config.Config) (agent.Settings, func(), error) {
	sink, sinkName, closeSink, err := buildSink(cfg, a.stdout, a.logger)
	if err != nil {
		return agent.Settings{}, nil, err
	}
	cs, closeCollectors := a.agentCollectors(cfg)
	bs, closeBench := a.agentBenchmarks(a.ctx, cfg)
	s := agent.Settings{
		Benchmarks: bs,
		Tags:       cfg.Tags, Sink: sink, SinkName: sinkName,
		BatchLines:      cfg.Agent.BatchSize,
		FlushInterval:   cfg.Agent.FlushInterval.D(),
		MaxBackoff:      cfg.Agent.RetryMaxBackoff.D(),
		ShutdownTimeout: cfg.Agent.ShutdownTimeout.D(),
	}
	if cfg.Agent.SelfMetrics {
		s.SelfMetricsInterval = cfg.Agent.SelfMetricsPeriod.D()
	}
	for _, w := range cs {
		s.Collectors = append(s.Collectors, agent.ScheduledCollector{
			Collector: w.c, Interval: w.every, Jitter: min(cfg.Agent.Jitter.D(), w.every/2), Timeout: cfg.Agent.CollectTimeout.D(),
		})
	}
	if iv := cfg.Agent.EconomicsInterval.D(); iv > 0 {
		parts := make([]any, 0, len(cs)+len(bs))
		for _, w := range cs {
			parts = append(parts, w.c)
		}
		for _, b := range bs {
			parts = append(parts, b.Benchmark)
		}
		// Market sources have their own timeouts and fall back to the cache
		// and the embedded snapshot; give the whole chain a minute.
		job := a.appraisalJob(cfg, parts...)
		s.Collectors = append(s.Collectors, agent.ScheduledCollector{
			Collector: job, Interval: iv, Jitter: min(cfg.Agent.Jitter.D(), iv/2), Timeout: time.Minute,
			Phase: econPhase(cfg, iv),
		})
		s.Collectors = append(s.Collectors, a.adviceCollector(cfg, job)...)
	}
	return s, func() { closeCollectors(); closeBench(); closeSink() }, nil
}

func buildSink(cfg *config.Config, stdout io.Writer, log *slog.Logger) (agent.Sink, string, func(), error) {
	if cfg.InfluxEnabled() {
		in := cfg.Influx
		s, err := influx.New(influx.Config{
			URL: in.URL, Org: in.Org, Bucket: in.Bucket, Token: in.Token.Reveal(), Gzip: in.Gzip,
			Timeout: in.Timeout.D(), TLSCA: in.TLSCA, InsecureSkipVerify: in.InsecureSkipVerify,
			BatchLines: cfg.Agent.BatchSize,
		}, log)
		if err != nil {
			return nil, "", nil, err
		}
		return s, "influx " + redactURL(in.URL) + " bucket " + in.Bucket, s.Close, nil
	}
	switch out := cfg.Agent.Output; out {
	case "", "stdout", "-":
		return agent.NewWriterSink(stdout), "stdout", func() {}, nil
	default:
		s, c, err := agent.OpenFileSink(out)
		if err != nil {
			return nil, "", nil, err
		}
		return s, "file " + out, func() { _ = c.Close() }, nil
	}
}

// redactURL hides credentials written into a URL (http://user:pass@host).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

// ackWriter records acknowledged synthetic points for the crash tests'
// oracle; it writes only after the spool returned, so every line in the
// file names a point the agent promised to deliver.
func ackWriter(w io.Writer) func([]metric.Point) {
	var buf []byte
	var mu sync.Mutex
	return func(pts []metric.Point) {
		mu.Lock()
		defer mu.Unlock()
		buf = buf[:0]
		for _, p := range pts {
			if p.Measurement != "perwatt_synthetic" {
				continue
			}
			buf = append(buf, p.Tags["series"]...)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, p.Time.UnixNano(), 10)
			buf = append(buf, '\n')
		}
		if len(buf) > 0 {
			_, _ = w.Write(buf)
		}
	}
}
