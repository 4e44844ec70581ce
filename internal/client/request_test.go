package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// dropConnection closes the connection without an answer; reset sends a TCP RST instead.
func dropConnection(reset bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack() //nolint:forcetypeassert // httptest servers hijack
		if err != nil {
			panic(err)
		}
		if tcp, ok := conn.(*net.TCPConn); ok && reset {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	}
}

// truncatedBody promises more bytes than it sends.
func truncatedBody(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", "500")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"image":{"id":`))
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil { //nolint:forcetypeassert // httptest servers hijack
		_ = conn.Close()
	}
}

func htmlPage(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
	}
}

func TestRetries(t *testing.T) {
	getImage := func(c *Client) error { _, err := c.GetImage(t.Context(), testImageID); return err }
	addMember := func(c *Client) error {
		_, err := c.AddImageMember(t.Context(), testImageID, testMemberID)
		return err
	}
	removeMember := func(c *Client) error {
		return c.RemoveImageMember(t.Context(), testImageID, testMemberID)
	}
	ok := answer(200, imageBody())
	added := answer(200, `{"member":`+memberJSON(testMemberID, false)+`}`)
	errBody := func(code string) string { return `{"error":{"code":"` + code + `","message":"said the API"}}` }
	tests := []struct {
		name         string
		call         func(*Client) error
		handlers     []http.HandlerFunc
		wantRequests int
		wantErr      string
		check        func(error) bool
	}{
		{name: "503 then success", call: getImage, handlers: []http.HandlerFunc{answer(503, errBody("Busy")), ok},
			wantRequests: 2},
		{name: "429 twice then success", call: getImage,
			handlers:     []http.HandlerFunc{answer(429, errBody("TooMany")), answer(429, ""), ok},
			wantRequests: 3},
		{name: "500 502 504 then success", call: getImage,
			handlers:     []http.HandlerFunc{answer(500, ""), answer(502, ""), answer(504, ""), ok},
			wantRequests: 4},
		{name: "503 every time", call: getImage, handlers: []http.HandlerFunc{answer(503, errBody("Overloaded"))},
			wantRequests: 4, wantErr: "get image " + testImageID + ": 503 Overloaded: said the API (after 4 attempts)",
			check: IsTransient},
		{name: "dropped connection then success", call: getImage,
			handlers: []http.HandlerFunc{dropConnection(false), ok}, wantRequests: 2},
		{name: "reset connection then success", call: getImage,
			handlers: []http.HandlerFunc{dropConnection(true), ok}, wantRequests: 2},
		{name: "truncated body then success", call: getImage,
			handlers: []http.HandlerFunc{truncatedBody, ok}, wantRequests: 2},
		{name: "HTML 502 every time", call: getImage, handlers: []http.HandlerFunc{htmlPage(502)},
			wantRequests: 4, wantErr: `502 Bad Gateway: the response body is not JSON (Content-Type "text/html")`,
			check: IsTransient},
		{name: "400 not retried", call: getImage, handlers: []http.HandlerFunc{answer(400, errBody("BadRequest"))},
			wantRequests: 1, wantErr: "400 BadRequest: said the API"},
		{name: "403 not retried", call: getImage, handlers: []http.HandlerFunc{answer(403, errBody("Forbidden"))},
			wantRequests: 1, wantErr: "403 Forbidden"},
		{name: "404 not retried", call: getImage, handlers: []http.HandlerFunc{answer(404, errBody("NotFound"))},
			wantRequests: 1, wantErr: "404 NotFound", check: IsNotFound},
		{name: "413 not retried", call: addMember, handlers: []http.HandlerFunc{answer(413, errBody("TooLarge"))},
			wantRequests: 1, wantErr: "add image member " + testImageID + " for project " + testMemberID + ": 413"},
		{name: "422 not retried", call: getImage,
			handlers: []http.HandlerFunc{
				answer(422, `{"detail":[{"loc":["path","image_id"],"msg":"bad uuid","type":"x"}]}`)},
			wantRequests: 1, wantErr: "422 Unprocessable Entity: path.image_id: bad uuid"},
		{name: "add member retried after a dropped connection", call: addMember,
			handlers: []http.HandlerFunc{dropConnection(false), added}, wantRequests: 2},
		{name: "add member retried after 503", call: addMember,
			handlers: []http.HandlerFunc{answer(503, ""), added}, wantRequests: 2},
		{name: "add member 409 not retried", call: addMember, handlers: []http.HandlerFunc{answer(409, errBody("Conflict"))},
			wantRequests: 1, wantErr: "409 Conflict", check: IsConflict},
		{name: "remove member 404 not retried", call: removeMember,
			handlers: []http.HandlerFunc{answer(404, errBody("NotFound"))}, wantRequests: 1, check: IsNotFound,
			wantErr: "remove image member " + testImageID + " for project " + testMemberID + ": 404 NotFound"},
		{name: "remove member 204", call: removeMember, handlers: []http.HandlerFunc{
			func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }}, wantRequests: 1},
		{name: "remove member retried after reset", call: removeMember,
			handlers: []http.HandlerFunc{dropConnection(true), answer(200, "")}, wantRequests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, srv := newFakeAPI(t, sequence(tt.handlers...))
			// Without keep-alives net/http cannot quietly retry a dropped request on a fresh
			// connection itself, so every retry counted here is the client's own.
			c := newTestClient(t, srv, func(cfg *Config) {
				cfg.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			})
			err := tt.call(c)
			if got := len(api.imageRequests()); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
			if got := c.Stats().Retries; got != tt.wantRequests-1 {
				t.Errorf("Stats().Retries = %d, want %d", got, tt.wantRequests-1)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(err) {
				t.Errorf("check failed for %v", err)
			}
			if IsTransient(err) != (apiErr.StatusCode >= 500 || apiErr.StatusCode == 429) {
				t.Errorf("IsTransient = %v for status %d", IsTransient(err), apiErr.StatusCode)
			}
		})
	}
}

func TestRetryAfterIsAMinimumWait(t *testing.T) {
	throttled := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"TooManyRequests","message":"slow down"}}`)
	}
	_, srv := newFakeAPI(t, sequence(throttled, answer(200, imageBody())))
	c := newTestClient(t, srv, nil)
	if _, err := c.Authenticate(t.Context()); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if _, err := c.GetImage(t.Context(), testImageID); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(started); waited < time.Second {
		t.Errorf("retried after %v, before the Retry-After of 1s", waited)
	}
}

func TestRetriesStopAtTheContext(t *testing.T) {
	throttled := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "30")
		writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"TooManyRequests","message":"slow down"}}`)
	}
	unavailable := answer(503, `{"error":{"code":"ServiceUnavailable","message":"overloaded"}}`)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		ctx     func() (context.Context, context.CancelFunc)
		wantCtx error
		want    string
	}{
		{name: "deadline before the Retry-After", handler: throttled, wantCtx: context.DeadlineExceeded,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(t.Context(), time.Second)
			},
			want: "429 TooManyRequests: slow down"},
		{name: "canceled during backoff", handler: unavailable, wantCtx: context.Canceled,
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(300*time.Millisecond, cancel)
				return ctx, cancel
			},
			want: "503 ServiceUnavailable: overloaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFakeAPI(t, tt.handler)
			c := newTestClient(t, srv, func(cfg *Config) {
				cfg.Retry = RetryPolicy{MinBackoff: time.Minute, MaxBackoff: time.Minute, MaxAttempts: 8}
			})
			ctx, cancel := tt.ctx()
			defer cancel()
			started := time.Now()
			_, err := c.GetImage(ctx, testImageID)
			if elapsed := time.Since(started); elapsed > 10*time.Second {
				t.Errorf("returned after %v; retries must stop with the context", elapsed)
			}
			if !errors.Is(err, tt.wantCtx) {
				t.Errorf("error %v does not wrap %v", err, tt.wantCtx)
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v does not carry the last API error %q", err, tt.want)
			}
			if IsTransient(err) {
				t.Error("an error carrying the end of the context is not transient")
			}
		})
	}
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	hang := func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		writeJSON(w, 200, imageBody())
	}
	_, srv := newFakeAPI(t, hang)
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Retry.AttemptTimeout = 100 * time.Millisecond })
	if _, err := c.GetImage(t.Context(), testImageID); err != nil {
		t.Fatalf("GetImage: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("calls = %d, want 2", calls.Load())
	}
}

func TestAttemptTimeoutsUntilAttemptsRunOut(t *testing.T) {
	_, srv := newFakeAPI(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newTestClient(t, srv, func(cfg *Config) {
		cfg.Retry.AttemptTimeout = 50 * time.Millisecond
		cfg.Retry.MaxAttempts = 2
	})
	_, err := c.GetImage(t.Context(), testImageID)
	if !IsTransient(err) || !strings.Contains(err.Error(), "attempt timed out") {
		t.Errorf("error = %v, want a transient attempt timeout", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("an attempt timeout must not look like the caller's deadline")
	}
}

func TestHungServerEndsWithTheContext(t *testing.T) {
	_, srv := newFakeAPI(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newTestClient(t, srv, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := c.ListImageMembers(ctx, testImageID)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want it to wrap context.DeadlineExceeded", err)
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Operation != "list image members" {
		t.Errorf("error = %#v, want an *Error naming the operation", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + listener.Addr().String()
	_ = listener.Close()
	c, err := New(Config{IAMEndpoint: addr, ImageEndpoint: addr, CredentialID: "i", CredentialSecret: "s",
		Retry: RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxAttempts: 3}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Authenticate(t.Context())
	text := fmt.Sprint(err)
	if !IsTransient(err) || !strings.Contains(text, "issue token") || !strings.Contains(text, "3 attempts") {
		t.Errorf("error = %v, want a transient issue token error after 3 attempts", err)
	}
	if got := c.Stats().Requests["POST "+tokenRoute]; got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { leaked.Add(1) }))
	defer elsewhere.Close()
	_, srv := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	})
	c := newTestClient(t, srv, nil)
	_, err := c.GetImage(t.Context(), testImageID)
	if err == nil || !strings.Contains(err.Error(), "302") {
		t.Errorf("error = %v, want the 302 reported", err)
	}
	if leaked.Load() != 0 {
		t.Error("the redirect was followed with the token")
	}
}

func TestBackoffStaysUnderItsCeiling(t *testing.T) {
	c, err := New(Config{IAMEndpoint: "http://127.0.0.1:1", ImageEndpoint: "http://127.0.0.1:1",
		Retry: RetryPolicy{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ceilings := map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		4: 800 * time.Millisecond, 5: time.Second, 60: time.Second}
	for attempt, ceiling := range ceilings {
		var longest time.Duration
		for range 500 {
			wait := c.backoff(attempt)
			if wait < 0 || wait > ceiling {
				t.Fatalf("backoff(%d) = %v, outside [0, %v]", attempt, wait, ceiling)
			}
			longest = max(longest, wait)
		}
		if longest < ceiling/2 {
			t.Errorf("backoff(%d) never passed %v in 500 draws; jitter should span up to %v", attempt, longest, ceiling)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-3", 0},
		{"1", time.Second},
		{"120", 2 * time.Minute},
		{"99999999999999999", maxRetryAfter},
		{"soon", 0},
		{"Tue, 02 Jan 2024 03:04:15 GMT", 10 * time.Second},
		{"Tue, 02 Jan 2024 03:00:00 GMT", 0},
		{"Wed, 03 Jan 2024 03:04:05 GMT", maxRetryAfter},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.value, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestNewValidatesEndpoints(t *testing.T) {
	tests := []struct {
		name      string
		iam       string
		image     string
		wantErr   string
		wantImage string
	}{
		{name: "plain", iam: "http://127.0.0.1:8080", image: "http://127.0.0.1:8080",
			wantImage: "http://127.0.0.1:8080/api/v1/images/x"},
		{name: "trailing slashes", iam: "https://iam.example/", image: "http://127.0.0.1:8080/image//",
			wantImage: "http://127.0.0.1:8080/image/api/v1/images/x"},
		{name: "empty", iam: "", image: "http://127.0.0.1", wantErr: "IAM endpoint is empty"},
		{name: "no scheme", iam: "iam.example.com", image: "http://127.0.0.1", wantErr: "must start with http"},
		{name: "ftp", iam: "http://127.0.0.1", image: "ftp://127.0.0.1", wantErr: "must start with http"},
		{name: "no host", iam: "http://", image: "http://127.0.0.1", wantErr: "has no host"},
		{name: "query", iam: "http://127.0.0.1?x=1", image: "http://127.0.0.1", wantErr: "query"},
		{name: "not a URL", iam: "http://[::1", image: "http://127.0.0.1", wantErr: "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{IAMEndpoint: tt.iam, ImageEndpoint: tt.image})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.imageURL("api", "v1", "images", "x"); got != tt.wantImage {
				t.Errorf("image URL = %q, want %q", got, tt.wantImage)
			}
		})
	}
}

func TestIDsAreEscapedIntoOnePathSegment(t *testing.T) {
	api, srv := newFakeAPI(t, answer(404, `{"error":{"code":"NotFound","message":"no"}}`))
	c := newTestClient(t, srv, nil)
	_, err := c.GetImage(t.Context(), "../../identity/v3/auth/tokens")
	if !IsNotFound(err) {
		t.Fatalf("error = %v", err)
	}
	if got := api.imageRequests()[0].URL.EscapedPath(); got != "/api/v1/images/..%2F..%2Fidentity%2Fv3%2Fauth%2Ftokens" {
		t.Errorf("path = %q", got)
	}
}
