package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const (
	testCredentialID     = "bd0a655cb1f747f584e1035f40495445"
	testCredentialSecret = "emulator-owner-secret"
	testProjectID        = "7699128bbf6d4ca49405f98f5570b7ff"
	testImageID          = "088b4056-65b3-4ef4-a478-2f4ae9abb98c"
	testMemberID         = "40d27972bf084e608de6514e850ee48b"
)

// fakeAPI is a small IAM plus a pluggable image handler. IAM issues tokens "token-N"; every other
// route needs a token it issued and has not revoked.
type fakeAPI struct {
	mu          sync.Mutex
	ttl         time.Duration
	issueDelay  time.Duration
	issued      int
	valid       map[string]bool
	requests    []*http.Request
	iamRequests []*http.Request
	iamBodies   []string
	image       http.HandlerFunc
}

func newFakeAPI(t *testing.T, image http.HandlerFunc) (*fakeAPI, *httptest.Server) {
	t.Helper()
	api := &fakeAPI{ttl: time.Hour, valid: map[string]bool{}, image: image}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return api, srv
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == tokenRoute {
		a.serveToken(w, r)
		return
	}
	a.mu.Lock()
	a.requests = append(a.requests, r.Clone(r.Context()))
	ok := a.valid[r.Header.Get("X-Auth-Token")]
	a.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusUnauthorized, `{"error":{"code":"Unauthorized","message":"token is not valid"}}`)
		return
	}
	a.image(w, r)
}

func (a *fakeAPI) serveToken(w http.ResponseWriter, r *http.Request) {
	var body tokenRequest
	err := json.NewDecoder(r.Body).Decode(&body)
	a.mu.Lock()
	a.iamRequests = append(a.iamRequests, r.Clone(r.Context()))
	raw, _ := json.Marshal(body)
	a.iamBodies = append(a.iamBodies, string(raw))
	delay := a.issueDelay
	a.mu.Unlock()
	time.Sleep(delay)
	cred := body.Auth.Identity.ApplicationCredential
	if err != nil || cred.ID != testCredentialID || cred.Secret != testCredentialSecret {
		writeJSON(w, http.StatusUnauthorized,
			`{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`)
		return
	}
	a.mu.Lock()
	a.issued++
	token := fmt.Sprintf("token-%d", a.issued)
	a.valid[token] = true
	ttl := a.ttl
	a.mu.Unlock()
	now := time.Now().UTC()
	w.Header().Set("X-Subject-Token", token)
	writeJSON(w, http.StatusCreated, fmt.Sprintf(`{"token":{"expires_at":%q,"issued_at":%q,
		"methods":["application_credential"],
		"project":{"id":%q,"name":"emulator-owner","domain":{"id":"default","name":"Default"}}}}`,
		now.Add(ttl).Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), testProjectID))
}

func (a *fakeAPI) revokeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.valid = map[string]bool{}
}

func (a *fakeAPI) issuedCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issued
}

func (a *fakeAPI) imageRequests() []*http.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*http.Request(nil), a.requests...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// newTestClient points a Client with millisecond backoffs at srv for both services.
func newTestClient(t *testing.T, srv *httptest.Server, mutate func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		IAMEndpoint:      srv.URL,
		ImageEndpoint:    srv.URL + "/",
		CredentialID:     testCredentialID,
		CredentialSecret: testCredentialSecret,
		UserAgent:        "terraform-provider-kakaocloud/test",
		Retry:            RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, MaxAttempts: 4},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// sequence answers each request with the next handler, repeating the last one.
func sequence(handlers ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	next := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handlers[min(next, len(handlers)-1)]
		next++
		mu.Unlock()
		h(w, r)
	}
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, status, body) }
}

func imageBody() string {
	return fmt.Sprintf(`{"image":{"id":%q,"name":"app-ubuntu-22.04","status":"active","owner":%q,
		"visibility":"private","is_shared":false,"size":10737418240,"min_disk":10,"instance_type":"vm",
		"os_info":{"type":"LINUX","distro":"ubuntu","architecture":"x86_64","admin_user":"ubuntu","is_hidden":false},
		"created_at":"2024-01-02T03:04:05Z","updated_at":"2024-01-02T03:04:06+09:00","description":null}}`,
		testImageID, testProjectID)
}

func memberJSON(id string, shared bool) string {
	return fmt.Sprintf(`{"id":%q,"image_id":%q,"status":"accepted","is_shared":%t,`+
		`"created_at":"2024-01-02T03:04:05Z","updated_at":"2024-01-02T03:04:05Z"}`, id, testImageID, shared)
}

// manualClock is a token clock tests move by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (m *manualClock) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

func (m *manualClock) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
}

// newRawServer sends every request, IAM included, to handler.
func newRawServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}
