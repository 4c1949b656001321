package spool

import (
	"fmt"
	"testing"
)

// The suite's strength is itself tested: each check runs against spools
// broken on purpose and must fail. A check that passes a mutant it is
// listed as catching means the test lost its teeth.
type check struct {
	name string
	run  func(mutant) error
	// catches lists the mutants this check must fail against. A kill -9
	// test cannot catch ack-before-fsync (the page cache survives), which
	// is why power loss is simulated separately.
	catches []mutant
}

func checks() []check {
	return []check{
		{"torn-tail", func(m mutant) error { return checkTornTail(m, 6) }, []mutant{mutNoTailRepair}},
		{"bit-flips", func(m mutant) error { return checkBitFlips(m, 4) }, []mutant{mutNoCRC, mutNoTailRepair}},
		{"power-loss", func(m mutant) error { return checkPowerLoss(m, 4) }, []mutant{mutAckBeforeWrite, mutAckBeforeFsync}},
		{"kill-9", func(m mutant) error { return checkKill9(m, 4) }, []mutant{mutAckBeforeWrite}},
		{"consumer-crash", func(m mutant) error { return checkConsumerCrash(m, 2) }, []mutant{mutAckBeforeWrite}},
		{"disk-full", checkDiskFull, []mutant{mutAckBeforeWrite}},
		{"fsync-error", checkFsyncError, []mutant{mutAckBeforeWrite, mutAckBeforeFsync, mutFsyncRetry}},
		{"crash-points", func(m mutant) error { return checkCrashPoints(m, 2) }, []mutant{mutAckBeforeWrite, mutAckBeforeFsync}},
		{"model", checkModelMutant, []mutant{mutAckBeforeWrite, mutAckBeforeFsync}},
		{"faults-end", func(m mutant) error { return checkFaultsEnd(m, 1) }, []mutant{mutAckBeforeWrite, mutCommitStuck, mutCopyRequired}},
	}
}

func TestMutantsAreCaught(t *testing.T) {
	caught := map[mutant]bool{}
	for _, c := range checks() {
		for _, m := range c.catches {
			t.Run(c.name+"/"+m.String(), func(t *testing.T) {
				err := c.run(m)
				if err == nil {
					t.Fatalf("check %s passed against mutant %s", c.name, m)
				}
				caught[m] = true
				t.Logf("caught: %v", err)
			})
		}
	}
	for _, m := range []mutant{mutAckBeforeWrite, mutAckBeforeFsync, mutNoCRC, mutNoTailRepair, mutFsyncRetry, mutCommitStuck, mutCopyRequired} {
		if !caught[m] {
			t.Errorf("no check catches mutant %s", m)
		}
	}
}

// TestChecksPassUnmutated guards the other direction: the same small
// configurations pass on the real spool, so a mutant's failure is its own.
func TestChecksPassUnmutated(t *testing.T) {
	for _, c := range checks() {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(mutNone); err != nil {
				t.Fatal(fmt.Errorf("%s on the real spool: %w", c.name, err))
			}
		})
	}
}
