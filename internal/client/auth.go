package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	tokenRoute          = "/identity/v3/auth/tokens"
	maxTokenRenewMargin = 60 * time.Second
)

// Token describes the token the Client holds. It never exposes the token string.
type Token struct {
	ProjectID   string
	ProjectName string
	ExpiresAt   time.Time // as the API stated it
}

// Authenticate returns the Client's token, issuing one if it has none or it is due for renewal.
// Wrong credentials give an *Error with status 401.
func (c *Client) Authenticate(ctx context.Context) (*Token, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, err
	}
	info := tok.info
	return &info, nil
}

// issuedToken is a token and when this Client must stop using it, on the local clock.
type issuedToken struct {
	value   string
	info    Token
	renewAt time.Time
}

// tokenCache holds the one token of a Client; issue is the call in flight, if any, that every
// goroutine needing a token waits for instead of issuing its own.
type tokenCache struct {
	mu      sync.Mutex
	current *issuedToken
	issue   *tokenIssue
}

type tokenIssue struct {
	done chan struct{}
	tok  *issuedToken
	err  error
}

// token returns a usable token: the cached one while it is not due for renewal, else the result
// of the one issue in flight, else a new issue this goroutine makes for everyone.
func (c *Client) token(ctx context.Context) (*issuedToken, error) {
	for {
		c.tokens.mu.Lock()
		if tok := c.tokens.current; tok != nil && c.now().Before(tok.renewAt) {
			c.tokens.mu.Unlock()
			return tok, nil
		}
		call := c.tokens.issue
		leader := call == nil
		if leader {
			call = &tokenIssue{done: make(chan struct{})}
			c.tokens.issue = call
		}
		c.tokens.mu.Unlock()
		if leader {
			call.tok, call.err = c.issueToken(ctx)
			c.tokens.mu.Lock()
			if call.err == nil {
				c.tokens.current = call.tok
			}
			c.tokens.issue = nil
			c.tokens.mu.Unlock()
			close(call.done)
			return call.tok, call.err
		}
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, &Error{Operation: "issue token", Err: ctx.Err()}
		}
		// The leader's own context may have ended; that says nothing about ours, so try again.
		if call.err != nil && !errors.Is(call.err, context.Canceled) && !errors.Is(call.err, context.DeadlineExceeded) {
			return nil, call.err
		}
		if call.err == nil {
			return call.tok, nil
		}
	}
}

// drop forgets tok after the API refused it, unless another goroutine already replaced it.
func (t *tokenCache) drop(tok *issuedToken) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current == tok {
		t.current = nil
	}
}

func (c *Client) issueToken(ctx context.Context) (*issuedToken, error) {
	req := &apiRequest{
		operation: "issue token",
		method:    http.MethodPost,
		route:     tokenRoute,
		url:       c.iamBase + tokenRoute,
		header:    http.Header{"Content-Type": {"application/json"}},
	}
	if c.credID == "" || c.credSecret == "" {
		return nil, c.fail(req, nil, "", errMissingCredential)
	}
	var body tokenRequest
	body.Auth.Identity.Methods = []string{"application_credential"}
	body.Auth.Identity.ApplicationCredential.ID = c.credID
	body.Auth.Identity.ApplicationCredential.Secret = c.credSecret
	req.body, _ = json.Marshal(body)
	res, err := c.do(ctx, req)
	if IsUnauthorized(err) {
		var apiErr *Error
		errors.As(err, &apiErr)
		apiErr.Message = "the application credential was rejected: " + apiErr.Message
		apiErr.Message = strings.TrimSuffix(apiErr.Message, ": ")
		return nil, apiErr
	}
	if err != nil {
		return nil, err
	}
	tok, err := c.tokenFromAnswer(req, res)
	if err != nil {
		return nil, err
	}
	c.count(func(s *Stats) { s.TokenIssues++ })
	return tok, nil
}

// tokenFromAnswer reads an issued token and works out when to renew it.
func (c *Client) tokenFromAnswer(req *apiRequest, res *apiResponse) (*issuedToken, error) {
	received := c.now()
	value := res.header.Get("X-Subject-Token")
	if value == "" {
		return nil, c.fail(req, res, "the answer has no X-Subject-Token header", nil)
	}
	var answer tokenAnswer
	if err := c.decodeAnswer(req, res, &answer); err != nil {
		return nil, err
	}
	if answer.Token == nil {
		return nil, c.fail(req, res, `the response has no "token" object`, nil)
	}
	if answer.Token.ExpiresAt == nil {
		return nil, c.fail(req, res, `the response field "token.expires_at" is missing`, nil)
	}
	expiresAt, err := c.parseAPITime(req, res, "token.expires_at", answer.Token.ExpiresAt)
	if err != nil {
		return nil, err
	}
	issuedAt, err := c.parseAPITime(req, res, "token.issued_at", answer.Token.IssuedAt)
	if err != nil {
		return nil, err
	}
	tok := &issuedToken{
		value: value,
		info: Token{
			ProjectID:   answer.Token.Project.ID,
			ProjectName: answer.Token.Project.Name,
			ExpiresAt:   expiresAt,
		},
	}
	// Measure the lifetime on the server's clock and count it from our own, so that clock skew
	// between the two cannot make a fresh token look expired or an old one look fresh.
	lifetime := expiresAt.Sub(received)
	if !issuedAt.IsZero() && expiresAt.After(issuedAt) {
		lifetime = expiresAt.Sub(issuedAt)
	}
	margin := min(lifetime/10, maxTokenRenewMargin)
	tok.renewAt = received.Add(lifetime - margin)
	return tok, nil
}

// redact removes the credential secret and the current token from text the API sent back, in
// case a server echoes them into a message that ends up in a diagnostic.
func (c *Client) redact(text string) string {
	if text == "" {
		return text
	}
	if c.credSecret != "" {
		text = strings.ReplaceAll(text, c.credSecret, "[redacted]")
	}
	c.tokens.mu.Lock()
	current := c.tokens.current
	c.tokens.mu.Unlock()
	if current != nil && current.value != "" {
		text = strings.ReplaceAll(text, current.value, "[redacted]")
	}
	return text
}

type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods               []string `json:"methods"`
			ApplicationCredential struct {
				ID     string `json:"id"`
				Secret string `json:"secret"`
			} `json:"application_credential"`
		} `json:"identity"`
	} `json:"auth"`
}

type tokenAnswer struct {
	Token *struct {
		ExpiresAt *string `json:"expires_at"`
		IssuedAt  *string `json:"issued_at"`
		Project   struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
	} `json:"token"`
}
