package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{name: "API answer", err: &Error{Operation: "add image member", ImageID: testImageID, ProjectID: testMemberID,
			StatusCode: 404, Code: "NotFound", Message: "project not found"},
			want: "add image member " + testImageID + " for project " + testMemberID + ": 404 NotFound: project not found"},
		{name: "status only", err: &Error{Operation: "get image", ImageID: "i", StatusCode: 503},
			want: "get image i: 503 Service Unavailable"},
		{name: "transport", err: &Error{Operation: "list image members", ImageID: "i", Err: io.ErrUnexpectedEOF, Attempts: 3},
			want: "list image members i: unexpected EOF (after 3 attempts)"},
		{name: "message and cause", err: &Error{Operation: "issue token", Message: "the response body was cut off",
			Err: io.EOF}, want: "issue token: the response body was cut off: EOF"},
		{name: "status and cause", err: &Error{Operation: "get image", ImageID: "i", StatusCode: 502, Err: io.EOF},
			want: "get image i: 502 Bad Gateway: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorPredicates(t *testing.T) {
	status := func(code int) error { return &Error{Operation: "op", StatusCode: code} }
	wrapped := func(err error) error { return fmt.Errorf("context: %w", err) }
	stopped := &retryStoppedError{last: status(503), ctxErr: context.DeadlineExceeded}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name                                        string
		err                                         error
		notFound, conflict, unauthorized, transient bool
	}{
		{name: "nil", err: nil},
		{name: "404", err: status(404), notFound: true},
		{name: "wrapped 404", err: wrapped(status(404)), notFound: true},
		{name: "409", err: status(409), conflict: true},
		{name: "401", err: status(401), unauthorized: true},
		{name: "429", err: status(429), transient: true},
		{name: "500", err: status(500), transient: true},
		{name: "502", err: wrapped(status(502)), transient: true},
		{name: "503", err: status(503), transient: true},
		{name: "504", err: status(504), transient: true},
		{name: "400", err: status(400)},
		{name: "403", err: status(403)},
		{name: "413", err: status(413)},
		{name: "422", err: status(422)},
		{name: "501", err: status(501)},
		{name: "reset", err: &Error{Operation: "op", Err: syscall.ECONNRESET}, transient: true},
		{name: "refused", err: &Error{Operation: "op", Err: refused}, transient: true},
		{name: "EOF", err: &Error{Operation: "op", Err: io.EOF}, transient: true},
		{name: "attempt timeout", err: &Error{Operation: "op", Err: fmt.Errorf("%w: %w", errAttemptTimeout,
			context.DeadlineExceeded)}, transient: true},
		{name: "caller deadline", err: &Error{Operation: "op", Err: context.DeadlineExceeded}},
		{name: "caller cancel", err: &Error{Operation: "op", Err: context.Canceled}},
		{name: "stopped retrying", err: stopped},
		{name: "decoding", err: &Error{Operation: "op", StatusCode: 200, Message: "truncated"}},
		{name: "plain error", err: errors.New("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsNotFound(tt.err); got != tt.notFound {
				t.Errorf("IsNotFound = %v", got)
			}
			if got := IsConflict(tt.err); got != tt.conflict {
				t.Errorf("IsConflict = %v", got)
			}
			if got := IsUnauthorized(tt.err); got != tt.unauthorized {
				t.Errorf("IsUnauthorized = %v", got)
			}
			if got := IsTransient(tt.err); got != tt.transient {
				t.Errorf("IsTransient = %v", got)
			}
		})
	}
}

func TestStoppedErrorKeepsBothCauses(t *testing.T) {
	last := &Error{Operation: "get image", ImageID: "i", StatusCode: 503, Code: "Busy", Message: "later"}
	err := error(&retryStoppedError{last: last, ctxErr: context.Canceled})
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr != last || !errors.Is(err, context.Canceled) {
		t.Errorf("errors.As/Is failed on %v", err)
	}
	if want := "get image i: 503 Busy: later (stopped retrying: context canceled)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
