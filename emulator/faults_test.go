package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFaultRuleCounting(t *testing.T) {
	tests := []struct {
		name string
		rule FaultRule
		want []int // statuses of 8 list-members requests
	}{
		{"every third", FaultRule{Route: RouteListMembers, Every: 3, Action: Fault503},
			[]int{200, 200, 503, 200, 200, 503, 200, 200}},
		{"after five", FaultRule{Route: RouteListMembers, After: 5, Action: Fault500},
			[]int{200, 200, 200, 200, 200, 500, 500, 500}},
		{"every second, twice", FaultRule{Every: 2, Times: 2, Action: Fault502},
			[]int{200, 502, 200, 502, 200, 200, 200, 200}},
		{"always, other image only", FaultRule{ImageID: DefaultExtraImageIDs()[0], Action: Fault503},
			[]int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"other route", FaultRule{Route: RouteGetImage, Action: Fault503},
			[]int{200, 200, 200, 200, 200, 200, 200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := startEmulator(t, Options{Faults: Faults{Rules: []FaultRule{tt.rule}}})
			owner := ownerClient(t, s)
			var got []int
			for range tt.want {
				got = append(got, owner.do(http.MethodGet, membersPath(ownerImage), "").status)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFaultAnswers(t *testing.T) {
	tests := []struct {
		action      string
		wantStatus  int
		wantType    string
		check       func(t *testing.T, res response)
		memberAdded bool
	}{
		{Fault503, 503, "application/json", nil, false},
		{Fault429, 429, "application/json", func(t *testing.T, res response) {
			if got := res.header.Get("Retry-After"); got != "3" {
				t.Errorf("Retry-After = %q, want 3 (2.1s rounded up)", got)
			}
		}, false},
		{FaultHTML, 502, "text/html; charset=utf-8", func(t *testing.T, res response) {
			if !strings.Contains(string(res.body), "<html>") {
				t.Errorf("body = %s", res.body)
			}
		}, false},
		{FaultEmpty, 200, "application/json", func(t *testing.T, res response) {
			if len(res.body) != 0 {
				t.Errorf("body = %s, want empty", res.body)
			}
		}, true},
		{FaultTruncate, 200, "application/json", func(t *testing.T, res response) {
			if json.Valid(res.body) || len(res.body) == 0 {
				t.Errorf("body = %s, want cut JSON", res.body)
			}
		}, true},
		{FaultContentType, 200, "text/plain; charset=utf-8", func(t *testing.T, res response) {
			if !json.Valid(res.body) {
				t.Errorf("body = %s, want the right JSON", res.body)
			}
		}, true},
		{FaultMistype, 200, "application/json", func(t *testing.T, res response) {
			var body struct {
				Member struct {
					ID json.Number `json:"id"`
				} `json:"member"`
			}
			if err := json.Unmarshal(res.body, &body); err != nil || body.Member.ID == "" {
				t.Errorf("body = %s, want numbers for strings (%v)", res.body, err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			s, _ := startEmulator(t, Options{Faults: Faults{Rules: []FaultRule{
				{Route: RouteAddMember, Action: tt.action, Times: 1, RetryAfter: 2100 * time.Millisecond},
			}}})
			owner := ownerClient(t, s)
			res := owner.do(http.MethodPost, memberPath(ownerImage, otherProject), "")
			if res.status != tt.wantStatus || res.header.Get("Content-Type") != tt.wantType {
				t.Fatalf("answer %d %q, want %d %q", res.status, res.header.Get("Content-Type"),
					tt.wantStatus, tt.wantType)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
			if added := len(s.SharedWith(ownerImage)) == 1; added != tt.memberAdded {
				t.Errorf("member added = %v, want %v", added, tt.memberAdded)
			}
			if got := s.Counters().Faults[tt.action]; got != 1 {
				t.Errorf("fault counter = %d, want 1", got)
			}
		})
	}
}

func TestFaultDropAndHang(t *testing.T) {
	s, _ := startEmulator(t, Options{Faults: Faults{Rules: []FaultRule{
		{Route: RouteAddMember, Action: FaultDrop, Times: 1},
		{Route: RouteRemoveMember, Action: FaultHang},
	}}})
	owner := ownerClient(t, s)

	req, _ := http.NewRequest(http.MethodPost, s.URL()+memberPath(ownerImage, otherProject), nil)
	req.Header.Set("X-Auth-Token", owner.token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request got an answer: %d", resp.StatusCode)
	}
	if len(s.SharedWith(ownerImage)) != 0 {
		t.Error("a dropped add changed state")
	}
	owner.mustAdd(ownerImage, otherProject)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodDelete, s.URL()+memberPath(ownerImage, otherProject), nil)
	req.Header.Set("X-Auth-Token", owner.token)
	started := time.Now()
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung request: err = %v, want the client's deadline", err)
	}
	if took := time.Since(started); took > 5*time.Second {
		t.Errorf("hang outlived the client by %v", took)
	}
}

// A request hung by a fault ends when the server closes, so Close never waits on it.
func TestHangEndsOnClose(t *testing.T) {
	s, err := New(Options{Faults: Faults{Rules: []FaultRule{{Route: RouteTokenIssue, Action: FaultHang}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post(s.URL()+"/identity/v3/auth/tokens", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := <-errc; err == nil {
		t.Error("hung request got an answer")
	}
}

func TestRandomFaultsAreSeeded(t *testing.T) {
	run := func() []int {
		s, _ := startEmulator(t, Options{Faults: Faults{Rate503: 0.3, Rate429: 0.2, Seed: 42}})
		owner := ownerClient(t, s)
		var got []int
		for range 40 {
			got = append(got, owner.do(http.MethodGet, "/api/v1/images/"+ownerImage, "").status)
		}
		// Config and IAM routes are outside the default fault routes.
		for range 10 {
			if res := owner.do(http.MethodGet, "/api/v1/client-endpoints/resolve", ""); res.status != 200 {
				t.Fatalf("config route faulted: %d", res.status)
			}
		}
		return got
	}
	first, second := run(), run()
	if !slices.Equal(first, second) {
		t.Fatalf("same seed, different faults:\n%v\n%v", first, second)
	}
	counts := map[int]int{}
	for _, st := range first {
		counts[st]++
	}
	if counts[503] == 0 || counts[429] == 0 || counts[200] == 0 {
		t.Errorf("statuses = %v, want a mix of 200, 429 and 503", counts)
	}
}

func TestInvalidFaults(t *testing.T) {
	for _, f := range []Faults{
		{Rate503: 1.5},
		{Rate503: 0.6, Rate429: 0.6},
		{Routes: []string{"everything"}},
		{Rules: []FaultRule{{Action: "explode"}}},
		{Rules: []FaultRule{{Action: Fault503, Route: "nope"}}},
		{Rules: []FaultRule{{Action: Fault503, Every: -1}}},
	} {
		if _, err := New(Options{Faults: f}); err == nil {
			t.Errorf("New accepted %+v", f)
		}
	}
}
