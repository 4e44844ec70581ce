package provider

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/client"
)

func TestPollScheduleDelay(t *testing.T) {
	fixed := defaultPoll
	fixed.rand = func() float64 { return 0.5 } // no jitter

	cases := []struct {
		attempt int
		waited  time.Duration
		want    time.Duration
	}{
		{0, 0, 150 * time.Millisecond},
		{1, 0, 225 * time.Millisecond},
		{2, 0, 337500 * time.Microsecond},
		{3, time.Second, 400 * time.Millisecond},
		{9, 2 * time.Second, 400 * time.Millisecond},
		{9, 3 * time.Second, time.Second},
		{50, 10 * time.Second, time.Second},
		{50, 31 * time.Second, 5 * time.Second},
	}
	for _, tc := range cases {
		if got := fixed.delay(tc.attempt, tc.waited); got != tc.want {
			t.Errorf("delay(%d, %s) = %s, want %s", tc.attempt, tc.waited, got, tc.want)
		}
	}

	// A wait for sharing that settles after one second polls at most five times.
	var at time.Duration
	polls := 0
	for at < time.Second {
		at += fixed.delay(polls, at)
		polls++
	}
	if polls > 5 || at > 1400*time.Millisecond {
		t.Errorf("a 1s settle took %d polls and was seen at %s", polls, at)
	}

	for _, r := range []float64{0, 1} {
		jittered := defaultPoll
		jittered.rand = func() float64 { return r }
		got := jittered.delay(0, 0)
		if got < 135*time.Millisecond || got > 165*time.Millisecond {
			t.Errorf("jitter %v took the first delay to %s, outside ±10%% of 150ms", r, got)
		}
	}
}

// fakeLister answers a scripted sequence of member lists, repeating the last one.
type fakeLister struct {
	mu     sync.Mutex
	script [][]client.Member
	errs   []error
	calls  int
}

func (f *fakeLister) ListImageMembers(context.Context, string) ([]client.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := min(f.calls, len(f.script)-1)
	f.calls++
	if i < len(f.errs) && f.errs[i] != nil {
		return nil, f.errs[i]
	}
	return f.script[i], nil
}

func member(id string, shared bool, status string) client.Member {
	return client.Member{ID: id, ImageID: "img", IsShared: shared, Status: status}
}

var quickPoll = pollSchedule{initial: time.Millisecond, factor: 2, steps: []pollStep{{0, 2 * time.Millisecond}}}

func TestWaitMembersSettled(t *testing.T) {
	a, b, c := strings.Repeat("a", 32), strings.Repeat("b", 32), strings.Repeat("c", 32)
	cases := []struct {
		name      string
		script    [][]client.Member
		want      []string
		wantCalls int
	}{
		{"settled at once", [][]client.Member{{member(a, true, "accepted")}}, []string{a}, 1},
		{"empty first list, then pending, then shared", [][]client.Member{
			{}, {member(a, false, "pending"), member(b, false, "pending")},
			{member(a, true, "accepted"), member(b, true, "accepted")},
		}, []string{a, b}, 3},
		{"removal shows as not shared", [][]client.Member{
			{member(a, true, "accepted"), member(c, true, "accepted")},
			{member(a, true, "accepted"), member(c, false, "accepted")},
		}, []string{a}, 2},
		{"empty wanted set settles on an empty list", [][]client.Member{
			{member(a, true, "accepted")}, {},
		}, nil, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeLister{script: tc.script}
			got, err := waitMembersSettled(context.Background(), f, "img", tc.want, quickPoll)
			if err != nil {
				t.Fatal(err)
			}
			if f.calls != tc.wantCalls {
				t.Errorf("%d list calls, want %d", f.calls, tc.wantCalls)
			}
			if !slices.Equal(sharedIDs(got), tc.want) {
				t.Errorf("settled on %v, want %v", sharedIDs(got), tc.want)
			}
		})
	}
}

func TestWaitMembersSettledTimeoutNamesPending(t *testing.T) {
	a, b, c := strings.Repeat("a", 32), strings.Repeat("b", 32), strings.Repeat("c", 32)
	f := &fakeLister{script: [][]client.Member{{
		member(a, true, "accepted"), member(b, false, "pending"), member(c, true, "accepted"),
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	last, err := waitMembersSettled(ctx, f, "img", []string{a, b}, quickPoll)
	var pending *pendingError
	if !errors.As(err, &pending) {
		t.Fatalf("want a pendingError, got %v", err)
	}
	if !slices.Equal(pending.adding, []string{b}) || !slices.Equal(pending.removing, []string{c}) {
		t.Errorf("pending adding %v removing %v, want [%s] and [%s]", pending.adding, pending.removing, b, c)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the error should wrap the deadline: %v", err)
	}
	if len(last) != 3 {
		t.Errorf("the last list should come back for recording state, got %v", last)
	}
	if msg := pending.describe(); !strings.Contains(msg, b) || !strings.Contains(msg, c) {
		t.Errorf("message %q should name both pending projects", msg)
	}
}

func TestWaitMembersSettledStopsOnPermanentError(t *testing.T) {
	gone := &client.Error{Operation: "list image members", StatusCode: 404, Code: "NotFound"}
	f := &fakeLister{script: [][]client.Member{{}}, errs: []error{gone}}
	_, err := waitMembersSettled(context.Background(), f, "img", []string{"x"}, quickPoll)
	if !client.IsNotFound(err) || f.calls != 1 {
		t.Fatalf("want the 404 after one call, got %v after %d", err, f.calls)
	}
}

func TestSetHelpers(t *testing.T) {
	if got := subtract([]string{"c", "a", "b"}, []string{"b"}); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("subtract = %v", got)
	}
	if got := intersect([]string{"c", "a", "b"}, []string{"b", "c", "d"}); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("intersect = %v", got)
	}
	members := []client.Member{member("b", true, "accepted"), member("a", false, "pending"),
		member("c", false, "accepted")}
	if got := sharedIDs(members); !slices.Equal(got, []string{"b"}) {
		t.Errorf("sharedIDs = %v", got)
	}
	if got := presentIDs(members); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("presentIDs = %v, a lingering removal must not count", got)
	}
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = string(rune('a' + i))
	}
	if got := joinIDs(ids); !strings.HasSuffix(got, " and 2 more") {
		t.Errorf("joinIDs = %q", got)
	}
}

func TestImageClaims(t *testing.T) {
	c := newImageClaims()
	if why := c.claim("img", "a,b"); why != "" {
		t.Fatalf("the first claim of an image must succeed: %s", why)
	}
	if why := c.claim("img", "a,b"); why != "" {
		t.Fatalf("the same resource planned twice (a replacement) must keep its claim: %s", why)
	}
	if why := c.claim("img", "a"); !strings.Contains(why, "More than one") {
		t.Fatalf("a second resource with another member list must be refused, got %q", why)
	}
	if why := c.release("img"); !strings.Contains(why, "moved block") {
		t.Fatalf("destroying a resource on a claimed image must be refused, got %q", why)
	}
	if why := c.release("gone"); why != "" {
		t.Fatalf("destroying a resource on its own is fine: %s", why)
	}
	if why := c.claim("gone", "a"); !strings.Contains(why, "moved block") {
		t.Fatalf("taking over an image that is being unshared must be refused, got %q", why)
	}
}

func TestMembersValueSortsAndFormats(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 30, 0, 0, time.FixedZone("KST", 9*3600))
	in := []client.Member{
		{ID: "b", ImageID: "img", Status: "accepted", IsShared: true, CreatedAt: at, UpdatedAt: at},
		{ID: "a", ImageID: "img", Status: "", IsShared: false},
	}
	list, diags := membersValue(context.Background(), in)
	if diags.HasError() {
		t.Fatal(diags)
	}
	var got []memberModel
	if d := list.ElementsAs(context.Background(), &got, false); d.HasError() {
		t.Fatal(d)
	}
	if got[0].ID.ValueString() != "a" || got[1].ID.ValueString() != "b" {
		t.Errorf("members not sorted by project: %v", got)
	}
	if !got[0].Status.IsNull() || !got[0].CreatedAt.IsNull() {
		t.Errorf("a null status and a missing time must stay null: %+v", got[0])
	}
	if got[1].CreatedAt.ValueString() != "2026-12-04T00:30:00Z" {
		t.Errorf("created_at = %s, want UTC RFC 3339", got[1].CreatedAt.ValueString())
	}
}

func TestDescribeFailuresAdvice(t *testing.T) {
	failed := memberChanges{
		{projectID: "p1", err: &client.Error{Operation: "add image member", StatusCode: 404, Message: "no such project"}},
		{projectID: "p2", remove: true, err: errSkipped},
	}
	msg := describeFailures("img", failed)
	for _, want := range []string{"2 project(s)", "add p1", "no such project", "remove p2", "check that each project ID"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestPendingPlanned(t *testing.T) {
	a, b, c := strings.Repeat("a", 32), strings.Repeat("b", 32), strings.Repeat("c", 32)
	list, diags := membersValue(context.Background(), []client.Member{
		member(a, true, "accepted"), member(b, false, "pending"), member(c, false, "pending"),
	})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if got := pendingPlanned(context.Background(), list, []string{a, b}); !slices.Equal(got, []string{b}) {
		t.Errorf("pendingPlanned = %v, want only the planned pending project", got)
	}
	if got := pendingPlanned(context.Background(), types.ListUnknown(list.ElementType(context.Background())),
		[]string{a}); got != nil {
		t.Errorf("unknown members gave %v", got)
	}
}
