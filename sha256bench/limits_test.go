package sha256bench

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCheckRefusesWhatTheRunnerCannotMeasure(t *testing.T) {
	for _, c := range []Config{
		{Threads: MaxThreads() + 1},
		{Threads: 100000},
		{Threads: -1},
		{Window: time.Nanosecond},
		{Duration: time.Nanosecond},
		{Yardstick: -time.Second},
	} {
		if err := c.Check(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: Check() = %v, want ErrBadConfig", c, err)
		}
		if _, err := Run(context.Background(), c); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: Run() = %v, want ErrBadConfig before any work", c, err)
		}
	}
	if err := (Config{Threads: MaxThreads(), Window: MinWindow, Duration: MinDuration}).Check(); err != nil {
		t.Errorf("the limits themselves are refused: %v", err)
	}
}

// A kernel slower than the whole run still has its hashes counted: the
// workers publish the chunk they were in before the last count is taken.
// (With counts published only between chunks the run found no hash at all.)
func TestShortRunCountsEveryHash(t *testing.T) {
	slow := Kernel{Name: "slow", Lanes: 1, support: func() string { return "" },
		scan: func(wk *work, start, count uint32, cands []uint32) []uint32 {
			if count >= 1<<12 { // the runner's chunks, not the self-check's
				time.Sleep(300 * time.Millisecond)
			}
			return scanGeneric(wk, start, count, cands)
		}}
	cfg := Config{Threads: 1, Duration: MinDuration, Warmup: -1}.withDefaults()
	res, err := run(context.Background(), cfg, slow)
	if err != nil {
		t.Fatal(err)
	}
	if res.Hashes == 0 || res.HashrateHS <= 0 {
		t.Fatalf("hashes %d, rate %v", res.Hashes, res.HashrateHS)
	}
}

// Interrupted during warm-up no window was measured: window_hs is null,
// never a row of zeros that reads as a measured rate.
func TestInterruptedInWarmupHasNoWindows(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(150*time.Millisecond, cancel)
	res, err := Run(ctx, Config{Threads: 1, Kernel: "generic", Warmup: time.Minute, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !res.WarmupIncluded || res.WindowHS != nil {
		t.Fatalf("warm-up included %v, windows %+v", res.WarmupIncluded, res.WindowHS)
	}
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"window_hs":null`) {
		t.Errorf("JSON: %s", b)
	}
	for _, p := range res.Points() {
		if _, ok := p.Fields["window_median_hs"]; ok {
			t.Errorf("point %s carries window fields without windows", p.Measurement)
		}
	}
}

// A run leaves no OS thread bound to one CPU behind: the process keeps
// every CPU it had (the runtime would hand a pinned, unlocked thread to
// other goroutines).
func TestRunLeavesNoPinnedThreads(t *testing.T) {
	before := MaxThreads()
	for range 3 {
		if _, err := Run(context.Background(), Config{Threads: before, Kernel: "generic", Duration: MinDuration, Warmup: -1, Window: MinWindow}); err != nil {
			t.Fatal(err)
		}
		// Look from many OS threads at once: each goroutine holds its own.
		var wg sync.WaitGroup
		seen := make([]int, 32)
		for i := range seen {
			wg.Go(func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				seen[i] = MaxThreads()
				time.Sleep(10 * time.Millisecond)
			})
		}
		wg.Wait()
		for _, got := range seen {
			if got != before {
				t.Fatalf("after a run a thread sees %d CPUs, the process had %d", got, before)
			}
		}
	}
}
