// Package client is the typed client of the KakaoCloud IAM and Image APIs used by the provider.
// It owns the token, retries, pagination and error decoding, so that callers deal only in typed
// values and *Error.
package client

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	defaultUserAgent         = "terraform-provider-kakaocloud"
	defaultPageSize          = 1000
	defaultMaxParallelWrites = 64
	defaultMinBackoff        = 200 * time.Millisecond
	defaultMaxBackoff        = 10 * time.Second
	defaultMaxAttempts       = 8
	defaultAttemptTimeout    = 60 * time.Second
)

// Config configures a Client. Zero values take the defaults documented on each field.
type Config struct {
	IAMEndpoint   string // base URL of IAM, e.g. https://iam.kakaocloud.com
	ImageEndpoint string // base URL of the Image API

	CredentialID     string
	CredentialSecret string

	UserAgent         string       // default "terraform-provider-kakaocloud"
	HTTPClient        *http.Client // nil: a client with transport timeouts that never follows redirects
	PageSize          int          // members page size, default 1000 (the API's maximum)
	MaxParallelWrites int          // starting and maximum limit of the AdaptiveLimiter, default 64
	Retry             RetryPolicy
}

// RetryPolicy says how transient failures are retried. Retries also stop when the context ends,
// and stop early when the next wait would pass the context's deadline.
type RetryPolicy struct {
	MinBackoff  time.Duration // first backoff ceiling, default 200ms; doubles per attempt, full jitter
	MaxBackoff  time.Duration // backoff ceiling, default 10s
	MaxAttempts int           // attempts in all, default 8
	// AttemptTimeout bounds one attempt (default 60s), so that a hung connection is retried
	// instead of eating the whole operation's deadline.
	AttemptTimeout time.Duration
}

// Client is safe for use by many goroutines; they share one token and one write limiter.
type Client struct {
	iamBase    string
	imageBase  string
	credID     string
	credSecret string
	userAgent  string
	http       *http.Client
	pageSize   int
	retry      RetryPolicy
	writes     *AdaptiveLimiter
	tokens     tokenCache
	now        func() time.Time // replaced in tests to move the token clock

	statsMu sync.Mutex
	stats   Stats
}

// Stats counts what a Client did, for tests and benchmarks.
type Stats struct {
	Requests    map[string]int // HTTP attempts by route, e.g. "GET /api/v1/images/{image_id}/members"
	Retries     int            // attempts repeated after a transient failure
	Reauths     int            // calls repeated with a new token after a 401
	TokenIssues int            // tokens issued successfully
}

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	iamBase, err := baseURL("IAM", cfg.IAMEndpoint)
	if err != nil {
		return nil, err
	}
	imageBase, err := baseURL("image", cfg.ImageEndpoint)
	if err != nil {
		return nil, err
	}
	c := &Client{
		iamBase:    iamBase,
		imageBase:  imageBase,
		credID:     cfg.CredentialID,
		credSecret: cfg.CredentialSecret,
		userAgent:  cfg.UserAgent,
		http:       cfg.HTTPClient,
		pageSize:   cfg.PageSize,
		retry:      cfg.Retry,
		now:        time.Now,
		stats:      Stats{Requests: map[string]int{}},
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	if c.http == nil {
		c.http = newHTTPClient()
	}
	if c.pageSize <= 0 {
		c.pageSize = defaultPageSize
	}
	if c.retry.MinBackoff <= 0 {
		c.retry.MinBackoff = defaultMinBackoff
	}
	if c.retry.MaxBackoff <= 0 {
		c.retry.MaxBackoff = defaultMaxBackoff
	}
	c.retry.MaxBackoff = max(c.retry.MaxBackoff, c.retry.MinBackoff)
	if c.retry.MaxAttempts <= 0 {
		c.retry.MaxAttempts = defaultMaxAttempts
	}
	if c.retry.AttemptTimeout <= 0 {
		c.retry.AttemptTimeout = defaultAttemptTimeout
	}
	parallel := cfg.MaxParallelWrites
	if parallel <= 0 {
		parallel = defaultMaxParallelWrites
	}
	c.writes = NewAdaptiveLimiter(parallel)
	return c, nil
}

// Stats returns a copy of the counters.
func (c *Client) Stats() Stats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	out := c.stats
	out.Requests = make(map[string]int, len(c.stats.Requests))
	for route, n := range c.stats.Requests {
		out.Requests[route] = n
	}
	return out
}

// WriteLimit returns the current limit of concurrent member additions and removals.
func (c *Client) WriteLimit() int { return c.writes.Limit() }

func (c *Client) count(update func(*Stats)) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	update(&c.stats)
}

func baseURL(service, raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("the %s endpoint is empty", service)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("the %s endpoint %q is not a URL: %w", service, raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("the %s endpoint %q must start with http:// or https://", service, raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("the %s endpoint %q has no host", service, raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("the %s endpoint %q must not carry user info, a query or a fragment", service, raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func newHTTPClient() *http.Client {
	transport := &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true, MaxIdleConns: 100,
		IdleConnTimeout: 90 * time.Second, ExpectContinueTimeout: time.Second}
	if defaults, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = defaults.Clone()
	}
	transport.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = 10 * time.Second
	transport.ResponseHeaderTimeout = 60 * time.Second
	transport.MaxIdleConnsPerHost = 64
	return &http.Client{
		Transport: transport,
		// A redirect would carry X-Auth-Token to wherever it points; the API never redirects.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// errMissingCredential is answered without a network call when New was given no credential.
var errMissingCredential = errors.New("application credential id and secret are required")
