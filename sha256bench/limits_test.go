package sha256bench

import (
	"context"
	"errors"
	"runtime"
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
