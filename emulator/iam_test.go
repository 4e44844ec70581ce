package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTokenIssue(t *testing.T) {
	s, clock := startEmulator(t, Options{TokenLifetime: 30 * time.Minute})
	c := &apiClient{t: t, base: s.URL(), http: http.DefaultClient}

	tests := []struct {
		name, body  string
		wantStatus  int
		wantProject string
	}{
		{"owner", tokenRequestBody(DefaultOwnerCredentialID, DefaultOwnerCredentialSecret), 201, DefaultOwnerProjectID},
		{"other", tokenRequestBody(DefaultOtherCredentialID, DefaultOtherCredentialSecret), 201, DefaultOtherProjectID},
		{"wrong secret", tokenRequestBody(DefaultOwnerCredentialID, "nope"), 401, ""},
		{"unknown id", tokenRequestBody("0000", DefaultOwnerCredentialSecret), 401, ""},
		{"not json", `{"auth":`, 400, ""},
		{"password method", `{"auth":{"identity":{"methods":["password"]}}}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.do(http.MethodPost, "/identity/v3/auth/tokens", tt.body)
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus != http.StatusCreated {
				var body iamErrorBody
				res.decode(t, &body)
				if body.Error.Code != tt.wantStatus || body.Error.Title == "" || body.Error.Message == "" {
					t.Errorf("error body = %+v", body)
				}
				if strings.Contains(string(res.body), DefaultOwnerCredentialSecret) {
					t.Errorf("error body names the secret: %s", res.body)
				}
				return
			}
			if res.header.Get("X-Subject-Token") == "" {
				t.Fatal("no X-Subject-Token header")
			}
			var body tokenBody
			res.decode(t, &body)
			expires, err := time.Parse(time.RFC3339, body.Token.ExpiresAt)
			if err != nil {
				t.Fatalf("expires_at %q: %v", body.Token.ExpiresAt, err)
			}
			if want := clock.Now().Add(30 * time.Minute); !expires.Equal(want) {
				t.Errorf("expires_at = %v, want %v", expires, want)
			}
			if body.Token.Project.ID != tt.wantProject || body.Token.Project.Domain.ID == "" {
				t.Errorf("project = %+v, want id %s", body.Token.Project, tt.wantProject)
			}
			if body.Token.User.ID == "" || len(body.Token.Roles) == 0 || len(body.Token.Methods) != 1 {
				t.Errorf("token body incomplete: %+v", body.Token)
			}
		})
	}
}

func TestTokenValidateAndExpiry(t *testing.T) {
	s, clock := startEmulator(t, Options{TokenLifetime: time.Minute})
	owner := ownerClient(t, s)
	other := otherClient(t, s)

	validate := func(c *apiClient, subject string) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/identity/v3/auth/tokens", nil)
		req.Header.Set("X-Auth-Token", c.token)
		req.Header.Set("X-Subject-Token", subject)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		return resp.StatusCode
	}

	if got := validate(owner, other.token); got != http.StatusOK {
		t.Errorf("validate a live token: %d, want 200", got)
	}
	if got := validate(owner, "emu-unknown"); got != http.StatusNotFound {
		t.Errorf("validate an unknown token: %d, want 404", got)
	}

	clock.Advance(59 * time.Second)
	if res := owner.do(http.MethodGet, "/api/v1/images", ""); res.status != http.StatusOK {
		t.Fatalf("before expiry: %d", res.status)
	}
	clock.Advance(time.Second)
	res := owner.do(http.MethodGet, "/api/v1/images", "")
	if res.status != http.StatusUnauthorized || res.errorCode(t) != "Unauthorized" {
		t.Fatalf("after expiry: %d %s, want 401", res.status, res.body)
	}

	fresh := ownerClient(t, s)
	if got := validate(fresh, owner.token); got != http.StatusNotFound {
		t.Errorf("validate an expired token: %d, want 404", got)
	}
	if got := validate(owner, fresh.token); got != http.StatusUnauthorized {
		t.Errorf("validate with an expired X-Auth-Token: %d, want 401", got)
	}
}

func TestExpireTokens(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	s.ExpireTokens()
	if res := owner.do(http.MethodGet, membersPath(ownerImage), ""); res.status != http.StatusUnauthorized {
		t.Fatalf("after ExpireTokens: %d, want 401", res.status)
	}
	if res := ownerClient(t, s).do(http.MethodGet, membersPath(ownerImage), ""); res.status != http.StatusOK {
		t.Fatalf("a token issued afterwards: %d, want 200", res.status)
	}
}

func TestUnauthorizedOnEveryRoute(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	paths := []struct{ method, path string }{
		{http.MethodGet, "/identity/v3/auth/tokens"},
		{http.MethodGet, "/api/v1/client-endpoints/resolve"},
		{http.MethodGet, "/api/v1/az-policies/resolve"},
		{http.MethodGet, "/api/v1/images"},
		{http.MethodGet, "/api/v1/images/" + ownerImage},
		{http.MethodPut, "/api/v1/images/" + ownerImage},
		{http.MethodDelete, "/api/v1/images/" + ownerImage},
		{http.MethodGet, membersPath(ownerImage)},
		{http.MethodPost, memberPath(ownerImage, otherProject)},
		{http.MethodDelete, memberPath(ownerImage, otherProject)},
	}
	for _, token := range []string{"", "emu-not-a-token"} {
		c := &apiClient{t: t, base: s.URL(), token: token, http: http.DefaultClient}
		for _, p := range paths {
			res := c.do(p.method, p.path, "")
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d, want 401", p.method, p.path, token, res.status)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s %s: Content-Type %q", p.method, p.path, ct)
			}
		}
	}
	if got := s.SharedWith(ownerImage); len(got) != 0 {
		t.Errorf("unauthorized requests changed members: %v", got)
	}
}

// The vendor SDK sends header names in lower case; Go canonicalises them on the way in.
func TestLowerCaseHeaders(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/images/"+ownerImage, nil)
	req.Header["x-auth-token"] = []string{owner.token}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("lower-case x-auth-token: %d, want 200", resp.StatusCode)
	}
}

func TestConfigAPI(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)

	var endpoints endpointsBody
	owner.do(http.MethodGet, "/api/v1/client-endpoints/resolve", "").decode(t, &endpoints)
	if !endpoints.Success {
		t.Error("success is false")
	}
	for _, key := range serviceKeys {
		if got := endpoints.Data.ServiceEndpoints[key]; got != s.URL() {
			t.Errorf("endpoint %s = %q, want %q", key, got, s.URL())
		}
	}

	var policies azPoliciesBody
	owner.do(http.MethodGet, "/api/v1/az-policies/resolve", "").decode(t, &policies)
	if !policies.Success || len(policies.Data.Services["bcs"]) == 0 || policies.Data.ID == "" {
		t.Errorf("az policies = %+v", policies)
	}
}
