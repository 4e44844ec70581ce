package emulator

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func control(t *testing.T, s *Server, method, name, body string) response {
	t.Helper()
	c := &apiClient{t: t, base: s.URL(), http: http.DefaultClient}
	return c.do(method, "/_emulator/v1/"+name, body)
}

func TestHTTPControls(t *testing.T) {
	s, clock := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	projects := DefaultProjectIDs()

	tests := []struct {
		name, body string
		check      func(t *testing.T)
	}{
		{"delays", `{"propagation":"2s","removal":3}`, func(t *testing.T) {
			owner.mustAdd(ownerImage, projects[0])
			if m := s.Members(ownerImage); m[0].IsShared {
				t.Error("member settled before the propagation delay")
			}
			clock.Advance(2 * time.Second)
			if m := s.Members(ownerImage); !m[0].IsShared {
				t.Error("member did not settle after the propagation delay")
			}
		}},
		{"member-quota", `{"quota":1}`, func(t *testing.T) {
			if res := owner.do(http.MethodPost, memberPath(ownerImage, projects[1]), ""); res.status != 413 {
				t.Errorf("add past quota 1: %d", res.status)
			}
		}},
		{"lag-member-list", `{"reads":1}`, func(t *testing.T) {
			if got := owner.listMembers(ownerImage, ""); len(got.Members) != 0 {
				t.Errorf("lagged list = %+v, want as before the add", got.Members)
			}
		}},
		{"faults", `{"rules":[{"route":"get_image","action":"429","times":1,"retry_after":"4s"}]}`,
			func(t *testing.T) {
				res := owner.do(http.MethodGet, "/api/v1/images/"+ownerImage, "")
				if res.status != 429 || res.header.Get("Retry-After") != "4" {
					t.Errorf("after fault control: %d Retry-After %q", res.status, res.header.Get("Retry-After"))
				}
			}},
		{"token-lifetime", `{"lifetime":"1m"}`, func(t *testing.T) {
			short := ownerClient(t, s)
			clock.Advance(time.Minute)
			if res := short.do(http.MethodGet, "/api/v1/images", ""); res.status != 401 {
				t.Errorf("token outlived its lifetime: %d", res.status)
			}
			owner = ownerClient(t, s)
		}},
		{"expire-tokens", ``, func(t *testing.T) {
			if res := owner.do(http.MethodGet, "/api/v1/images", ""); res.status != 401 {
				t.Errorf("after expire-tokens: %d", res.status)
			}
			owner = ownerClient(t, s)
		}},
		{"latency", `{"latency":"30ms"}`, func(t *testing.T) {
			started := time.Now()
			owner.do(http.MethodGet, "/api/v1/images/"+ownerImage, "")
			if took := time.Since(started); took < 30*time.Millisecond {
				t.Errorf("request took %v with 30ms latency", took)
			}
			s.SetLatency(0)
		}},
		{"reset", ``, func(t *testing.T) {
			if got := s.SharedWith(ownerImage); len(got) != 0 {
				t.Errorf("after reset SharedWith = %v", got)
			}
			if got := s.Counters().ByRoute; len(got) != 0 {
				t.Errorf("after reset counters = %v", got)
			}
			if res := owner.do(http.MethodGet, "/api/v1/images", ""); res.status != 200 {
				t.Errorf("reset dropped tokens: %d", res.status)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := control(t, s, http.MethodPost, tt.name, tt.body)
			if res.status != http.StatusOK {
				t.Fatalf("control %s: %d %s", tt.name, res.status, res.body)
			}
			var settings settingsBody
			res.decode(t, &settings)
			tt.check(t)
		})
	}

	for _, bad := range []struct{ method, name, body string }{
		{http.MethodPost, "faults", `{"rules":[{"action":"explode"}]}`},
		{http.MethodPost, "delays", `{"propagation":"soon"}`},
		{http.MethodPost, "nothing-here", `{}`},
		{http.MethodDelete, "reset", ``},
		{http.MethodGet, "images/nope/members", ``},
	} {
		if res := control(t, s, bad.method, bad.name, bad.body); res.status < 400 {
			t.Errorf("%s %s: %d, want an error", bad.method, bad.name, res.status)
		}
	}
}

func TestCountersAndControlMembers(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	owner.mustAdd(ownerImage, otherProject)
	owner.listMembers(ownerImage, "")
	owner.listMembers(ownerImage, "")
	control(t, s, http.MethodGet, "counters", "")

	var counters Counters
	control(t, s, http.MethodGet, "counters", "").decode(t, &counters)
	if counters.ByRoute[RouteTokenIssue] != 1 || counters.ByRoute[RouteListMembers] != 2 ||
		counters.ByImage[ownerImage][RouteAddMember] != 1 {
		t.Errorf("counters = %+v", counters)
	}
	if _, ok := counters.ByRoute["counters"]; ok {
		t.Error("control requests are counted")
	}

	var truth struct {
		Members    []MemberRecord `json:"members"`
		SharedWith []string       `json:"shared_with"`
	}
	control(t, s, http.MethodGet, "images/"+ownerImage+"/members", "").decode(t, &truth)
	if len(truth.Members) != 1 || !slices.Equal(truth.SharedWith, []string{otherProject}) {
		t.Errorf("control members = %+v", truth)
	}

	s.ResetCounters()
	if got := s.Counters(); len(got.ByRoute) != 0 || len(got.ByImage) != 0 {
		t.Errorf("after ResetCounters = %+v", got)
	}
}

// Controls take no latency and no faults, so a test can always reach them.
func TestControlsBypassLatencyAndFaults(t *testing.T) {
	s, _ := startEmulator(t, Options{
		Latency: time.Hour,
		Faults:  Faults{Rate503: 1, Routes: allRoutes},
	})
	if res := control(t, s, http.MethodGet, "counters", ""); res.status != 200 {
		t.Fatalf("counters: %d", res.status)
	}
	s.SetLatency(0)
	s.SetFaults(Faults{})
	ownerClient(t, s)
}

func TestLoggerNamesNoSecrets(t *testing.T) {
	var logs syncBuffer
	s, _ := startEmulator(t, Options{Logger: &logs})
	owner := ownerClient(t, s)
	owner.do(http.MethodGet, membersPath(ownerImage)+"?limit=5&secret=hunter2", "")

	out := logs.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "GET "+membersPath(ownerImage)+" 200 ") {
		t.Fatalf("log = %q", out)
	}
	for _, secret := range []string{owner.token, DefaultOwnerCredentialSecret, "hunter2"} {
		if strings.Contains(out, secret) {
			t.Errorf("log names a secret: %q", out)
		}
	}
}

func TestStateFileSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := newTestClock()
	first, err := New(Options{StateFile: path, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	owner := ownerClient(t, first)
	owner.mustAdd(ownerImage, otherProject)
	owner.do(http.MethodPut, "/api/v1/images/"+ownerImage, `{"name":"kept"}`)
	owner.do(http.MethodDelete, "/api/v1/images/"+DefaultInactiveImageID, "")

	// Each write is on disk before it is answered, not only at Close.
	saved, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(saved, []byte(otherProject)) {
		t.Fatalf("state file after add: %v %s", err, saved)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := NewTestServer(t, Options{StateFile: path, Clock: clock.Now})
	owner = ownerClient(t, second)
	if got := second.SharedWith(ownerImage); !slices.Equal(got, []string{otherProject}) {
		t.Errorf("after restart SharedWith = %v", got)
	}
	if name := deref(owner.getImage(ownerImage).Name); name != "kept" {
		t.Errorf("after restart name = %q", name)
	}
	if res := owner.do(http.MethodGet, "/api/v1/images/"+DefaultInactiveImageID, ""); res.status != 404 {
		t.Errorf("deleted image is back: %d", res.status)
	}

	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("state dir holds %d files, want only the state file", len(entries))
	}

	second.Reset()
	third, err := New(Options{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if got := third.SharedWith(ownerImage); len(got) != 0 {
		t.Errorf("reset was not saved: %v", got)
	}
}

func TestBadStateFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage":       "{",
		"version":       `{"version":9,"images":[]}`,
		"unknown owner": `{"version":1,"images":[{"id":"` + ownerImage + `","owner":"` + strings.Repeat("0", 32) + `"}]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Options{StateFile: path}); err == nil {
			t.Errorf("%s: New accepted the state file", name)
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
