package agent

import (
	"errors"
	"time"
)

// A Sink's errors tell the shipper what to do by answering these methods,
// in the style of net.Error's Timeout; the agent never asks the sink's
// package to interpret them. An error that answers none is retried with
// backoff: a network error, a 5xx, anything unknown.
type (
	// retryAfterError: the server asked us to wait this long (Retry-After).
	retryAfterError interface{ RetryAfter() (time.Duration, bool) }
	// tooLargeError: the request was too large; halves may pass.
	tooLargeError interface{ TooLarge() bool }
	// permanentError: these bytes are refused for good; halving isolates
	// the bad lines, which go to the dead-letter file.
	permanentError interface{ Permanent() bool }
	// authError: the credentials were refused.
	authError interface{ Auth() bool }
	// misconfiguredError: only a configuration change helps (credentials,
	// a missing bucket); the data waits for it.
	misconfiguredError interface{ Misconfigured() bool }
	// reasonError: the server's own explanation, for the dead-letter file.
	reasonError interface{ Reason() string }
)

// answers reports whether some error in err's chain implements T and
// says yes.
func answers[T any](err error, yes func(T) bool) bool {
	var t T
	return errors.As(err, &t) && yes(t)
}

func isTooLarge(err error) bool {
	return answers(err, func(e tooLargeError) bool { return e.TooLarge() })
}

func isPermanent(err error) bool {
	return answers(err, func(e permanentError) bool { return e.Permanent() })
}

func isAuth(err error) bool { return answers(err, func(e authError) bool { return e.Auth() }) }

func isMisconfigured(err error) bool {
	return answers(err, func(e misconfiguredError) bool { return e.Misconfigured() })
}

// retryAfter is the wait the server asked for, if any.
func retryAfter(err error) (time.Duration, bool) {
	var e retryAfterError
	if !errors.As(err, &e) {
		return 0, false
	}
	return e.RetryAfter()
}

// reason is the server's explanation, or the error's text.
func reason(err error) string {
	var e reasonError
	if errors.As(err, &e) && e.Reason() != "" {
		return e.Reason()
	}
	return err.Error()
}
