package agent

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// healthCollector exports the agent's counters live at each scrape: the
// same numbers as /healthz and the perwatt_agent points.
type healthCollector struct{ a *Agent }

var (
	hUp          = prometheus.NewDesc("perwatt_agent_up", "1 while the agent runs", nil, nil)
	hSpooled     = prometheus.NewDesc("perwatt_agent_points_spooled_total", "points the spool acknowledged", nil, nil)
	hInvalid     = prometheus.NewDesc("perwatt_agent_points_invalid_total", "points left out as unwritable", nil, nil)
	hSpoolErrs   = prometheus.NewDesc("perwatt_agent_spool_errors_total", "appends the spool refused", nil, nil)
	hWritten     = prometheus.NewDesc("perwatt_agent_points_written_total", "points the sink accepted", nil, nil)
	hRetries     = prometheus.NewDesc("perwatt_agent_write_retries_total", "failed writes that will be retried", nil, nil)
	hDead        = prometheus.NewDesc("perwatt_agent_points_dead_lettered_total", "points moved to the dead-letter file", nil, nil)
	hDropped     = prometheus.NewDesc("perwatt_agent_points_dropped_total", "points the full spool dropped", nil, nil)
	hSpoolBytes  = prometheus.NewDesc("perwatt_agent_spool_bytes", "bytes waiting in the spool", nil, nil)
	hSpoolRecs   = prometheus.NewDesc("perwatt_agent_spool_records", "points waiting in the spool", nil, nil)
	hLastWrite   = prometheus.NewDesc("perwatt_agent_last_write_age_seconds", "seconds since the sink last accepted a write", nil, nil)
	hAuthFailing = prometheus.NewDesc("perwatt_agent_auth_failing", "1 while the sink refuses the credentials", nil, nil)
	cLabels      = []string{"collector"}
	hCPoints     = prometheus.NewDesc("perwatt_collector_points_total", "points a collector produced", cLabels, nil)
	hCErrors     = prometheus.NewDesc("perwatt_collector_errors_total", "failed collections (absent hardware is not one)", cLabels, nil)
	hCTimeouts   = prometheus.NewDesc("perwatt_collector_timeouts_total", "collections abandoned at the timeout", cLabels, nil)
	hCSkipped    = prometheus.NewDesc("perwatt_collector_skipped_total", "rounds skipped while an earlier call was stuck", cLabels, nil)
	hCDuration   = prometheus.NewDesc("perwatt_collector_last_duration_seconds", "how long the last collection took", cLabels, nil)
	hCUp         = prometheus.NewDesc("perwatt_collector_up", "1 when the last collection succeeded", cLabels, nil)
	hCAbsent     = prometheus.NewDesc("perwatt_collector_absent", "1 when the source does not exist on this host", cLabels, nil)
)

func (h *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{hUp, hSpooled, hInvalid, hSpoolErrs, hWritten, hRetries, hDead, hDropped, hSpoolBytes,
		hSpoolRecs, hLastWrite, hAuthFailing, hCPoints, hCErrors, hCTimeouts, hCSkipped, hCDuration, hCUp, hCAbsent} {
		ch <- d
	}
}

func (h *healthCollector) Collect(ch chan<- prometheus.Metric) {
	s := h.a.stats.Snapshot(time.Now(), h.a.q)
	c := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	b := func(x bool) float64 {
		if x {
			return 1
		}
		return 0
	}
	g(hUp, 1)
	c(hSpooled, float64(s.PointsSpooled))
	c(hInvalid, float64(s.PointsInvalid))
	c(hSpoolErrs, float64(s.SpoolErrors))
	c(hWritten, float64(s.PointsWritten))
	c(hRetries, float64(s.WriteRetries))
	c(hDead, float64(s.DeadLettered))
	c(hDropped, float64(s.Spool.DroppedRecords))
	g(hSpoolBytes, float64(s.Spool.Bytes))
	g(hSpoolRecs, float64(s.Spool.Records))
	if s.LastSuccessAgo >= 0 {
		g(hLastWrite, s.LastSuccessAgo)
	}
	g(hAuthFailing, b(s.AuthFailing))
	for name, cs := range s.Collectors {
		c(hCPoints, float64(cs.Points), name)
		c(hCErrors, float64(cs.Errors), name)
		c(hCTimeouts, float64(cs.Timeouts), name)
		c(hCSkipped, float64(cs.Skipped), name)
		g(hCDuration, cs.LastDuration, name)
		g(hCUp, b(cs.LastError == ""), name)
		g(hCAbsent, b(cs.Absent != ""), name)
	}
}
