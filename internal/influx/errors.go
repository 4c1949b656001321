package influx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"
)

// Class says what a caller should do with a failed write.
type Class int

const (
	// Retry: the server or network is unavailable (connection refused,
	// timeout, 5xx, 429). Keep the data and try again later.
	Retry Class = iota
	// Auth: 401/403. Keep the data, retry, and tell the operator loudly: no
	// amount of waiting fixes a wrong token.
	Auth
	// TooLarge: 413. Split the batch and send the halves.
	TooLarge
	// Rejected: other 4xx (bad line, field type conflict, partial write).
	// Retrying the same bytes can never succeed; dead-letter them.
	Rejected
	// NotFound: 404, usually a bucket or database that does not exist yet.
	// Keep the data: creating the bucket fixes it.
	NotFound
)

func (c Class) String() string {
	return [...]string{"retry", "auth", "too-large", "rejected", "not-found"}[c]
}

// WriteError is a classified write failure. Its text carries the server's
// message but never the token. Callers need not import this package to
// act on it: it answers the behaviour methods below, in the style of
// net.Error's Timeout.
type WriteError struct {
	Class      Class
	StatusCode int           // 0 for network errors
	Wait       time.Duration // from the Retry-After header, 0 if absent
	Message    string        // the server's own words
	Err        error
}

// RetryAfter is the wait the server asked for, if it asked.
func (e *WriteError) RetryAfter() (time.Duration, bool) { return e.Wait, e.Wait > 0 }

// TooLarge: the request was too large (413); smaller ones may pass.
func (e *WriteError) TooLarge() bool { return e.Class == TooLarge }

// Permanent: the server refused these bytes for good (bad line, field type
// conflict); sending them again cannot succeed.
func (e *WriteError) Permanent() bool { return e.Class == Rejected }

// Auth: the credentials were refused (401, 403).
func (e *WriteError) Auth() bool { return e.Class == Auth }

// Misconfigured: only a configuration change helps (credentials refused,
// bucket or database missing); the data should wait for it.
func (e *WriteError) Misconfigured() bool { return e.Class == Auth || e.Class == NotFound }

// Reason is the server's own explanation, or "" when it gave none.
func (e *WriteError) Reason() string { return e.Message }

func (e *WriteError) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("influx write: %v", e.Err)
	}
	return fmt.Sprintf("influx write: HTTP %d: %s", e.StatusCode, e.Message)
}

func (e *WriteError) Unwrap() error { return e.Err }

func classify(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &WriteError{Class: Retry, Err: err}
	}
	var he *ihttp.Error
	if !errors.As(err, &he) {
		return &WriteError{Class: Retry, Err: err}
	}
	we := &WriteError{StatusCode: he.StatusCode, Err: err, Wait: time.Duration(he.RetryAfter) * time.Second}
	we.Message = strings.TrimSpace(he.Message)
	if raw := we.Message == "" || strings.HasPrefix(we.Message, "{") || strings.HasPrefix(we.Message, "<"); raw {
		// Empty, or the library handed us a whole JSON or HTML body:
		// the reason found in the body reads better.
		we.Message = ""
		if he.Header != nil {
			we.Message = he.Header.Get(bodyReasonHeader)
		}
	}
	if we.Message == "" {
		if he.Err != nil {
			we.Message = he.Err.Error()
		} else {
			we.Message = http.StatusText(he.StatusCode)
		}
	}
	switch code := he.StatusCode; {
	case code == 0:
		we.Class = Retry
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		we.Class = Auth
	case code == http.StatusRequestEntityTooLarge:
		we.Class = TooLarge
	case code == http.StatusNotFound:
		we.Class = NotFound
	case code == http.StatusTooManyRequests || code >= 500:
		we.Class = Retry
	case code >= 400:
		we.Class = Rejected
	default:
		we.Class = Retry
	}
	return we
}

// ClassOf returns the class of err, Retry for errors this package did not make.
func ClassOf(err error) Class {
	var we *WriteError
	if errors.As(err, &we) {
		return we.Class
	}
	return Retry
}
