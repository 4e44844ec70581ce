package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

func TestRouteOf(t *testing.T) {
	img := "/api/v1/images/" + emulator.DefaultActiveImageID
	tests := []struct {
		method, path, want string
	}{
		{"POST", "/identity/v3/auth/tokens", emulator.RouteTokenIssue},
		{"GET", "/identity/v3/auth/tokens", routeOther},
		{"GET", img + "/members", emulator.RouteListMembers},
		{"GET", img + "/members/", emulator.RouteListMembers},
		{"POST", img + "/members/0023a4d530d7328fc23e4bdfe637574e", emulator.RouteAddMember},
		{"DELETE", img + "/members/0023a4d530d7328fc23e4bdfe637574e", emulator.RouteRemoveMember},
		{"GET", img, routeOther},
		{"GET", "/api/v1/client-endpoints/resolve", routeOther},
	}
	for _, tt := range tests {
		if got := routeOf(tt.method, tt.path); got != tt.want {
			t.Errorf("routeOf(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestBuildTimeline(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(route string, from, to int) requestEvent { return requestEvent{route, at(from), at(to)} }
	tests := []struct {
		name   string
		events []requestEvent
		peak   map[string]int
		want   timeline
	}{
		{
			name: "no requests",
			want: timeline{TailMS: 1000},
		},
		{
			name: "list, adds, then polls",
			events: []requestEvent{
				ev(emulator.RouteTokenIssue, 100, 150),
				ev(emulator.RouteListMembers, 150, 200),
				ev(emulator.RouteAddMember, 200, 250),
				ev(emulator.RouteAddMember, 210, 300),
				ev(emulator.RouteListMembers, 450, 500),
				ev(emulator.RouteListMembers, 700, 750),
			},
			peak: map[string]int{emulator.RouteAddMember: 2},
			want: timeline{FirstRequestMS: 100, ChangesMS: 100, WaitMS: 450, TailMS: 250,
				WaitListCalls: 2, ListCallsBefore: 1, PeakChangesInFlight: 2, SequentialRounds: 5},
		},
		{
			name: "a list interleaved with the changes counts as a wait call",
			events: []requestEvent{
				ev(emulator.RouteRemoveMember, 0, 100),
				ev(emulator.RouteListMembers, 50, 120),
			},
			peak: map[string]int{emulator.RouteRemoveMember: 1},
			want: timeline{ChangesMS: 100, WaitMS: 20, TailMS: 880, WaitListCalls: 1, PeakChangesInFlight: 1,
				SequentialRounds: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildTimeline(t0, at(1000), tt.events, tt.peak); got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name     string
		status   string
		wantName string
		wantHWM  int64
		wantOK   bool
	}{
		{"provider", "Name:\tterraform-provi\nState:\tS\nVmHWM:\t   24264 kB\nVmRSS:\t 20000 kB\n",
			"terraform-provi", 24264, true},
		{"kernel thread has no VmHWM", "Name:\tkworker/0:1\nState:\tI\n", "kworker/0:1", 0, true},
		{"garbled size", "Name:\tx\nVmHWM:\tlots kB\n", "", 0, false},
		{"empty", "", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, hwm, ok := parseStatus([]byte(tt.status))
			if name != tt.wantName || hwm != tt.wantHWM || ok != tt.wantOK {
				t.Errorf("got (%q, %d, %v), want (%q, %d, %v)", name, hwm, ok, tt.wantName, tt.wantHWM, tt.wantOK)
			}
		})
	}
}

func TestProjectIDsExtendTheFixture(t *testing.T) {
	defaults := emulator.DefaultProjectIDs()
	ids := projectIDs(1000)
	if len(ids) != 1000 || ids[0] != defaults[0] || ids[len(defaults)-1] != defaults[len(defaults)-1] {
		t.Fatalf("projectIDs(1000) does not start with the fixture's %d projects", len(defaults))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("project %s listed twice", id)
		}
		seen[id] = true
	}
	// The emulator rejects a fixture with a malformed or repeated project.
	if _, err := emulator.New(emulator.Options{Fixture: benchFixture(1000)}); err != nil {
		t.Fatalf("fixture for 1000 members: %v", err)
	}
}

func TestChange(t *testing.T) {
	tests := []struct {
		old, cur float64
		want     string
	}{
		{1000, 1000, "1.00s"},
		{1000, 1500, "1.00s -> 1.50s (+50%)"},
		{2000, 1000, "2.00s -> 1.00s (-50%)"},
		{0, 1000, "0.00s -> 1.00s"},
	}
	for _, tt := range tests {
		if got := change(tt.old, tt.cur, secs); got != tt.want {
			t.Errorf("change(%v, %v) = %q, want %q", tt.old, tt.cur, got, tt.want)
		}
	}
}

func TestSharingConfigListsEveryProject(t *testing.T) {
	projects := projectIDs(3)
	cfg := sharingConfig(emulator.DefaultActiveImageID, projects)
	for _, want := range append(projects, emulator.DefaultActiveImageID, providerSource) {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %s:\n%s", want, cfg)
		}
	}
}

func TestCheckTargets(t *testing.T) {
	main := caseResult{caseKey: caseKey{N: 100, LatencyMS: 50, DelayMS: 1000}, Ratio: 1.3, PeakRSSKiB: 30000}
	main.Apply.Timeline.WaitListCalls = 6
	big := caseResult{caseKey: caseKey{N: 1000, Baseline: true}, PeakRSSKiB: 70000}
	r := &Results{
		Cases:         []caseResult{main, big},
		PlanUnchanged: &planScenario{Resources: 50, ListMembers: 50, TokenIssue: 1},
	}
	var got []string
	for _, c := range checkTargets(r) {
		got = append(got, c.verdict)
	}
	want := []string{"NOT MET", "met", "met", "NOT MET"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("verdicts = %v, want %v", got, want)
	}
}
