package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// maxResponseBytes bounds what one answer may hold; a full page of 1000 members is about 200 KiB.
const maxResponseBytes = 32 << 20

// maxRetryAfter caps a Retry-After header so that a hostile value cannot overflow a duration.
const maxRetryAfter = time.Hour

// apiRequest is one API operation; do turns it into as many HTTP attempts as it needs.
type apiRequest struct {
	operation string
	imageID   string
	projectID string
	method    string
	route     string // path template, for logs and Stats
	url       string
	body      []byte
	header    http.Header
	withToken bool // send X-Auth-Token, and re-issue it once on 401
	write     bool // hold a slot of the write limiter per attempt
}

type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// do runs req until it succeeds, fails permanently, runs out of attempts or ctx ends. Any answer
// outside 2xx comes back as *Error, possibly wrapped with ctx.Err().
func (c *Client) do(ctx context.Context, req *apiRequest) (*apiResponse, error) {
	var lastErr error
	reissued := false
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, c.stopped(req, lastErr, err, attempt-1)
		}
		var tok *issuedToken
		if req.withToken {
			var err error
			tok, err = c.token(ctx)
			if err != nil {
				return nil, err
			}
		}
		res, err := c.attempt(ctx, req, tok, attempt)
		if err == nil {
			return res, nil
		}
		var apiErr *Error
		if !errors.As(err, &apiErr) {
			return nil, err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			// An attempt cut short by ctx says less than the last answer the API gave.
			if lastErr == nil || apiErr.StatusCode != 0 {
				lastErr = err
			}
			return nil, c.stopped(req, lastErr, ctxErr, attempt)
		}
		lastErr = err
		if apiErr.StatusCode == http.StatusUnauthorized && tok != nil && !reissued {
			// The token may have been revoked or expired early: one new token, one more try.
			c.tokens.drop(tok)
			reissued = true
			attempt--
			c.count(func(s *Stats) { s.Reauths++ })
			continue
		}
		apiErr.Attempts = attempt
		if !IsTransient(apiErr) || attempt >= c.retry.MaxAttempts {
			return nil, apiErr
		}
		wait := c.backoff(attempt)
		if apiErr.RetryAfter > wait {
			wait = apiErr.RetryAfter
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return nil, &retryStoppedError{last: apiErr, ctxErr: context.DeadlineExceeded}
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, &retryStoppedError{last: apiErr, ctxErr: err}
		}
		c.count(func(s *Stats) { s.Retries++ })
	}
}

// stopped builds the error for a context that ended: the last failure seen, if any, wrapped
// with ctxErr.
func (c *Client) stopped(req *apiRequest, last, ctxErr error, attempts int) error {
	var apiErr *Error
	if last == nil || !errors.As(last, &apiErr) {
		return &Error{Operation: req.operation, ImageID: req.imageID, ProjectID: req.projectID,
			Attempts: attempts, Err: ctxErr}
	}
	if apiErr.StatusCode == 0 && errors.Is(apiErr.Err, ctxErr) {
		return apiErr
	}
	apiErr.Attempts = attempts
	return &retryStoppedError{last: apiErr, ctxErr: ctxErr}
}

// attempt sends req once and reads the whole answer within the attempt's own timeout.
func (c *Client) attempt(ctx context.Context, req *apiRequest, tok *issuedToken, attempt int,
) (*apiResponse, error) {
	if req.write {
		if err := c.writes.Acquire(ctx); err != nil {
			return nil, c.fail(req, nil, "", err)
		}
	}
	throttled := false
	if req.write {
		defer func() { c.writes.Release(throttled) }()
	}
	attemptCtx, cancel := context.WithTimeoutCause(ctx, c.retry.AttemptTimeout, errAttemptTimeout)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(attemptCtx, req.method, req.url, bytes.NewReader(req.body))
	if err != nil {
		return nil, c.fail(req, nil, "", err)
	}
	for name, values := range req.header {
		httpReq.Header[name] = values
	}
	httpReq.Header.Set("User-Agent", c.userAgent)
	httpReq.Header.Set("Accept", "application/json")
	if tok != nil {
		httpReq.Header.Set("X-Auth-Token", tok.value)
	}
	started := time.Now()
	c.count(func(s *Stats) { s.Requests[req.method+" "+req.route]++ })
	httpRes, err := c.http.Do(httpReq)
	if err != nil {
		c.logAttempt(ctx, req, attempt, 0, started)
		return nil, c.fail(req, nil, "", attemptCause(attemptCtx, ctx, err))
	}
	defer httpRes.Body.Close()
	body, err := io.ReadAll(io.LimitReader(httpRes.Body, maxResponseBytes+1))
	c.logAttempt(ctx, req, attempt, httpRes.StatusCode, started)
	throttled = httpRes.StatusCode == http.StatusTooManyRequests
	res := &apiResponse{status: httpRes.StatusCode, header: httpRes.Header, body: body}
	if err != nil {
		cause := attemptCause(attemptCtx, ctx, err)
		if isTransientStatus(res.status) {
			return nil, c.errorFromAnswer(req, res, cause)
		}
		// A body cut off mid-flight is a transport failure whatever the status said.
		return nil, c.fail(req, nil, "the response body was cut off", cause)
	}
	if len(body) > maxResponseBytes {
		return nil, c.fail(req, res, fmt.Sprintf("the response body is larger than %d bytes", maxResponseBytes), nil)
	}
	if res.status >= 200 && res.status < 300 {
		return res, nil
	}
	return nil, c.errorFromAnswer(req, res, nil)
}

// attemptCause tells an attempt that ran out of its own time (transient) from one whose caller's
// context ended (final).
func attemptCause(attemptCtx, ctx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(context.Cause(attemptCtx), errAttemptTimeout) {
		// The cause as text only: the caller's own deadline has not passed, so errors.Is must not say it has.
		return fmt.Errorf("%w: %s", errAttemptTimeout, err.Error())
	}
	return err
}

func (c *Client) logAttempt(ctx context.Context, req *apiRequest, attempt, status int, started time.Time) {
	tflog.Debug(ctx, "KakaoCloud API request", map[string]any{
		"operation":   req.operation,
		"method":      req.method,
		"route":       req.route,
		"status":      status,
		"duration_ms": time.Since(started).Milliseconds(),
		"attempt":     attempt,
	})
}

// fail builds an *Error for req; res may be nil when no answer was received.
func (c *Client) fail(req *apiRequest, res *apiResponse, message string, cause error) *Error {
	e := &Error{Operation: req.operation, ImageID: req.imageID, ProjectID: req.projectID,
		Message: c.redact(message), Err: cause}
	if res != nil {
		e.StatusCode = res.status
	}
	return e
}

// backoff returns a full-jitter wait before attempt+1: uniform in [0, min(max, min·2^(attempt-1))].
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.retry.MinBackoff
	for i := 1; i < attempt && ceiling < c.retry.MaxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.retry.MaxBackoff)
	return rand.N(ceiling + 1)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parseRetryAfter reads delay-seconds or an HTTP date; anything else means no hint.
func parseRetryAfter(value string, now time.Time) time.Duration {
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(min(secs, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	when, err := http.ParseTime(value)
	if err != nil {
		return 0
	}
	return min(max(when.Sub(now), 0), maxRetryAfter)
}

func (c *Client) imageURL(segments ...string) string {
	return joinURL(c.imageBase, segments...)
}

// joinURL appends path segments to base, escaping each one, so that an ID can never change the
// route it is part of.
func joinURL(base string, segments ...string) string {
	var b bytes.Buffer
	b.WriteString(base)
	for _, s := range segments {
		b.WriteByte('/')
		if s == "." || s == ".." {
			// PathEscape leaves dots alone, and a dot segment would move up the path.
			b.WriteString(strings.ReplaceAll(s, ".", "%2E"))
			continue
		}
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
