package spool

// mutant deliberately breaks one durability rule. Only tests set it (through
// Options.mutant), to prove that the test suite notices each kind of breakage;
// production code paths check it at the few places a real bug would live.
type mutant int

const (
	mutNone           mutant = iota
	mutAckBeforeWrite        // Append returns before the bytes reach the file
	mutAckBeforeFsync        // Append skips fsync even under SyncEveryAppend
	mutNoCRC                 // the decoder trusts payloads without their checksum
	mutNoTailRepair          // Open refuses a damaged segment, like a WAL that wedges
	mutFsyncRetry            // after a failed fsync, retries it on the same descriptor and acks
	mutCommitStuck           // a failed checkpoint write leaves the committer behind the reader for good
	mutCopyRequired          // start-up fails when damaged bytes cannot be copied aside (a full disk)
)

func (m mutant) String() string {
	return [...]string{"none", "ack-before-write", "ack-before-fsync", "no-crc-check", "no-tail-repair", "fsync-retry", "commit-stuck", "copy-required"}[m]
}
