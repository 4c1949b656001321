package sha256bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config says how to run one measurement. Zero values pick the defaults.
type Config struct {
	Kernel   string        // kernel name; "" or "auto" for the fastest this CPU runs
	Threads  int           // workers; 0 for every logical CPU this process may use
	Duration time.Duration // measured time after warm-up; default 10s
	Warmup   time.Duration // excluded from the figures; default 1s, negative for none
	Window   time.Duration // rate sampling window; default 1s
	// Yardstick is how long to time the plain Go sha256.Sum256(sha256.Sum256())
	// loop after the run, on as many threads as the kernel used, for comparison; 0 skips it.
	Yardstick time.Duration
	// Meter supplies the CPU energy counter; nil when the host has none, in
	// which case NoMeterReason says why.
	Meter         EnergyMeter
	NoMeterReason string
	// PowerW is a wall-meter reading in watts supplied by the operator; it
	// takes precedence over Meter because the operator chose it.
	PowerW float64
	// Progress, if set, is called from the runner's goroutine after every window.
	Progress func(Progress)
	Logger   *slog.Logger
}

// Progress is the live state of a run.
type Progress struct {
	Warmup   bool
	Elapsed  time.Duration // since the phase began
	Total    time.Duration // length of the phase
	WindowHS float64
	Hashes   uint64 // measured so far (0 during warm-up)
}

func (c Config) withDefaults() Config {
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Warmup == 0 {
		c.Warmup = time.Second
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	}
	if c.Window <= 0 {
		c.Window = time.Second
	}
	if c.Window > c.Duration {
		c.Window = c.Duration
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// counter is one worker's hash count, alone on its cache lines so workers
// never write to a line another worker or the sampler is reading.
type counter struct {
	_    [64]byte
	n    atomic.Uint64
	hits atomic.Uint64
	_    [48]byte
}

// Run checks cfg (errors.Is ErrBadConfig), self-checks the kernel, then hashes on every thread for the warm-up
// and the measured duration. If ctx is cancelled it returns what was
// measured so far with Interrupted set (and ctx's error only if nothing was).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	k, err := KernelByName(cfg.Kernel)
	if err != nil {
		return nil, err
	}
	return run(ctx, cfg.withDefaults(), k)
}

func run(ctx context.Context, cfg Config, k Kernel) (*Result, error) {
	log := cfg.Logger
	if err := SelfCheck(k); err != nil {
		return nil, err
	}
	cpus, err := allowedCPUs()
	if err != nil {
		log.Debug("cannot read CPU affinity; threads are not pinned", "err", err)
	}
	threads := cfg.Threads
	if threads <= 0 {
		threads = max(len(cpus), 1)
		if len(cpus) == 0 {
			threads = runtime.NumCPU()
		}
	}

	res := &Result{
		Kernel: k.Name, Threads: threads, CPUModel: CPUModel(), CPUFlags: CPUFlags(),
		Verified: true, Start: time.Now(),
	}
	counters := make([]counter, threads)
	var stop atomic.Bool
	var wg sync.WaitGroup
	pinned := make([]bool, threads)
	for i := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Locked and never unlocked: the goroutine's exit then ends the
			// pinned OS thread instead of handing it, still bound to one CPU,
			// to the rest of the process.
			runtime.LockOSThread()
			if len(cpus) > 0 {
				if err := pinThread(cpus[i%len(cpus)]); err != nil {
					log.Debug("thread not pinned", "worker", i, "err", err)
				} else {
					pinned[i] = true
				}
			}
			mine(k, i, threads, &counters[i], &stop)
		}()
	}
	snapshot := func() []uint64 {
		s := make([]uint64, threads)
		for i := range counters {
			s[i] = counters[i].n.Load()
		}
		return s
	}
	sum := func(s []uint64) (t uint64) {
		for _, v := range s {
			t += v
		}
		return t
	}

	// Warm-up: clocks settle and caches fill; nothing here counts.
	t0 := time.Now()
	meterT0, meterT0Err := readMeter(ctx, cfg)
	interrupted := !sleepCtx(ctx, cfg.Warmup, cfg.Window, func(el time.Duration, hs float64) {
		if cfg.Progress != nil {
			cfg.Progress(Progress{Warmup: true, Elapsed: el, Total: cfg.Warmup, WindowHS: hs})
		}
	}, func() uint64 { return sum(snapshot()) })
	base, tBase := snapshot(), time.Now()
	hitsBase := make([]uint64, threads)
	for i := range counters {
		hitsBase[i] = counters[i].hits.Load()
	}
	meterStart, meterErr := readMeter(ctx, cfg)
	if interrupted {
		// Nothing measured after warm-up: report the warm-up itself, flagged.
		base, tBase, hitsBase = make([]uint64, threads), t0, make([]uint64, threads)
		meterStart, meterErr = meterT0, meterT0Err
		res.WarmupIncluded = true
	}

	var windows []float64
	prev, tPrev := sum(base), tBase
	for !interrupted && time.Since(tBase) < cfg.Duration {
		wait := min(cfg.Window, cfg.Duration-time.Since(tBase))
		select {
		case <-ctx.Done():
			interrupted = true
		case <-time.After(wait):
		}
		now, tNow := sum(snapshot()), time.Now()
		dt := tNow.Sub(tPrev).Seconds()
		if dt >= cfg.Window.Seconds()/2 { // a short last window is mostly noise
			windows = append(windows, float64(now-prev)/dt)
		}
		prev, tPrev = now, tNow
		if cfg.Meter != nil && meterErr == nil {
			_, _ = cfg.Meter.EnergyJ(context.WithoutCancel(ctx)) // keeps a wrapping counter's correction current
		}
		if cfg.Progress != nil && len(windows) > 0 {
			cfg.Progress(Progress{Elapsed: tNow.Sub(tBase), Total: cfg.Duration, WindowHS: windows[len(windows)-1], Hashes: now - sum(base)})
		}
	}
	// Stop and wait before the last count: each worker publishes the chunk it
	// was in, so the count holds every hash done up to tEnd.
	stop.Store(true)
	wg.Wait()
	end, tEnd := snapshot(), time.Now()
	meterEnd, meterEndErr := readMeter(ctx, cfg)

	elapsed := tEnd.Sub(tBase).Seconds()
	res.DurationS = elapsed
	res.Interrupted = interrupted
	res.Pinned = !slices.Contains(pinned, false)
	for i := range threads {
		n := end[i] - base[i]
		res.Hashes += n
		res.PerThreadHS = append(res.PerThreadHS, float64(n)/elapsed)
		res.Hits += counters[i].hits.Load() - hitsBase[i]
	}
	if elapsed <= 0 || res.Hashes == 0 {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("run interrupted before any hash was counted: %w", context.Cause(ctx))
		}
		return nil, fmt.Errorf("no hash counted in %s on %d thread(s): the workers were never scheduled", tEnd.Sub(tBase).Round(time.Millisecond), threads)
	}
	res.HashrateHS = float64(res.Hashes) / elapsed
	res.WindowHS = summarize(windows)
	res.setPower(cfg, elapsed, meterEnd-meterStart, errors.Join(meterErr, meterEndErr))

	if cfg.Yardstick > 0 && !interrupted {
		res.YardstickHS = yardstickThreads(ctx, cfg.Yardstick, threads, cpus)
		if res.YardstickHS > 0 {
			res.VsYardstick = res.HashrateHS / float64(threads) / res.YardstickHS
		}
	}
	return res, nil
}

// mine scans nonces until stop, rolling the header's time field when the
// nonce space runs out, as a miner does, so every hash is of a fresh header.
func mine(k Kernel, worker, workers int, c *counter, stop *atomic.Bool) {
	h := benchHeader()
	target := TargetFromBits(h.Bits())
	// A chunk is small enough that even the generic kernel publishes many
	// times per window, and large enough that the atomic add costs nothing.
	const chunk = 1 << 12
	var hits []Hit
	for roll := uint32(0); ; roll++ {
		binaryPutTime(&h, uint32(worker)+roll*uint32(workers))
		s := NewScanner(k, h, target)
		for start := uint64(0); start < 1<<32; start += chunk {
			hits, _ = s.Scan(uint32(start), chunk, hits[:0])
			c.n.Add(chunk)
			if len(hits) > 0 {
				c.hits.Add(uint64(len(hits)))
			}
			// Checked after the add: a worker always counts the chunk it
			// was in when the run stopped, and at least one.
			if stop.Load() {
				return
			}
		}
	}
}

// binaryPutTime offsets the header's time field by d seconds.
func binaryPutTime(h *Header, d uint32) {
	t := uint32(h[68]) | uint32(h[69])<<8 | uint32(h[70])<<16 | uint32(h[71])<<24
	t += d
	h[68], h[69], h[70], h[71] = byte(t), byte(t>>8), byte(t>>16), byte(t>>24)
}

// sleepCtx waits d, reporting each window's rate; false if ctx ended first.
func sleepCtx(ctx context.Context, d, window time.Duration, report func(time.Duration, float64), count func() uint64) bool {
	start := time.Now()
	prev, tPrev := count(), start
	for time.Since(start) < d {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(min(window, d-time.Since(start))):
		}
		now, tNow := count(), time.Now()
		report(tNow.Sub(start), float64(now-prev)/tNow.Sub(tPrev).Seconds())
		prev, tPrev = now, tNow
	}
	return true
}

func readMeter(ctx context.Context, cfg Config) (float64, error) {
	if cfg.Meter == nil {
		return 0, nil
	}
	// The closing read must happen even after Ctrl-C, or the energy is lost.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	return cfg.Meter.EnergyJ(rctx)
}

// yardstickThreads runs the yardstick on as many pinned threads as the
// kernel ran on and returns the per-thread average, so both figures are
// taken with every core busy (same clocks, same neighbours).
func yardstickThreads(ctx context.Context, d time.Duration, threads int, cpus []int) float64 {
	rates := make([]float64, threads)
	var wg sync.WaitGroup
	for i := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // never unlocked: see run
			if len(cpus) > 0 {
				_ = pinThread(cpus[i%len(cpus)]) // unpinned is still a fair comparison
			}
			rates[i] = Yardstick(ctx, d)
		}()
	}
	wg.Wait()
	var sum float64
	for _, r := range rates {
		sum += r
	}
	return sum / float64(threads)
}
