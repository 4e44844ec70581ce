package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	tests := []struct {
		name       string
		id, secret string
		wantErr    string
		wantStatus int
	}{
		{name: "valid credential", id: testCredentialID, secret: testCredentialSecret},
		{name: "wrong secret", id: testCredentialID, secret: "not-the-secret", wantStatus: 401,
			wantErr: "issue token: 401 Unauthorized: the application credential was rejected"},
		{name: "unknown id", id: "00000000000000000000000000000000", secret: testCredentialSecret, wantStatus: 401,
			wantErr: "was rejected"},
		{name: "missing secret", id: testCredentialID, wantErr: "application credential id and secret are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, srv := newFakeAPI(t, answer(200, imageBody()))
			c := newTestClient(t, srv, func(cfg *Config) { cfg.CredentialID, cfg.CredentialSecret = tt.id, tt.secret })
			tok, err := c.Authenticate(t.Context())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if tok.ProjectID != testProjectID || tok.ProjectName != "emulator-owner" {
					t.Errorf("token project = %q %q", tok.ProjectID, tok.ProjectName)
				}
				if until := time.Until(tok.ExpiresAt); until < 59*time.Minute || until > 61*time.Minute {
					t.Errorf("token expires in %v, want about an hour", until)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			// The credential ID is a sensitive attribute of the provider, so it stays out as well.
			leaked := strings.Contains(err.Error(), testCredentialSecret) ||
				tt.secret != "" && strings.Contains(err.Error(), tt.secret) ||
				tt.id != "" && strings.Contains(err.Error(), tt.id)
			if leaked {
				t.Errorf("error names the secret: %v", err)
			}
			if got := IsUnauthorized(err); got != (tt.wantStatus == 401) {
				t.Errorf("IsUnauthorized = %v", got)
			}
			if tt.wantStatus == 401 && len(api.iamRequests) != 1 {
				t.Errorf("rejected credentials were sent %d times, want once", len(api.iamRequests))
			}
		})
	}
}

func TestTokenRequestShape(t *testing.T) {
	api, srv := newFakeAPI(t, answer(200, imageBody()))
	c := newTestClient(t, srv, nil)
	if _, err := c.GetImage(t.Context(), testImageID); err != nil {
		t.Fatal(err)
	}
	iam := api.iamRequests[0]
	if iam.Method != http.MethodPost || iam.Header.Get("Content-Type") != "application/json" {
		t.Errorf("IAM request %s with Content-Type %q", iam.Method, iam.Header.Get("Content-Type"))
	}
	if iam.Header.Get("X-Auth-Token") != "" {
		t.Error("IAM request carries X-Auth-Token")
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(api.iamBodies[0]), &body); err != nil {
		t.Fatal(err)
	}
	want := `{"auth":{"identity":{"application_credential":{"id":"` + testCredentialID +
		`","secret":"` + testCredentialSecret + `"},"methods":["application_credential"]}}}`
	if got, _ := json.Marshal(body); string(got) != want {
		t.Errorf("IAM body = %s, want %s", got, want)
	}
	for _, r := range append(api.iamRequests, api.imageRequests()...) {
		agent, accept := r.Header.Get("User-Agent"), r.Header.Get("Accept")
		if agent != "terraform-provider-kakaocloud/test" || accept != "application/json" {
			t.Errorf("%s %s: User-Agent %q, Accept %q", r.Method, r.URL.Path, agent, accept)
		}
	}
	if got := api.imageRequests()[0].Header.Get("X-Auth-Token"); got != "token-1" {
		t.Errorf("image request X-Auth-Token = %q", got)
	}
}

func TestTokenSharedByConcurrentCallers(t *testing.T) {
	api, srv := newFakeAPI(t, answer(200, imageBody()))
	api.issueDelay = 50 * time.Millisecond
	c := newTestClient(t, srv, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			if _, err := c.GetImage(t.Context(), testImageID); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if api.issuedCount() != 1 || c.Stats().TokenIssues != 1 {
		t.Errorf("tokens issued: server %d, client %d; want 1", api.issuedCount(), c.Stats().TokenIssues)
	}
}

func TestTokenRenewal(t *testing.T) {
	tests := []struct {
		name       string
		ttl        time.Duration
		advance    time.Duration
		wantIssues int
	}{
		{name: "fresh token reused", ttl: time.Hour, advance: 30 * time.Minute, wantIssues: 1},
		{name: "within 60s of expiry renewed", ttl: time.Hour, advance: time.Hour - 59*time.Second, wantIssues: 2},
		{name: "just outside the margin reused", ttl: time.Hour, advance: time.Hour - 61*time.Second, wantIssues: 1},
		{name: "short token renewed at 90%", ttl: 100 * time.Second, advance: 91 * time.Second, wantIssues: 2},
		{name: "short token reused before 90%", ttl: 100 * time.Second, advance: 89 * time.Second, wantIssues: 1},
		{name: "expired token renewed", ttl: time.Minute, advance: 2 * time.Minute, wantIssues: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, srv := newFakeAPI(t, answer(200, imageBody()))
			api.ttl = tt.ttl
			c := newTestClient(t, srv, nil)
			clock := &manualClock{now: time.Now()}
			c.now = clock.Now
			if _, err := c.GetImage(t.Context(), testImageID); err != nil {
				t.Fatal(err)
			}
			clock.Advance(tt.advance)
			if _, err := c.GetImage(t.Context(), testImageID); err != nil {
				t.Fatal(err)
			}
			if got := api.issuedCount(); got != tt.wantIssues {
				t.Errorf("tokens issued = %d, want %d", got, tt.wantIssues)
			}
		})
	}
}

func TestUnauthorizedReissuesOnce(t *testing.T) {
	tests := []struct {
		name        string
		image       http.HandlerFunc
		concurrent  int
		wantErr     bool
		wantIssues  int
		wantReauths int
	}{
		{name: "revoked token replaced", image: answer(200, imageBody()), concurrent: 1,
			wantIssues: 2, wantReauths: 1},
		{name: "revoked token replaced once for many callers", image: answer(200, imageBody()),
			concurrent: 16, wantIssues: 2, wantReauths: 16},
		{name: "second 401 returned", image: answer(401, `{"error":{"code":"Unauthorized","message":"no"}}`),
			concurrent: 1, wantErr: true, wantIssues: 2, wantReauths: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, srv := newFakeAPI(t, tt.image)
			c := newTestClient(t, srv, nil)
			if _, err := c.Authenticate(t.Context()); err != nil {
				t.Fatal(err)
			}
			api.revokeAll()
			var wg sync.WaitGroup
			errs := make(chan error, tt.concurrent)
			for range tt.concurrent {
				wg.Go(func() {
					_, err := c.GetImage(t.Context(), testImageID)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if (err != nil) != tt.wantErr {
					t.Errorf("GetImage error = %v, want error %v", err, tt.wantErr)
				}
				if err != nil && !IsUnauthorized(err) {
					t.Errorf("IsUnauthorized(%v) = false", err)
				}
			}
			if got := api.issuedCount(); got != tt.wantIssues {
				t.Errorf("tokens issued = %d, want %d", got, tt.wantIssues)
			}
			// Callers that start after the new token arrives never see a 401.
			if got := c.Stats().Reauths; got < 1 || got > tt.wantReauths {
				t.Errorf("reauths = %d, want 1 to %d", got, tt.wantReauths)
			}
		})
	}
}

func TestTokenAnswerProblems(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		body    string
		wantErr string
	}{
		{name: "no subject token", body: `{"token":{"expires_at":"2099-01-01T00:00:00Z"}}`, wantErr: "X-Subject-Token"},
		{name: "empty body", header: "t", body: "", wantErr: "empty body"},
		{name: "no expiry", header: "t", body: `{"token":{"project":{"id":"p"}}}`, wantErr: "token.expires_at"},
		{name: "bad expiry", header: "t", body: `{"token":{"expires_at":"tomorrow"}}`, wantErr: "RFC 3339"},
		{name: "no token object", header: "t", body: `{}`, wantErr: `no "token"`},
		{name: "number for project id", header: "t", body: `{"token":{"expires_at":"2099-01-01T00:00:00Z",
			"project":{"id":5}}}`, wantErr: `"token.project.id" holds a JSON number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(w http.ResponseWriter, _ *http.Request) {
				if tt.header != "" {
					w.Header().Set("X-Subject-Token", tt.header)
				}
				writeJSON(w, http.StatusOK, tt.body)
			})
			c := newTestClient(t, srv, nil)
			_, err := c.Authenticate(t.Context())
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.Operation != "issue token" {
				t.Fatalf("error = %#v, want *Error for issue token", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestWaitingCallerKeepsItsOwnContext(t *testing.T) {
	api, srv := newFakeAPI(t, answer(200, imageBody()))
	api.issueDelay = 200 * time.Millisecond
	c := newTestClient(t, srv, nil)
	leaderCtx, cancelLeader := context.WithCancel(t.Context())
	leaderDone := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(leaderCtx)
		leaderDone <- err
	}()
	time.Sleep(20 * time.Millisecond)
	waiterDone := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(t.Context())
		waiterDone <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancelLeader()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("leader error = %v, want context.Canceled", err)
	}
	if err := <-waiterDone; err != nil {
		t.Errorf("waiter error = %v; the leader's cancellation must not fail it", err)
	}
}
