package market

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestUpstreamRequestsPerDay counts what one host sends upstream in a day
// on the fake APIs, on a fake clock, and scales it to a 10,000-host fleet.
// README.md quotes its log (go test ./economics/market -run
// TestUpstreamRequestsPerDay -v).
func TestUpstreamRequestsPerDay(t *testing.T) {
	const fleet = 10000
	day := 24 * time.Hour
	for _, sc := range []struct {
		name       string
		every      time.Duration // the agent's economics_interval
		cliEvery   time.Duration // besides, `perwatt econ` this often (0: never)
		node       bool          // economics.bitcoind_url set
		rateLimit  bool          // mempool.space answers 429, Retry-After 600, all day
		wantMP     int           // mempool.space requests a day
		wantBC     int           // blockchain.info requests a day
		wantNodeRq int           // HTTP requests to the own node a day
	}{
		{name: "defaults, agent hourly", every: time.Hour, wantMP: 96},
		{name: "defaults, agent hourly, mempool.space rate-limiting", every: time.Hour, rateLimit: true, wantMP: 24, wantBC: 24},
		{name: "own node, agent hourly", every: time.Hour, node: true, wantMP: 24, wantNodeRq: 48},
		{name: "defaults, agent hourly + econ every 5 min", every: time.Hour, cliEvery: 5 * time.Minute, wantMP: 384},
	} {
		t.Run(sc.name, func(t *testing.T) {
			routes := mempoolRoutes(t)
			if sc.rateLimit {
				routes["/api/v1/mining/hashrate/3d"] = reply{status: 429, body: fixture(t, "cloudflare_429.html"), header: map[string]string{"Retry-After": "600"}}
			}
			mp, bc := fakeAPI(t, routes), fakeAPI(t, blockchainRoutes(t))
			n := fakeNode(t, "bitcoind_getblockchaininfo_main.json", "")
			opts := Options{MempoolURL: mp.URL, BlockchainURL: bc.URL, CacheFile: filepath.Join(t.TempDir(), "market.json")}
			if sc.node {
				opts.BitcoindURL, opts.BitcoindUser, opts.BitcoindPassword = n.URL, "__cookie__", "s3cret"
			}
			// The fixtures are dated fixtureTime; the clock runs a day from
			// there, and the fixtures' ages are not what is measured here.
			opts.MaxAge = 48 * time.Hour
			start := fixtureTime
			var clk clock
			opts.Now = clk.now
			step := sc.every
			if sc.cliEvery > 0 {
				step = sc.cliEvery // every multiple of the agent's interval is also one of these
			}
			runs := 0
			for at := time.Duration(0); at < day; at += step {
				clk.t = start.Add(at)
				resolve(t, newResolver(t, opts))
				runs++
			}
			gotMP, gotBC, gotNode := mp.total(), bc.total(), int(n.requests.Load())
			t.Logf("%-52s runs %3d | a day: mempool.space %4d, blockchain.info %3d, own node %3d | fleet of %d: %9d to mempool.space, %7d to blockchain.info",
				sc.name, runs, gotMP, gotBC, gotNode, fleet, gotMP*fleet, gotBC*fleet)
			if gotMP != sc.wantMP || gotBC != sc.wantBC || gotNode != sc.wantNodeRq {
				t.Errorf("requests a day: mempool %d, blockchain %d, node %d; want %d, %d, %d", gotMP, gotBC, gotNode, sc.wantMP, sc.wantBC, sc.wantNodeRq)
			}
		})
	}
}

// TestFleetPeak is the busiest second and minute of a 10,000-host fleet on an
// hourly economics job, each host at its Spread slot (the agent's schedule
// adds up to agent.jitter, 1 s by default, on top), against every host
// firing in the same second on the hour.
func TestFleetPeak(t *testing.T) {
	const fleet, perFetch = 10000, 4 // mempool.space requests in one full fetch
	perSecond := map[time.Duration]int{}
	perMinute := map[time.Duration]int{}
	for i := range fleet {
		d := Spread(fmt.Sprintf("gpu-%05d.dc1.example", i), time.Hour)
		perSecond[d.Truncate(time.Second)]++
		perMinute[d.Truncate(time.Minute)]++
	}
	maxS, maxM := 0, 0
	for _, n := range perSecond {
		maxS = max(maxS, n)
	}
	for _, n := range perMinute {
		maxM = max(maxM, n)
	}
	t.Logf("fleet of %d, hourly: busiest second %d hosts (%d requests to mempool.space), busiest minute %d hosts (%d requests); all on the hour: %d requests in one second",
		fleet, maxS, maxS*perFetch, maxM, maxM*perFetch, fleet*perFetch)
	if maxS > 20 || maxM > 233 {
		t.Errorf("slots bunch up: %d hosts in a second, %d in a minute", maxS, maxM)
	}
}
