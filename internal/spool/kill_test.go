package spool

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The child half of TestKill9RealProcess runs in a re-executed test binary
// against the real filesystem and reports on stdout, one line per event,
// after the event happened: "T from n" (about to append), "A from n"
// (acknowledged), "D id..." (the sink accepted a read batch), "C" (that
// batch committed). Writes to a pipe are not lost when the writer is killed.
const (
	killChildDir   = "PERWATT_SPOOL_TEST_CHILD_DIR"
	killChildPoint = "PERWATT_SPOOL_TEST_CHILD_POINT" // "point:nth", or "" for a kill from outside
	killChildFrom  = "PERWATT_SPOOL_TEST_CHILD_FROM"
)

func killChild(dir, spec string, from int) {
	opts := Options{Logger: slog.New(slog.DiscardHandler), SegmentBytes: 8192}
	if spec != "" {
		point, nthStr, _ := strings.Cut(spec, ":")
		nth, _ := strconv.Atoi(nthStr)
		hits := 0
		opts.crash = func(p string) {
			if p == point {
				if hits++; hits == nth {
					_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
					select {}
				}
			}
		}
	}
	s, err := Open(dir, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	say := func(format string, a ...any) { fmt.Fprintf(os.Stdout, format+"\n", a...) }
	rng := rand.New(rand.NewPCG(uint64(from), 9))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for next := from; ; {
		n := 1 + rng.IntN(8)
		say("T %d %d", next, n)
		if err := s.Append(recs(next, n)); err != nil {
			fmt.Fprintln(os.Stderr, "child append:", err)
			os.Exit(4)
		}
		say("A %d %d", next, n)
		next += n
		if rng.IntN(3) == 0 {
			b, err := s.Read(ctx, 1+rng.IntN(20), 0)
			if err != nil && !errors.Is(err, context.Canceled) {
				os.Exit(5)
			}
			if len(b.Records) > 0 {
				got, _ := ids(b.Records)
				say("D %s", strings.Trim(fmt.Sprint(got), "[]"))
				if err := s.Commit(b); err != nil {
					os.Exit(6)
				}
				say("C")
			}
		}
	}
}

// parseChild folds a child's event log into the oracle.
func (o *oracle) parseChild(out []byte) error {
	var pending []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		nums := make([]int, 0, len(f)-1)
		for _, s := range f[1:] {
			v, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("child said %q", sc.Text())
			}
			nums = append(nums, v)
		}
		switch f[0] {
		case "T":
			for i := range nums[1] {
				o.attempted[nums[0]+i] = true
			}
		case "A":
			o.acked = append(o.acked, seq(nums[0], nums[1])...)
		case "D":
			pending = nums
			for _, id := range nums {
				o.server[id]++
			}
		case "C":
			for _, id := range pending {
				o.committed[id] = true
			}
		}
	}
	return nil
}

// TestKill9RealProcess kills a real process (SIGKILL) at every named crash
// point and at random moments, restarts it on the same directory several
// times, and checks that every acknowledged record survives, in order.
func TestKill9RealProcess(t *testing.T) {
	if dir := os.Getenv(killChildDir); dir != "" {
		from, _ := strconv.Atoi(os.Getenv(killChildFrom))
		killChild(dir, os.Getenv(killChildPoint), from)
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	specs := append([]string{}, crashPoints...)
	for range 4 {
		specs = append(specs, "") // killed from outside at a random moment
	}
	cycles := 5
	if *long {
		cycles = 50
	}
	for _, point := range specs {
		name := point
		if name == "" {
			name = "random-moment"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			o := newOracle()
			for cycle := range cycles {
				spec := ""
				if point != "" {
					spec = fmt.Sprintf("%s:%d", point, 1+rng.IntN(12))
				}
				cmd := exec.Command(exe, "-test.run=^TestKill9RealProcess$", "-test.count=1")
				cmd.Env = append(os.Environ(), killChildDir+"="+dir, killChildPoint+"="+spec,
					fmt.Sprintf("%s=%d", killChildFrom, cycle*1_000_000))
				var stderr bytes.Buffer
				stdout := &firstAck{}
				cmd.Stdout, cmd.Stderr = stdout, &stderr
				if point == "" {
					// The random moment counts from the first acknowledgement,
					// so a slow start (-race) still kills mid-stream.
					delay := time.Duration(1+rng.IntN(30)) * time.Millisecond
					stdout.onAck = func() { time.AfterFunc(delay, func() { _ = cmd.Process.Kill() }) }
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				err := cmd.Wait()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("cycle %d (%s): child did not die by SIGKILL: %v\n%s", cycle, spec, err, stderr.String())
				}
				if err := o.parseChild(stdout.buf.Bytes()); err != nil {
					t.Fatal(err)
				}
			}
			if len(o.acked) == 0 {
				t.Fatal("children acknowledged nothing")
			}
			if err := o.verifyAfterRestart(dir, Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d records acknowledged across %d kills, %d distinct on the sink at the end", len(o.acked), cycles, len(o.server))
		})
	}
}

// firstAck collects a child's stdout and calls onAck once, at the first
// acknowledgement line.
type firstAck struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	onAck func()
}

func (w *firstAck) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.onAck != nil && bytes.Contains(w.buf.Bytes(), []byte("\nA ")) {
		w.onAck()
		w.onAck = nil
	}
	return len(p), nil
}
