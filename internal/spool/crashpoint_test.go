package spool

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var crashPoints = CrashPoints()

type crashNow struct{ point string }

func runUntilCrash(f func() error) (crashed bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crashNow); !ok {
				panic(r)
			}
			crashed = true
		}
	}()
	return false, f()
}

// checkCrashPoints stops the process at the nth arrival at every named
// point, then either kills it (page cache kept) or cuts power (only synced
// bytes kept), restarts and checks conservation.
func checkCrashPoints(m mutant, nths int) error {
	for _, point := range crashPoints {
		for nth := 1; nth <= nths; nth++ {
			for _, power := range []bool{false, true} {
				if err := crashPointCase(m, point, nth*3-2, power); err != nil {
					kind := "kill -9"
					if power {
						kind = "power cut"
					}
					return fmt.Errorf("%s at %s (arrival %d): %w", kind, point, nth*3-2, err)
				}
			}
		}
	}
	return nil
}

func crashPointCase(m mutant, point string, nth int, power bool) error {
	fsys := newMemFS()
	opts := memOpts(fsys, m)
	hits := 0
	opts.crash = func(p string) {
		if p == point {
			hits++
			if hits == nth {
				panic(crashNow{p})
			}
		}
	}
	s, err := Open(testDir, opts)
	if err != nil {
		return err
	}
	o := newOracle()
	rng := rand.New(rand.NewPCG(uint64(nth), uint64(len(point))))
	next := 0
	crashed, err := runUntilCrash(func() error { return o.workload(s, rng, 300+30*nth, &next) })
	if err != nil {
		return err
	}
	if !crashed {
		return fmt.Errorf("crash point never reached")
	}
	if power {
		fsys.crash(func(string, int) int { return 0 })
	} else {
		fsys.killProcess()
	}
	opts.crash = nil
	return o.verifyAfterRestart(testDir, opts)
}

func TestCrashPoints(t *testing.T) {
	nths := 5
	if *long {
		nths = 30
	}
	if err := checkCrashPoints(mutNone, nths); err != nil {
		t.Fatal(err)
	}
}
