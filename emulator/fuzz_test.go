package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzRequests checks that any request gets a JSON answer in bounded time and never a panic.
func FuzzRequests(f *testing.F) {
	seeds := []struct {
		method, path, query string
		body                []byte
		auth                bool
	}{
		{"POST", "identity/v3/auth/tokens", "", []byte(tokenRequestBody(DefaultOwnerCredentialID, "x")), false},
		{"POST", "identity/v3/auth/tokens", "", []byte(`{"auth":{"identity":{"methods":null}}}`), false},
		{"GET", "identity/v3/auth/tokens", "", nil, true},
		{"GET", "api/v1/images", "limit=5&offset=2&sort_keys=name&sort_dirs=asc", nil, true},
		{"GET", "api/v1/images", "min_disk=gte:-1&created_at=lt:2024&visibility=shared", nil, true},
		{"GET", "api/v1/images/" + ownerImage, "", nil, true},
		{"PUT", "api/v1/images/" + ownerImage, "", []byte(`{"image":{"name":"x","min_disk":1e99}}`), true},
		{"PUT", "api/v1/images/" + ownerImage, "", []byte(`[1,2]`), true},
		{"DELETE", "api/v1/images/" + DefaultInactiveImageID, "", nil, true},
		{"GET", "api/v1/images/" + ownerImage + "/members", "limit=1001", nil, true},
		{"POST", "api/v1/images/" + ownerImage + "/members/" + otherProject, "", nil, true},
		{"DELETE", "api/v1/images/" + ownerImage + "/members/" + otherProject, "", nil, true},
		{"POST", "api/v1/images/%zz/members/..", "%%", []byte{0xff}, true},
		{"GET", "api/v1/client-endpoints/resolve", "", nil, false},
		{"POST", "_emulator/v1/faults", "", []byte(`{"rules":[{"action":"503","every":-3}]}`), false},
		{"POST", "_emulator/v1/delays", "", []byte(`{"propagation":1e300}`), false},
		{"GET", "_emulator/v1/images/" + ownerImage + "/members", "", nil, false},
		{"OPTIONS", "", "", nil, false},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.body, s.auth)
	}

	clock := newTestClock()
	s, err := New(Options{Clock: clock.Now})
	if err != nil {
		f.Fatal(err)
	}
	token := issueTokenDirect(f, s)

	f.Fuzz(func(t *testing.T, method, path, query string, body []byte, auth bool) {
		req, err := http.NewRequest(method, "http://127.0.0.1/"+path, bytes.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.URL.RawQuery = query
		if auth {
			req.Header.Set("X-Auth-Token", token)
			req.Header.Set("X-Subject-Token", token)
		}
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s %s?%s hung", method, path, query)
		}

		// Fuzzed controls may set faults or latency; put them back for the next input.
		s.SetFaults(Faults{})
		s.SetLatency(0)
		s.SetTokenLifetime(0)
		if !s.tokenValid(token) {
			token = issueTokenDirect(t, s)
		}

		if rec.Code == http.StatusNoContent {
			if rec.Body.Len() != 0 {
				t.Errorf("204 with a body: %q", rec.Body.Bytes())
			}
			return
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s?%s: %d with Content-Type %q", method, path, query, rec.Code, ct)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s %s?%s: %d with a body that is not JSON: %q", method, path, query, rec.Code, rec.Body.Bytes())
		}
	})
}

func (s *Server) tokenValid(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[value]
	return ok && tok.validAt(s.now())
}

// issueTokenDirect issues a token through the handler, with no listener.
func issueTokenDirect(tb testing.TB, s *Server) string {
	tb.Helper()
	body := tokenRequestBody(DefaultOwnerCredentialID, DefaultOwnerCredentialSecret)
	req := httptest.NewRequest(http.MethodPost, "/identity/v3/auth/tokens", bytes.NewReader([]byte(body)))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		tb.Fatalf("issue token: %d %s", rec.Code, rec.Body.String())
	}
	return rec.Header().Get("X-Subject-Token")
}
