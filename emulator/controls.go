package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const controlPrefix = "/_emulator/v1/"

// SetDelays changes the propagation and removal delays; members already accepted stay so.
func (s *Server) SetDelays(propagation, removal time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, img := range s.images {
		s.settings.settle(img, now) // pin what the old delays already made true
	}
	s.settings.propagation, s.settings.removal = propagation, removal
}

// SetLatency changes the delay added to every API request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.latency = max(d, 0)
}

// SetFaults replaces the faults and restarts their counts; it panics on an invalid rule, which
// is a mistake in the calling test.
func (s *Server) SetFaults(f Faults) {
	if err := f.validate(); err != nil {
		panic("emulator: SetFaults: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaultsLocked(f)
}

// SetTokenLifetime changes the lifetime of tokens issued from now on; <= 0 restores 1h.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.tokenLifetime = orDefault(d, defaultTokenLifetime)
}

// SetMemberQuota changes the number of members an image may have; <= 0 restores 128.
func (s *Server) SetMemberQuota(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.memberQuota = orDefault(n, defaultMemberQuota)
}

// ExpireTokens makes every token issued so far invalid.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tok := range s.tokens {
		tok.revoked = true
	}
}

// LagMemberList makes the next reads list-members answers show the list as it was before the
// latest write to that image (while armed, before the first write made after arming).
func (s *Server) LagMemberList(reads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lagReads = max(reads, 0)
	s.lagGen++
}

// Reset restores the fixture's images and members and zeroes counters; settings and issued
// tokens are kept, so a client in the middle of a run keeps working.
func (s *Server) Reset() {
	s.mu.Lock()
	s.images = newImageStates(s.fixture)
	s.lagReads = 0
	s.setFaultsLocked(s.faults)
	s.resetCountersLocked()
	s.mu.Unlock()
	s.saveAfterWrite()
}

// Counters returns a copy of the request counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counters{
		ByRoute: maps.Clone(s.counters.ByRoute),
		ByImage: make(map[string]map[string]int64, len(s.counters.ByImage)),
		Faults:  maps.Clone(s.counters.Faults),
	}
	for id, byRoute := range s.counters.ByImage {
		c.ByImage[id] = maps.Clone(byRoute)
	}
	return c
}

// ResetCounters zeroes the request and fault counters.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetCountersLocked()
}

func (s *Server) resetCountersLocked() {
	s.counters = Counters{
		ByRoute: map[string]int64{}, ByImage: map[string]map[string]int64{}, Faults: map[string]int64{},
	}
}

// Members is the emulator's own truth for an image, sorted by project, including pending and
// lingering removed members; nil for an unknown image.
func (s *Server) Members(imageID string) []MemberRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.membersLocked(imageID, s.now())
}

// SharedWith lists the projects currently members (pending or accepted, not removed), sorted.
func (s *Server) SharedWith(imageID string) []string {
	var ids []string
	for _, m := range s.Members(imageID) {
		if !m.Removed {
			ids = append(ids, m.ProjectID)
		}
	}
	return ids
}

func isControlPath(path string) bool {
	return strings.HasPrefix(path, controlPrefix) || path == strings.TrimSuffix(controlPrefix, "/")
}

// serveControl exposes the Go controls over HTTP; bodies are JSON and durations are Go
// duration strings ("1.5s") or numbers of seconds.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	name := strings.Trim(strings.TrimPrefix(r.URL.Path, controlPrefix), "/")
	if id, ok := strings.CutSuffix(strings.TrimPrefix(name, "images/"), "/members"); ok &&
		strings.HasPrefix(name, "images/") {
		s.controlMembers(w, r, id)
		return
	}
	if name == "counters" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, s.Counters())
		return
	}
	if name == "settings" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, s.settingsBody())
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		writeError(w, http.StatusMethodNotAllowed, "Controls take POST or PUT; counters and settings take GET.")
		return
	}

	var body controlBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		msg := "Body should be a JSON object: " + err.Error()
		writeValidation(w, []fieldProblem{problem("body", "", msg, "json_invalid")})
		return
	}
	switch name {
	case "delays":
		s.mu.Lock()
		cur := s.settings
		s.mu.Unlock()
		s.SetDelays(body.Propagation.or(cur.propagation), body.Removal.or(cur.removal))
	case "latency":
		s.SetLatency(body.Latency.or(0))
	case "token-lifetime":
		s.SetTokenLifetime(body.Lifetime.or(0))
	case "member-quota":
		s.SetMemberQuota(body.Quota)
	case "faults":
		f := body.faults()
		if err := f.validate(); err != nil {
			writeValidation(w, []fieldProblem{problem("body", "", err.Error(), "value_error")})
			return
		}
		s.SetFaults(f)
	case "expire-tokens":
		s.ExpireTokens()
	case "lag-member-list":
		s.LagMemberList(body.Reads)
	case "reset":
		s.Reset()
	case "reset-counters":
		s.ResetCounters()
	default:
		writeError(w, http.StatusNotFound, "No such control.")
		return
	}
	writeJSON(w, http.StatusOK, s.settingsBody())
}

func (s *Server) controlMembers(w http.ResponseWriter, r *http.Request, imageID string) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "Members take GET.")
		return
	}
	if !isImageID(imageID) {
		writeValidation(w, []fieldProblem{problem("path", "image_id", "Input should be a valid UUID", "uuid_parsing")})
		return
	}
	s.mu.Lock()
	_, known := s.images[lower(imageID)]
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, "Image "+lower(imageID)+" was not found.")
		return
	}
	members := s.Members(imageID)
	shared := s.SharedWith(imageID)
	writeJSON(w, http.StatusOK, struct {
		Members    []MemberRecord `json:"members"`
		SharedWith []string       `json:"shared_with"`
	}{Members: members, SharedWith: append([]string{}, shared...)})
}

func (s *Server) settingsBody() settingsBody {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.settings
	return settingsBody{
		Propagation: st.propagation.String(), Removal: st.removal.String(), Latency: st.latency.String(),
		TokenLifetime: st.tokenLifetime.String(), MemberQuota: st.memberQuota, MaxPageSize: st.maxPageSize,
		LagReads: s.lagReads,
	}
}

func (b controlBody) faults() Faults {
	f := Faults{
		Rate503: b.Rate503, Rate429: b.Rate429, RateDrop: b.RateDrop, RetryAfter: b.RetryAfter.or(0),
		Seed: b.Seed, Routes: slices.Clone(b.Routes),
	}
	for _, r := range b.Rules {
		f.Rules = append(f.Rules, FaultRule{
			Route: r.Route, ImageID: r.ImageID, Every: r.Every, After: r.After, Times: r.Times, Action: r.Action,
			RetryAfter: r.RetryAfter.or(0),
		})
	}
	return f
}

// UnmarshalJSON takes a Go duration string or a number of seconds.
func (d *jsonDuration) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		v, err := time.ParseDuration(text)
		if err != nil {
			return err
		}
		*d = jsonDuration{set: true, value: v}
		return nil
	}
	seconds, err := strconv.ParseFloat(string(data), 64)
	if err != nil {
		return fmt.Errorf("duration %s is neither a string like \"1.5s\" nor a number of seconds", data)
	}
	*d = jsonDuration{set: true, value: time.Duration(seconds * float64(time.Second))}
	return nil
}

func (d jsonDuration) or(fallback time.Duration) time.Duration {
	if !d.set {
		return fallback
	}
	return d.value
}

// Counters are request counts since the start or the last reset.
type Counters struct {
	ByRoute map[string]int64            `json:"by_route"`
	ByImage map[string]map[string]int64 `json:"by_image"` // image ID -> route -> count
	Faults  map[string]int64            `json:"faults"`   // by action
}

type jsonDuration struct {
	set   bool
	value time.Duration
}

type controlBody struct {
	Propagation jsonDuration `json:"propagation"`
	Removal     jsonDuration `json:"removal"`
	Latency     jsonDuration `json:"latency"`
	Lifetime    jsonDuration `json:"lifetime"`
	Quota       int          `json:"quota"`
	Reads       int          `json:"reads"`
	Rate503     float64      `json:"rate_503"`
	Rate429     float64      `json:"rate_429"`
	RateDrop    float64      `json:"rate_drop"`
	RetryAfter  jsonDuration `json:"retry_after"`
	Seed        int64        `json:"seed"`
	Routes      []string     `json:"routes"`
	Rules       []struct {
		Route      string       `json:"route"`
		ImageID    string       `json:"image_id"`
		Every      int          `json:"every"`
		After      int          `json:"after"`
		Times      int          `json:"times"`
		Action     string       `json:"action"`
		RetryAfter jsonDuration `json:"retry_after"`
	} `json:"rules"`
}

type settingsBody struct {
	Propagation   string `json:"propagation"`
	Removal       string `json:"removal"`
	Latency       string `json:"latency"`
	TokenLifetime string `json:"token_lifetime"`
	MemberQuota   int    `json:"member_quota"`
	MaxPageSize   int    `json:"max_page_size"`
	LagReads      int    `json:"lag_reads"`
}
