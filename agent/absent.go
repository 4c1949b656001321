package agent

// absent is how a collector says its source does not exist on this host (no
// GPU driver, no RAPL, no BMC): a state reported once at info, never counted
// as an error. The collectors' sentinel answers it through any wrapping, so
// the agent needs no import of theirs.
type absent interface{ Absent() bool }

// isAbsent is true when every error inside err says its source is absent; a
// joined error with one real failure in it is a failure.
func isAbsent(err error) bool {
	if err == nil {
		return false
	}
	if a, ok := err.(absent); ok {
		return a.Absent()
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		errs := u.Unwrap()
		if len(errs) == 0 {
			return false
		}
		for _, e := range errs {
			if !isAbsent(e) {
				return false
			}
		}
		return true
	case interface{ Unwrap() error }:
		return isAbsent(u.Unwrap())
	}
	return false
}

// IsAbsent tells callers outside the agent (the CLI's --once) the same.
func IsAbsent(err error) bool { return isAbsent(err) }
