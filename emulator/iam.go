package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

const unauthorizedMessage = "The request you have made requires authentication."

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeIAMError(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return
	}
	ident := req.Auth.Identity
	if !slices.Contains(ident.Methods, "application_credential") || ident.ApplicationCredential == nil {
		writeIAMError(w, http.StatusBadRequest, "Expected the application_credential method with its id and secret.")
		return
	}
	cred, ok := s.credentials[ident.ApplicationCredential.ID]
	if !ok || cred.Secret != ident.ApplicationCredential.Secret {
		writeIAMError(w, http.StatusUnauthorized, unauthorizedMessage)
		return
	}

	value, err := newTokenValue()
	if err != nil {
		writeIAMError(w, http.StatusInternalServerError, "Cannot issue a token.")
		return
	}
	s.mu.Lock()
	now := s.now()
	s.pruneTokensLocked(now)
	tok := &token{credentialID: cred.ID, issuedAt: now, expiresAt: now.Add(s.settings.tokenLifetime)}
	s.tokens[value] = tok
	s.mu.Unlock()

	w.Header().Set("X-Subject-Token", value)
	writeJSON(w, http.StatusCreated, s.tokenBody(tok))
}

// validateToken answers GET /identity/v3/auth/tokens: the caller's own token must be valid,
// and the subject token is reported or answered 404.
func (s *Server) validateToken(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(r); !ok {
		writeIAMError(w, http.StatusUnauthorized, unauthorizedMessage)
		return
	}
	subject := r.Header.Get("X-Subject-Token")
	if subject == "" {
		writeIAMError(w, http.StatusBadRequest, "The X-Subject-Token header is required.")
		return
	}

	s.mu.Lock()
	tok, ok := s.tokens[subject]
	valid := ok && tok.validAt(s.now())
	s.mu.Unlock()
	if !valid {
		writeIAMError(w, http.StatusNotFound, "The token is unknown or has expired.")
		return
	}
	w.Header().Set("X-Subject-Token", subject)
	writeJSON(w, http.StatusOK, s.tokenBody(tok))
}

// authenticate returns the caller's credential for a valid X-Auth-Token.
func (s *Server) authenticate(r *http.Request) (FixtureCredential, bool) {
	value := r.Header.Get("X-Auth-Token")
	if value == "" {
		return FixtureCredential{}, false
	}
	s.mu.Lock()
	tok, ok := s.tokens[value]
	valid := ok && tok.validAt(s.now())
	s.mu.Unlock()
	if !valid {
		return FixtureCredential{}, false
	}
	return s.credentials[tok.credentialID], true
}

// pruneTokensLocked forgets tokens that expired a while ago, so a long run does not grow.
func (s *Server) pruneTokensLocked(now time.Time) {
	for value, tok := range s.tokens {
		if now.Sub(tok.expiresAt) > time.Hour {
			delete(s.tokens, value)
		}
	}
}

func (s *Server) tokenBody(tok *token) tokenBody {
	cred := s.credentials[tok.credentialID]
	project := s.projects[cred.ProjectID]
	return tokenBody{Token: tokenDetail{
		ExpiresAt: formatTime(tok.expiresAt),
		IssuedAt:  formatTime(tok.issuedAt),
		Methods:   []string{"application_credential"},
		Project: tokenProject{
			ID: project.ID, Name: project.Name, Domain: namedRef{ID: "default", Name: "Default"},
		},
		User: tokenUser{
			ID: cred.UserID, Name: cred.UserName, Domain: namedRef{ID: "default", Name: "Default"},
		},
		Roles:                 []namedRef{{ID: derivedHex("kakaocloud-emulator/role/member"), Name: "member"}},
		ApplicationCredential: tokenCredential{ID: cred.ID, Name: cred.UserName + "-credential", Restricted: true},
	}}
}

func newTokenValue() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "emu-" + hex.EncodeToString(b), nil
}

func (t *token) validAt(now time.Time) bool {
	return !t.revoked && now.Before(t.expiresAt)
}

type token struct {
	credentialID string
	issuedAt     time.Time
	expiresAt    time.Time
	revoked      bool
}

type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods               []string `json:"methods"`
			ApplicationCredential *struct {
				ID     string `json:"id"`
				Secret string `json:"secret"`
			} `json:"application_credential"`
		} `json:"identity"`
	} `json:"auth"`
}

type tokenBody struct {
	Token tokenDetail `json:"token"`
}

type tokenDetail struct {
	ExpiresAt             string          `json:"expires_at"`
	IssuedAt              string          `json:"issued_at"`
	Methods               []string        `json:"methods"`
	Project               tokenProject    `json:"project"`
	User                  tokenUser       `json:"user"`
	Roles                 []namedRef      `json:"roles"`
	ApplicationCredential tokenCredential `json:"application_credential"`
}

type tokenProject struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Domain namedRef `json:"domain"`
}

type tokenUser struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Domain namedRef `json:"domain"`
}

type tokenCredential struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Restricted bool   `json:"restricted"`
}

type namedRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
