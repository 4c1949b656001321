package agent_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The process tests run the real `perwatt agent` binary, built once per test
// run, as a child they can kill -9: a goroutine cannot be killed that way,
// and the page cache only behaves like a crash when a process dies.

// builds holds one binary per set of build tags ("" and "spoolcrash").
var (
	buildMu  sync.Mutex
	buildDir string
	builds   = map[string]string{}
)

func perwattBinary(t *testing.T) string { return perwattBinaryTags(t, "") }

func perwattBinaryTags(t *testing.T, tags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := builds[tags]; ok {
		return bin
	}
	if buildDir == "" {
		dir, err := os.MkdirTemp("", "perwatt-agent-test")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = dir
	}
	bin := filepath.Join(buildDir, "perwatt"+tags)
	out, err := exec.Command("go", "build", "-tags", tags, "-o", bin, "../cmd/perwatt").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -tags %q ../cmd/perwatt: %v\n%s", tags, err, out)
	}
	builds[tags] = bin
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// agentRun is one agent process.
type agentRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// testEnv is a directory with a config, a spool and an ack file.
type testEnv struct {
	t       *testing.T
	dir     string
	config  string
	ackFile string
	spool   string
	dead    string
	env     []string // added to the next start's environment
	tags    string   // build tags of the binary to run
	logs    []*syncBuffer
}

// newTestEnv writes a config; influxURL "" makes the agent write to output.lp.
func newTestEnv(t *testing.T, influxURL, bucket, extra string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	e := &testEnv{t: t, dir: dir, config: filepath.Join(dir, "perwatt.toml"),
		ackFile: filepath.Join(dir, "acked.txt"), spool: filepath.Join(dir, "spool"), dead: filepath.Join(dir, "dead.lp")}
	e.writeConfig(influxURL, bucket, extra)
	return e
}

func (e *testEnv) writeConfig(influxURL, bucket, extra string) {
	e.t.Helper()
	cfg := fmt.Sprintf(`[agent]
flush_interval = "100ms"
retry_max_backoff = "1s"
shutdown_timeout = "5s"
self_metrics_interval = "1s"
dead_letter = %q
output = %q
%s
[tags]
host = "test"
[influx]
url = %q
bucket = %q
timeout = "2s"
[spool]
dir = %q
max_size = "256MiB"
segment_size = "1MiB"
[collectors.host]
enabled = false
[collectors.nvml]
enabled = false
[collectors.rapl]
enabled = false
[collectors.asic]
enabled = false
`, e.dead, filepath.Join(e.dir, "output.lp"), extra, influxURL, bucket, e.spool)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// start runs `perwatt agent` with the synthetic collector at spec.
func (e *testEnv) start(spec string) *agentRun {
	e.t.Helper()
	bin := perwattBinary(e.t)
	if e.tags != "" {
		bin = perwattBinaryTags(e.t, e.tags)
	}
	cmd := exec.Command(bin, "agent", "--config", e.config, "--log-level", "debug")
	cmd.Env = append(os.Environ(), "PERWATT_TEST_ACK_FILE="+e.ackFile)
	if spec != "" {
		cmd.Env = append(cmd.Env, "PERWATT_TEST_SYNTHETIC="+spec)
	}
	cmd.Env = append(cmd.Env, e.env...)
	r := &agentRun{t: e.t, cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = r.stderr
	cmd.Stdout = r.stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.logs = append(e.logs, r.stderr)
	go func() { r.err = cmd.Wait(); close(r.done) }()
	e.t.Cleanup(func() { r.kill() })
	return r
}

func (r *agentRun) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits.
func (r *agentRun) kill() {
	if r.exited() {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// stop sends SIGTERM and fails the test unless the agent exits cleanly in time.
func (r *agentRun) stop(limit time.Duration) {
	r.t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
		if r.err != nil {
			r.t.Fatalf("agent exited with %v after SIGTERM:\n%s", r.err, r.stderr.String())
		}
	case <-time.After(limit):
		r.kill()
		r.t.Fatalf("agent did not exit within %v of SIGTERM:\n%s", limit, tail(r.stderr.String(), 3000))
	}
}

// rssKiB reads VmRSS of the running agent.
func (r *agentRun) rssKiB() int64 {
	r.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid))
	if err != nil {
		r.t.Fatalf("read agent status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	r.t.Fatal("no VmRSS in /proc status")
	return 0
}

// acked reads the oracle: the keys ("series ts") of every synthetic point
// the agent acknowledged, as the fake server would key them.
func (e *testEnv) acked() map[string]bool {
	e.t.Helper()
	f, err := os.Open(e.ackFile)
	if os.IsNotExist(err) {
		return map[string]bool{}
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		series, ts, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue // a line torn by kill -9 names no complete point
		}
		if _, err := strconv.ParseInt(ts, 10, 64); err != nil || len(ts) < 19 {
			continue
		}
		out["perwatt_synthetic,host=test,series="+series+" "+ts] = true
	}
	return out
}

// healthz fetches the agent's health document.
func healthz(addr string) (map[string]any, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var doc map[string]any
	err = json.NewDecoder(resp.Body).Decode(&doc)
	return doc, err
}

func spoolPending(doc map[string]any) float64 {
	sp, _ := doc["spool"].(map[string]any)
	v, _ := sp["records"].(float64)
	return v
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func dirBytes(t *testing.T, dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func requireLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process tests read /proc and send POSIX signals")
	}
}
