package gpubench

import (
	"context"
	"runtime"
	"strings"
)

// cudaThread runs every CUDA call on one locked OS thread: a context is
// current per thread, and the driver API is not free to migrate between them
// the way goroutines do.
type cudaThread struct {
	reqs chan func()
	done chan struct{}
}

func startCUDAThread() *cudaThread {
	t := &cudaThread{reqs: make(chan func()), done: make(chan struct{})}
	go func() {
		// Never unlocked: the thread exits with the goroutine, so a context
		// left current on it cannot leak into other goroutines.
		runtime.LockOSThread()
		defer close(t.done)
		for f := range t.reqs {
			f()
		}
	}()
	return t
}

// do runs f on the CUDA thread and waits for it. Cancelling ctx stops waiting
// for the thread to pick f up; f itself checks ctx between launches.
func (t *cudaThread) do(ctx context.Context, f func() error) error {
	errc := make(chan error, 1)
	select {
	case t.reqs <- func() { errc <- f() }:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-errc
}

// stop ends the thread after the request in flight, if any.
func (t *cudaThread) stop() {
	close(t.reqs)
	<-t.done
}

// oneLine folds a multi-line JIT log into one line for the error message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
}
