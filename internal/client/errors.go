package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// Error is every failure the client returns for an API operation: an HTTP answer outside 2xx, a
// response that could not be decoded, or a transport failure. Use errors.As to reach it; when a
// context ended during retries, the returned error wraps both this value and ctx.Err().
type Error struct {
	Operation  string // "get image", "list image members", "add image member", ...
	ImageID    string
	ProjectID  string
	StatusCode int    // 0 when no HTTP answer was received
	Code       string // the API's error code, e.g. "NotFound"
	Message    string // the API's message; 422 details are joined into it
	Details    []ValidationDetail
	RetryAfter time.Duration // from the Retry-After header, when the API sent one
	Attempts   int           // how many attempts were made, retries included
	Err        error         // transport or decoding cause
}

// ValidationDetail is one entry of a 422 answer's "detail" list.
type ValidationDetail struct {
	Location []string
	Message  string
	Type     string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	if e.ImageID != "" {
		b.WriteString(" " + e.ImageID)
	}
	if e.ProjectID != "" {
		b.WriteString(" for project " + e.ProjectID)
	}
	b.WriteString(":")
	if e.StatusCode != 0 {
		code := e.Code
		if code == "" {
			code = http.StatusText(e.StatusCode)
		}
		fmt.Fprintf(&b, " %d %s", e.StatusCode, code)
		if e.Message != "" || e.Err != nil {
			b.WriteString(":")
		}
	}
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	}
	if e.Err != nil {
		if e.Message != "" {
			b.WriteString(":")
		}
		b.WriteString(" " + e.Err.Error())
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// retryStoppedError is returned when the caller's context ends (or would end during the next
// backoff) while an operation is being retried: it keeps the last API error visible.
type retryStoppedError struct {
	last   error
	ctxErr error
}

func (e *retryStoppedError) Error() string {
	return fmt.Sprintf("%s (stopped retrying: %s)", e.last.Error(), e.ctxErr.Error())
}

func (e *retryStoppedError) Unwrap() []error { return []error{e.last, e.ctxErr} }

// IsNotFound reports whether err is an API answer 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports whether err is an API answer 409.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

// IsUnauthorized reports whether err is an API answer 401, including rejected credentials.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsTransient reports whether trying the same call again later may succeed: 429, 500, 502, 503,
// 504, a connection reset, refused or closed mid-flight, or one attempt timing out. An error that
// carries the end of the caller's context is not transient: that operation is over.
func IsTransient(err error) bool {
	var stopped *retryStoppedError
	if err == nil || errors.As(err, &stopped) {
		return false
	}
	if errors.Is(err, errAttemptTimeout) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return isTransientTransport(err)
	}
	if apiErr.StatusCode != 0 {
		return isTransientStatus(apiErr.StatusCode)
	}
	return apiErr.Err != nil && isTransientTransport(apiErr.Err)
}

func hasStatus(err error, status int) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == status
}

func isTransientStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// errAttemptTimeout marks one attempt that ran out of its own time while the caller's context was
// still live.
var errAttemptTimeout = errors.New("attempt timed out")

func isTransientTransport(err error) bool {
	if errors.Is(err, errAttemptTimeout) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	// net/http reports a keep-alive connection the server closed under it only by this text.
	return strings.Contains(err.Error(), "server closed idle connection")
}
