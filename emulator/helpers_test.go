package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	ownerImage   = DefaultActiveImageID
	otherProject = DefaultOtherProjectID
)

// testClock is the replaceable clock every delay in these tests runs on.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2025, time.June, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startEmulator starts a server on a test clock; opts.Clock is always replaced.
func startEmulator(t testing.TB, opts Options) (*Server, *testClock) {
	t.Helper()
	clock := newTestClock()
	opts.Clock = clock.Now
	return NewTestServer(t, opts), clock
}

type apiClient struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
}

func newClient(t testing.TB, s *Server, credentialID, secret string) *apiClient {
	t.Helper()
	c := &apiClient{t: t, base: s.URL(), http: &http.Client{Timeout: 10 * time.Second}}
	res := c.do(http.MethodPost, "/identity/v3/auth/tokens", tokenRequestBody(credentialID, secret))
	if res.status != http.StatusCreated {
		t.Fatalf("issue token: status %d, body %s", res.status, res.body)
	}
	c.token = res.header.Get("X-Subject-Token")
	return c
}

func ownerClient(t testing.TB, s *Server) *apiClient {
	return newClient(t, s, DefaultOwnerCredentialID, DefaultOwnerCredentialSecret)
}

func otherClient(t testing.TB, s *Server) *apiClient {
	return newClient(t, s, DefaultOtherCredentialID, DefaultOtherCredentialSecret)
}

func tokenRequestBody(id, secret string) string {
	return `{"auth":{"identity":{"methods":["application_credential"],` +
		`"application_credential":{"id":"` + id + `","secret":"` + secret + `"}}}}`
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *apiClient) do(method, path, body string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("build request: %v", err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// decode checks the contract's Content-Type and decodes the JSON body.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json (status %d, body %s)", ct, r.status, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) errorCode(t testing.TB) string {
	t.Helper()
	var body errorBody
	r.decode(t, &body)
	return body.Error.Code
}

func (r response) detailLocs(t testing.TB) []string {
	t.Helper()
	var body validationBody
	r.decode(t, &body)
	var locs []string
	for _, d := range body.Detail {
		locs = append(locs, strings.Join(d.Loc, "."))
	}
	return locs
}

func membersPath(imageID string) string {
	return "/api/v1/images/" + imageID + "/members"
}

func memberPath(imageID, project string) string {
	return membersPath(imageID) + "/" + project
}

// listMembers reads one page of the member list.
func (c *apiClient) listMembers(imageID, query string) memberListBody {
	c.t.Helper()
	res := c.do(http.MethodGet, membersPath(imageID)+query, "")
	if res.status != http.StatusOK {
		c.t.Fatalf("list members: status %d, body %s", res.status, res.body)
	}
	var body memberListBody
	res.decode(c.t, &body)
	return body
}

func (c *apiClient) getImage(imageID string) imageBody {
	c.t.Helper()
	res := c.do(http.MethodGet, "/api/v1/images/"+imageID, "")
	if res.status != http.StatusOK {
		c.t.Fatalf("get image: status %d, body %s", res.status, res.body)
	}
	var body imageEnvelope
	res.decode(c.t, &body)
	return body.Image
}

func (c *apiClient) mustAdd(imageID, project string) {
	c.t.Helper()
	if res := c.do(http.MethodPost, memberPath(imageID, project), ""); res.status != http.StatusOK {
		c.t.Fatalf("add %s: status %d, body %s", project, res.status, res.body)
	}
}
