package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAddMemberErrors(t *testing.T) {
	s, _ := startEmulator(t, Options{MemberQuota: 2})
	owner := ownerClient(t, s)
	other := otherClient(t, s)
	projects := DefaultProjectIDs()
	owner.mustAdd(ownerImage, projects[0])
	extra := DefaultExtraImageIDs()
	owner.mustAdd(extra[0], projects[0])
	owner.mustAdd(extra[0], projects[1])

	tests := []struct {
		name       string
		client     *apiClient
		image      string
		project    string
		wantStatus int
		wantCode   string
	}{
		{"existing member", owner, ownerImage, projects[0], 409, "Conflict"},
		{"owner itself", owner, ownerImage, DefaultOwnerProjectID, 400, "BadRequest"},
		{"public image", owner, DefaultPublicImageID, projects[1], 400, "BadRequest"},
		{"deactivated image", owner, DefaultInactiveImageID, projects[1], 400, "BadRequest"},
		{"not the owner, image visible", other, ownerImage, projects[1], 404, "NotFound"},
		{"not the owner, image of other", owner, DefaultOtherImageID, projects[1], 404, "NotFound"},
		{"unknown image", owner, "11111111-2222-4333-8444-555555555555", projects[1], 404, "NotFound"},
		{"unknown project", owner, ownerImage, strings.Repeat("ab", 16), 404, "NotFound"},
		{"quota", owner, extra[0], projects[2], 413, "RequestEntityTooLarge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.client.do(http.MethodPost, memberPath(tt.image, tt.project), "")
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", res.status, tt.wantStatus, res.body)
			}
			if code := res.errorCode(t); code != tt.wantCode {
				t.Errorf("code = %q, want %q", code, tt.wantCode)
			}
		})
	}
}

// A project the image is shared with can see it, but only the owner may share it further.
func TestNonOwnerMemberGets403(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	other := otherClient(t, s)
	owner.mustAdd(ownerImage, otherProject)
	project := DefaultProjectIDs()[0]

	for _, tt := range []struct{ method, path string }{
		{http.MethodPost, memberPath(ownerImage, project)},
		{http.MethodDelete, memberPath(ownerImage, otherProject)},
		{http.MethodPut, "/api/v1/images/" + ownerImage},
		{http.MethodDelete, "/api/v1/images/" + ownerImage},
	} {
		res := other.do(tt.method, tt.path, `{"name":"x"}`)
		if res.status != http.StatusForbidden || res.errorCode(t) != "Forbidden" {
			t.Errorf("%s %s: %d %s, want 403", tt.method, tt.path, res.status, res.body)
		}
	}
}

func TestRemoveMemberErrors(t *testing.T) {
	s, _ := startEmulator(t, Options{RemovalDelay: time.Minute})
	owner := ownerClient(t, s)
	projects := DefaultProjectIDs()
	owner.mustAdd(ownerImage, projects[0])
	if res := owner.do(http.MethodDelete, memberPath(ownerImage, projects[0]), ""); res.status != 204 {
		t.Fatalf("remove: %d %s", res.status, res.body)
	}

	tests := []struct {
		name       string
		image      string
		project    string
		wantStatus int
	}{
		{"never a member", ownerImage, projects[1], 404},
		{"removed and lingering", ownerImage, projects[0], 404},
		{"unknown image", "11111111-2222-4333-8444-555555555555", projects[0], 404},
		{"image of another project", DefaultOtherImageID, projects[0], 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := owner.do(http.MethodDelete, memberPath(tt.image, tt.project), "")
			if res.status != tt.wantStatus || res.errorCode(t) != "NotFound" {
				t.Fatalf("status = %d, want %d: %s", res.status, tt.wantStatus, res.body)
			}
		})
	}
}

func TestMalformedIDs(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	project := DefaultProjectIDs()[0]

	tests := []struct {
		name, method, path string
		wantLocs           []string
	}{
		{"image not uuid", http.MethodGet, "/api/v1/images/not-a-uuid", []string{"path.image_id"}},
		{"image without hyphens", http.MethodGet, "/api/v1/images/088b405665b34ef4a4782f4ae9abb98c",
			[]string{"path.image_id"}},
		{"members of bad image", http.MethodGet, membersPath("x"), []string{"path.image_id"}},
		{"add: upper-case project", http.MethodPost, memberPath(ownerImage, strings.ToUpper(project)),
			[]string{"path.member_id"}},
		{"add: project with hyphens", http.MethodPost,
			memberPath(ownerImage, "7699128b-bf6d-4ca4-9405-f98f5570b7ff"), []string{"path.member_id"}},
		{"add: short project", http.MethodPost, memberPath(ownerImage, project[:31]), []string{"path.member_id"}},
		{"remove: both bad", http.MethodDelete, memberPath("nope", "nope"),
			[]string{"path.image_id", "path.member_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := owner.do(tt.method, tt.path, "")
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422: %s", res.status, res.body)
			}
			if got := res.detailLocs(t); !slices.Equal(got, tt.wantLocs) {
				t.Errorf("detail locs = %v, want %v", got, tt.wantLocs)
			}
		})
	}
}

func TestPaginationParameters(t *testing.T) {
	s, _ := startEmulator(t, Options{MaxPageSize: 50})
	owner := ownerClient(t, s)

	for _, path := range []string{membersPath(ownerImage), "/api/v1/images"} {
		for _, q := range []struct{ query, loc string }{
			{"?limit=abc", "query.limit"},
			{"?limit=0", "query.limit"},
			{"?limit=-1", "query.limit"},
			{"?limit=51", "query.limit"},
			{"?limit=", "query.limit"},
			{"?offset=-1", "query.offset"},
			{"?offset=1.5", "query.offset"},
			{"?limit=99999999999999999999", "query.limit"},
		} {
			res := owner.do(http.MethodGet, path+q.query, "")
			if res.status != http.StatusUnprocessableEntity {
				t.Errorf("%s%s: %d, want 422", path, q.query, res.status)
				continue
			}
			if got := res.detailLocs(t); !slices.Equal(got, []string{q.loc}) {
				t.Errorf("%s%s: locs %v, want [%s]", path, q.query, got, q.loc)
			}
		}
	}
	if res := owner.do(http.MethodGet, membersPath(ownerImage)+"?limit=50", ""); res.status != 200 {
		t.Errorf("limit at the maximum: %d, want 200", res.status)
	}
}

func TestMemberListPagination(t *testing.T) {
	s, _ := startEmulator(t, Options{MemberQuota: 200})
	owner := ownerClient(t, s)
	projects := DefaultProjectIDs()[:45]
	for _, p := range projects {
		owner.mustAdd(ownerImage, p)
	}

	empty := owner.listMembers(DefaultExtraImageIDs()[5], "")
	if empty.Members == nil || empty.Pagination != (paginationBody{Total: 0, Offset: 0, Limit: 20}) {
		t.Errorf("empty list = %+v, want [] and pagination {0 0 20}", empty)
	}

	var seen []string
	for offset := 0; ; {
		page := owner.listMembers(ownerImage, fmt.Sprintf("?limit=20&offset=%d", offset))
		if page.Pagination.Total != 45 || page.Pagination.Offset != offset || page.Pagination.Limit != 20 {
			t.Fatalf("pagination = %+v", page.Pagination)
		}
		for _, m := range page.Members {
			seen = append(seen, m.ID)
		}
		offset += len(page.Members)
		if offset >= page.Pagination.Total {
			break
		}
	}
	if !slices.Equal(seen, projects) {
		t.Errorf("pages gave %d members in order %v..., want the 45 added, sorted", len(seen), seen[:3])
	}

	beyond := owner.listMembers(ownerImage, "?offset=100")
	if len(beyond.Members) != 0 || beyond.Pagination.Total != 45 {
		t.Errorf("offset past the end = %+v", beyond)
	}
}

func TestSharingLifecycle(t *testing.T) {
	s, clock := startEmulator(t, Options{PropagationDelay: 10 * time.Second, RemovalDelay: 5 * time.Second})
	owner := ownerClient(t, s)
	other := otherClient(t, s)

	res := owner.do(http.MethodPost, memberPath(ownerImage, otherProject), "")
	var added addedMemberEnvelope
	res.decode(t, &added)
	if added.Member.Status != memberPending || added.Member.ImageID != ownerImage || added.Member.ID != otherProject {
		t.Fatalf("added member = %+v", added.Member)
	}
	if !strings.Contains(string(res.body), `"status":"pending"`) || strings.Contains(string(res.body), "is_shared") {
		t.Errorf("AddedMember keys wrong: %s", res.body)
	}

	expectState := func(step, wantStatus string, wantShared bool, wantVisibility string) {
		t.Helper()
		list := owner.listMembers(ownerImage, "")
		if len(list.Members) != 1 {
			t.Fatalf("%s: members = %+v", step, list.Members)
		}
		m := list.Members[0]
		if deref(m.Status) != wantStatus || m.IsShared != wantShared {
			t.Errorf("%s: member status %v shared %v, want %q %v", step, deref(m.Status), m.IsShared,
				wantStatus, wantShared)
		}
		for _, stamp := range []string{m.CreatedAt, m.UpdatedAt} {
			if _, err := time.Parse(time.RFC3339, stamp); err != nil || !strings.HasSuffix(stamp, "Z") {
				t.Errorf("%s: time %q is not RFC 3339 with a zone", step, stamp)
			}
		}
		img := owner.getImage(ownerImage)
		if deref(img.Visibility) != wantVisibility || *img.IsShared != wantShared {
			t.Errorf("%s: image visibility %q is_shared %v, want %q %v", step, deref(img.Visibility),
				*img.IsShared, wantVisibility, wantShared)
		}
	}

	expectState("just added", memberPending, false, visibilityPrivate)
	if other.getImage(ownerImage).ImageMemberStatus == nil {
		t.Error("the member project does not see image_member_status while pending")
	}

	clock.Advance(10 * time.Second)
	expectState("propagated", memberAccepted, true, visibilityShared)

	seen := other.getImage(ownerImage)
	if deref(seen.ImageMemberStatus) != memberAccepted {
		t.Errorf("member view image_member_status = %v, want accepted", deref(seen.ImageMemberStatus))
	}
	var listed imageListBody
	other.do(http.MethodGet, "/api/v1/images?image_member_status=accepted", "").decode(t, &listed)
	if len(listed.Images) != 1 || listed.Images[0].ID != ownerImage {
		t.Errorf("member's image list = %+v, want the shared image", listed.Images)
	}
	own := other.listMembers(ownerImage, "")
	if len(own.Members) != 1 || own.Members[0].ID != otherProject {
		t.Errorf("member project's member list = %+v, want only itself", own.Members)
	}

	if res := owner.do(http.MethodDelete, memberPath(ownerImage, otherProject), ""); res.status != 204 {
		t.Fatalf("remove: %d %s", res.status, res.body)
	} else if len(res.body) != 0 {
		t.Errorf("204 with a body: %s", res.body)
	}
	list := owner.listMembers(ownerImage, "")
	if len(list.Members) != 1 || list.Members[0].IsShared || list.Members[0].Status != nil {
		t.Errorf("lingering member = %+v, want is_shared false, status null", list.Members)
	}
	if img := owner.getImage(ownerImage); deref(img.Visibility) != visibilityPrivate || *img.IsShared {
		t.Errorf("after removal image is %q/%v, want private/false", deref(img.Visibility), *img.IsShared)
	}
	if res := other.do(http.MethodGet, "/api/v1/images/"+ownerImage, ""); res.status != 404 {
		t.Errorf("removed member still sees the image: %d", res.status)
	}

	clock.Advance(5 * time.Second)
	if list := owner.listMembers(ownerImage, ""); len(list.Members) != 0 || list.Pagination.Total != 0 {
		t.Errorf("after removal delay = %+v, want empty", list)
	}
}

// Re-adding a member that is still lingering after removal starts a fresh share, not a 409.
func TestReAddLingeringMember(t *testing.T) {
	s, clock := startEmulator(t, Options{
		PropagationDelay: time.Second, RemovalDelay: -1, TokenLifetime: 9999 * time.Hour,
	})
	owner := ownerClient(t, s)
	owner.mustAdd(ownerImage, otherProject)
	clock.Advance(time.Second)
	owner.do(http.MethodDelete, memberPath(ownerImage, otherProject), "")
	clock.Advance(time.Hour)
	if got := s.Members(ownerImage); len(got) != 1 || !got[0].Removed {
		t.Fatalf("negative removal delay: members %+v, want one lingering", got)
	}

	owner.mustAdd(ownerImage, otherProject)
	got := s.Members(ownerImage)
	if len(got) != 1 || got[0].Removed || got[0].Status != memberPending {
		t.Fatalf("re-added member = %+v, want pending", got)
	}
	if shared := s.SharedWith(ownerImage); !slices.Equal(shared, []string{otherProject}) {
		t.Errorf("SharedWith = %v", shared)
	}
}

func TestNegativePropagationNeverSettles(t *testing.T) {
	s, clock := startEmulator(t, Options{PropagationDelay: -1, TokenLifetime: 9999 * time.Hour})
	owner := ownerClient(t, s)
	owner.mustAdd(ownerImage, otherProject)
	clock.Advance(1000 * time.Hour)
	if m := owner.listMembers(ownerImage, "").Members; m[0].IsShared {
		t.Fatalf("member settled with a negative delay: %+v", m)
	}
	s.SetDelays(0, 0)
	if m := owner.listMembers(ownerImage, "").Members; !m[0].IsShared {
		t.Fatalf("member did not settle after SetDelays(0, 0): %+v", m)
	}
	s.SetDelays(time.Hour, 0)
	if m := owner.listMembers(ownerImage, "").Members; !m[0].IsShared {
		t.Fatalf("an accepted member went back to pending: %+v", m)
	}
}

func TestLagMemberList(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	projects := DefaultProjectIDs()

	owner.mustAdd(ownerImage, projects[0])
	owner.mustAdd(ownerImage, projects[1])
	s.LagMemberList(2)
	for read := range 2 {
		if got := owner.listMembers(ownerImage, "").Members; len(got) != 1 || got[0].ID != projects[0] {
			t.Fatalf("lagged read %d = %+v, want the list before the latest write", read, got)
		}
	}
	if got := owner.listMembers(ownerImage, ""); len(got.Members) != 2 {
		t.Fatalf("third read = %+v, want current", got.Members)
	}

	// Armed before a burst of writes, the lag hides the whole burst.
	s.LagMemberList(1)
	owner.mustAdd(ownerImage, projects[2])
	owner.mustAdd(ownerImage, projects[3])
	if got := owner.listMembers(ownerImage, ""); len(got.Members) != 2 {
		t.Fatalf("lagged read after burst = %d members, want 2", len(got.Members))
	}
	if got := s.Members(ownerImage); len(got) != 4 {
		t.Errorf("Members is lagged too: %d", len(got))
	}
}

func TestConcurrentMemberWrites(t *testing.T) {
	s, _ := startEmulator(t, Options{MemberQuota: 40})
	owner := ownerClient(t, s)
	projects := DefaultProjectIDs()[:60]

	done := make(chan int, len(projects))
	for _, p := range projects {
		go func() {
			res := owner.do(http.MethodPost, memberPath(ownerImage, p), "")
			done <- res.status
		}()
	}
	counts := map[int]int{}
	for range projects {
		counts[<-done]++
	}
	if counts[200] != 40 || counts[413] != 20 {
		t.Fatalf("statuses = %v, want 40 x 200 and 20 x 413", counts)
	}
	if got := len(s.SharedWith(ownerImage)); got != 40 {
		t.Errorf("SharedWith has %d, want 40", got)
	}
}

func TestListMembersPageSizeCap(t *testing.T) {
	s, _ := startEmulator(t, Options{PageSizeCap: 2})
	c := ownerClient(t, s)
	for _, p := range DefaultProjectIDs()[:5] {
		c.mustAdd(DefaultActiveImageID, p)
	}
	page := c.listMembers(DefaultActiveImageID, "?limit=1000&offset=1")
	if len(page.Members) != 2 || page.Pagination.Limit != 2 || page.Pagination.Total != 5 || page.Pagination.Offset != 1 {
		t.Fatalf("capped page: %d members, pagination %+v; want 2 members, limit 2, total 5, offset 1",
			len(page.Members), page.Pagination)
	}
}
