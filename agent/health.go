package agent

import (
	"encoding/json"
	"net/http"
	"time"
)

// HealthHandler serves GET /healthz: 200 with the counters as JSON while
// the sink accepts writes, 503 when nothing has been written for
// staleAfter although points are waiting, while the spool refuses points
// (full disk, reject_new at the cap) or while its commits cannot be saved
// (an operator's alert), so a load balancer or systemd watchdog script can
// act on it.
func (a *Agent) HealthHandler(staleAfter time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		snap := a.stats.Snapshot(time.Now(), a.q)
		ok := snap.Spool.Records == 0 || (snap.LastSuccessAgo >= 0 && snap.LastSuccessAgo < staleAfter.Seconds())
		if snap.LastSuccessAgo < 0 && snap.UptimeS < staleAfter.Seconds() {
			ok = true // just started
		}
		if snap.SpoolRefusing || snap.CommitFailing {
			ok = false // points are being lost or would be re-sent
		}
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(struct {
			OK   bool   `json:"ok"`
			Sink string `json:"sink"`
			Snapshot
		}{ok, a.current().SinkName, snap})
	})
	return mux
}
