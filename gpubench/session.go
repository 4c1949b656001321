package gpubench

import (
	"context"
	"errors"
	"fmt"
)

// session is one GPU's primary context, retained once for all the kernels
// a run measures on it, and the modules JIT-compiled in it, each loaded
// once: retaining and releasing per kernel destroyed the context (and the
// JIT's work) every time the count fell to zero.
type session struct {
	dev  Device
	mods map[string]cuModule
	fns  map[string]cuFunction
}

// openSession retains dev's primary context and makes it current on the
// CUDA thread, where it stays until closeSession.
func (b *Bench) openSession(ctx context.Context, dev Device) (*session, error) {
	err := b.thread.do(ctx, func() error {
		_, err := b.drv.ctxAcquire(dev.dev)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("gpu %d: context: %w", dev.Index, err)
	}
	return &session{dev: dev, mods: map[string]cuModule{}, fns: map[string]cuFunction{}}, nil
}

// closeSession unloads the modules and releases the context.
func (b *Bench) closeSession(ctx context.Context, s *session) error {
	return b.thread.do(context.WithoutCancel(ctx), func() error {
		var errs []error
		for _, m := range s.mods {
			errs = append(errs, b.drv.moduleUnload(m))
		}
		errs = append(errs, b.drv.ctxRelease(s.dev.dev))
		return errors.Join(errs...)
	})
}

// functions returns mod's entry points, JIT-compiling the module on first
// use. Called on the CUDA thread.
func (b *Bench) functions(s *session, mod *ptxModule) (map[string]cuFunction, error) {
	if _, ok := s.mods[mod.file]; !ok {
		cm, info, err := b.drv.moduleLoad(mod.text())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mod.file, err)
		}
		b.log.Debug("ptx jit", "gpu", s.dev.Index, "module", mod.file, "log", info)
		s.mods[mod.file] = cm
		for _, e := range mod.entries {
			f, err := b.drv.moduleFunction(cm, e)
			if err != nil {
				return nil, err
			}
			s.fns[e] = f
		}
	}
	out := map[string]cuFunction{}
	for _, e := range mod.entries {
		out[e] = s.fns[e]
	}
	return out, nil
}

// stickyError reports a CUDA error after which the context is unusable
// (the driver returns it from every later call until the context is
// destroyed): the next kernel gets a fresh context.
func stickyError(err error) bool {
	var ce *cudaError
	if !errors.As(err, &ce) {
		return false
	}
	switch ce.Code {
	case cudaErrorIllegalAddress, cudaErrorLaunchTimeout, cudaErrorLaunchFailed, 714, 715, 716, 717, 718:
		return true
	}
	return false
}
