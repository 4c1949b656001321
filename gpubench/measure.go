package gpubench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// timer measures steps with CUDA events on the default stream.
type timer struct {
	d          driver
	start, end cuEvent
}

func newTimer(d driver) (*timer, error) {
	s, err := d.eventCreate()
	if err != nil {
		return nil, err
	}
	e, err := d.eventCreate()
	if err != nil {
		_ = d.eventDestroy(s)
		return nil, err
	}
	return &timer{d: d, start: s, end: e}, nil
}

func (t *timer) close() { _ = t.d.eventDestroy(t.start); _ = t.d.eventDestroy(t.end) }

// elapsed waits for the end event and returns seconds since the start event.
func (t *timer) elapsed() (float64, error) {
	if err := t.d.eventRecord(t.end); err != nil {
		return 0, err
	}
	if err := t.d.eventSynchronize(t.end); err != nil {
		return 0, err
	}
	ms, err := t.d.eventElapsedMs(t.start, t.end)
	return float64(ms) / 1000, err
}

// runKernel measures one kernel on one GPU: the GPU work runs on the CUDA
// thread, power is sampled meanwhile from this goroutine's helpers.
func (b *Bench) runKernel(ctx context.Context, opts Options, sess *session, kernel string) (KernelResult, error) {
	dev := sess.dev
	w := b.newWorkload(kernel, opts)
	kr := KernelResult{Kernel: kernel, Unit: w.unit(), Note: w.note()}
	if m := w.module(); m != nil && dev.cc() < m.minCC {
		kr.Skipped = fmt.Sprintf("needs compute capability %d.%d (PTX .target sm_%d), this GPU is %s",
			m.minCC/10, m.minCC%10, m.minCC, dev.ComputeCap)
		return kr, nil
	}
	var m measurement
	err := b.thread.do(ctx, func() error {
		var err error
		m, err = b.measure(ctx, opts, sess, w)
		return err
	})
	kr.Steps, kr.Scale, kr.GPUSeconds, kr.Work = m.steps, m.scale, m.seconds, m.work
	kr.Grid, kr.Block = m.grid, m.block
	kr.Power = m.power
	if m.powerErr != nil {
		kr.PowerError = m.powerErr.Error()
	}
	if err != nil {
		kr.Error = err.Error()
		return kr, err
	}
	kr.Verified = true
	kr.Rate = m.work / m.seconds
	fillPeaks(&kr, dev)
	return kr, nil
}

type measurement struct {
	steps       int
	scale       uint32
	seconds     float64
	work        float64
	grid, block int
	power       *PowerStats
	powerErr    error
}

func (b *Bench) measure(ctx context.Context, opts Options, sess *session, w workload) (m measurement, err error) {
	d, dev := b.drv, sess.dev
	fns := map[string]cuFunction{}
	if mod := w.module(); mod != nil {
		if fns, err = b.functions(sess, mod); err != nil {
			return m, err
		}
	}
	if err := w.setup(d, dev, fns); err != nil {
		w.teardown(d)
		return m, err
	}
	defer w.teardown(d)
	if g, ok := w.(interface{ shape() (dim3, dim3) }); ok {
		grid, block := g.shape()
		m.grid, m.block = int(grid.x), int(block.x)
	}
	t, err := newTimer(d)
	if err != nil {
		return m, err
	}
	defer t.close()

	progress := func(phase string, since time.Time, work, secs float64) {
		if opts.OnStep == nil {
			return
		}
		p := Progress{GPU: dev.Index, Name: dev.Name, Kernel: w.name(), Phase: phase,
			Elapsed: b.now().Sub(since), Unit: w.unit()}
		if secs > 0 {
			p.Rate = work / secs
		}
		opts.OnStep(p)
	}
	// timedStep runs one step between the timer's events.
	timedStep := func(scale uint32) (float64, float64, error) {
		if err := d.eventRecord(t.start); err != nil {
			return 0, 0, err
		}
		work, err := w.step(d, scale)
		if err != nil {
			return 0, 0, err
		}
		secs, err := t.elapsed()
		return work, secs, err
	}

	// Calibrate the step size to StepTarget. The first step also pays for
	// lazy module loading, so it is never the one kept.
	scale := w.initialScale()
	calStart := b.now()
	target := opts.StepTarget.Seconds()
	for i := 0; i < 8; i++ {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		work, secs, err := timedStep(scale)
		if err != nil {
			return m, err
		}
		progress("calibrate", calStart, work, secs)
		if i > 0 && (secs >= target/2 || scale >= w.maxScale()) {
			break
		}
		f := 16.0
		if secs > 0 {
			f = math.Min(16, target/secs)
		}
		next := uint64(math.Max(1, math.Round(float64(scale)*f)))
		scale = uint32(min(next, uint64(w.maxScale())))
	}
	m.scale = scale

	warmStart := b.now()
	var wWork, wSecs float64
	for b.now().Sub(warmStart) < opts.Warmup {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		work, secs, err := timedStep(scale)
		if err != nil {
			return m, err
		}
		wWork, wSecs = wWork+work, wSecs+secs
		progress("warmup", warmStart, wWork, wSecs)
	}

	if err := w.arm(d); err != nil {
		return m, err
	}
	if err := d.ctxSynchronize(); err != nil {
		return m, err
	}
	pw := startPowerWindow(ctx, opts.Power, dev.PCIBusID, opts.SampleEvery)
	steadyStart := b.now()
	if err := d.eventRecord(t.start); err != nil {
		return m, errors.Join(err, stopPower(ctx, pw, opts, dev, &m))
	}
	for m.steps == 0 || b.now().Sub(steadyStart) < opts.Duration {
		if err := ctx.Err(); err != nil {
			_ = d.ctxSynchronize()
			_ = stopPower(ctx, pw, opts, dev, &m)
			return m, err
		}
		work, err := w.step(d, scale)
		if err != nil {
			_ = stopPower(ctx, pw, opts, dev, &m)
			return m, err
		}
		m.work += work
		m.steps++
		secs, err := t.elapsed()
		if err != nil {
			_ = stopPower(ctx, pw, opts, dev, &m)
			return m, err
		}
		m.seconds = secs
		progress("steady", steadyStart, m.work, secs)
	}
	_ = stopPower(ctx, pw, opts, dev, &m)
	if m.seconds <= 0 {
		return m, fmt.Errorf("%s: the GPU timer measured %g s for %d steps", w.name(), m.seconds, m.steps)
	}
	progress("verify", steadyStart, m.work, m.seconds)
	return m, w.verify(d, scale)
}

func stopPower(ctx context.Context, pw *powerWindow, opts Options, dev Device, m *measurement) error {
	if pw == nil {
		return nil
	}
	st, err := pw.stop(context.WithoutCancel(ctx), opts.Power, dev.PCIBusID)
	m.power, m.powerErr = st, err
	return nil
}
