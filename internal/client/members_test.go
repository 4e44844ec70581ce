package client

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func projectID(i int) string { return fmt.Sprintf("%032x", i) }

// pagedMembers serves n members in pages, with knobs for servers that do not page honestly.
type pagedMembers struct {
	mu           sync.Mutex
	n            int
	total        func(n int) int // reported total; nil means n
	ignoreOffset bool
	pageCap      int  // serve at most this many a page, whatever the limit (0: no cap)
	endless      bool // invent new members at every offset
	noPagination bool
	offsets      []int
	limits       []string
}

func (p *pagedMembers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	p.mu.Lock()
	p.offsets = append(p.offsets, offset)
	p.limits = append(p.limits, r.URL.Query().Get("limit"))
	p.mu.Unlock()
	if p.ignoreOffset {
		offset = 0
	}
	if p.pageCap > 0 {
		limit = min(limit, p.pageCap)
	}
	var items []string
	for i := offset; i < offset+limit && (i < p.n || p.endless); i++ {
		items = append(items, memberJSON(projectID(i), i%2 == 0))
	}
	total := p.n
	if p.total != nil {
		total = p.total(p.n)
	}
	body := `{"members":[` + strings.Join(items, ",") + `]`
	if !p.noPagination {
		body += fmt.Sprintf(`,"pagination":{"total":%d,"offset":%d,"limit":%d}`, total, offset, limit)
	}
	writeJSON(w, http.StatusOK, body+"}")
}

func TestListImageMembersPagination(t *testing.T) {
	tests := []struct {
		name        string
		pageSize    int
		server      *pagedMembers
		wantMembers int
		wantOffsets []int
		wantErr     string
	}{
		{name: "no members", pageSize: 20, server: &pagedMembers{}, wantOffsets: []int{0}},
		{name: "one short page", pageSize: 20, server: &pagedMembers{n: 7}, wantMembers: 7, wantOffsets: []int{0}},
		{name: "exact pages", pageSize: 20, server: &pagedMembers{n: 40}, wantMembers: 40, wantOffsets: []int{0, 20}},
		{name: "150 members in pages of 20", pageSize: 20, server: &pagedMembers{n: 150}, wantMembers: 150,
			wantOffsets: []int{0, 20, 40, 60, 80, 100, 120, 140}},
		{name: "default page size", server: &pagedMembers{n: 1500}, wantMembers: 1500, wantOffsets: []int{0, 1000}},
		{name: "total too high stops at an empty page", pageSize: 20,
			server:      &pagedMembers{n: 30, total: func(int) int { return 1_000_000_000 }},
			wantMembers: 30, wantOffsets: []int{0, 20, 30}},
		{name: "total too low is trusted", pageSize: 20, server: &pagedMembers{n: 60, total: func(int) int { return 25 }},
			wantMembers: 40, wantOffsets: []int{0, 20}},
		{name: "no pagination stops at a short page", pageSize: 20, server: &pagedMembers{n: 45, noPagination: true},
			wantMembers: 45, wantOffsets: []int{0, 20, 40}},
		{name: "offset ignored and total lies", pageSize: 20,
			server:  &pagedMembers{n: 100, ignoreOffset: true, total: func(int) int { return 1_000_000 }},
			wantErr: "repeated a whole page at offset 20", wantOffsets: []int{0, 20}},
		{name: "pages smaller than asked", pageSize: 1000, server: &pagedMembers{n: 150, pageCap: 20},
			wantMembers: 150, wantOffsets: []int{0, 20, 40, 60, 80, 100, 120, 140}},
		{name: "offset ignored with pages smaller than asked", pageSize: 1000,
			server:  &pagedMembers{n: 150, pageCap: 20, ignoreOffset: true},
			wantErr: "repeated a whole page at offset 20", wantOffsets: []int{0, 20}},
		{name: "server never ends", pageSize: 1000, server: &pagedMembers{endless: true,
			total: func(int) int { return 1 << 40 }}, wantErr: "pagination total cannot be right"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFakeAPI(t, tt.server.ServeHTTP)
			c := newTestClient(t, srv, func(cfg *Config) { cfg.PageSize = tt.pageSize })
			members, err := c.ListImageMembers(t.Context(), testImageID)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr == "" && len(members) != tt.wantMembers {
				t.Errorf("members = %d, want %d", len(members), tt.wantMembers)
			}
			if tt.wantOffsets != nil && fmt.Sprint(tt.server.offsets) != fmt.Sprint(tt.wantOffsets) {
				t.Errorf("offsets = %v, want %v", tt.server.offsets, tt.wantOffsets)
			}
			wantLimit := strconv.Itoa(max(tt.pageSize, 0))
			if tt.pageSize == 0 {
				wantLimit = "1000"
			}
			for _, limit := range tt.server.limits {
				if limit != wantLimit {
					t.Fatalf("limit = %s, want %s", limit, wantLimit)
				}
			}
			for i, m := range members {
				if m.ID != projectID(i) || m.ImageID != testImageID || m.IsShared != (i%2 == 0) || m.Status != "accepted" {
					t.Fatalf("member %d = %+v", i, m)
				}
			}
		})
	}
}

func TestListImageMembersDecodesEveryField(t *testing.T) {
	_, srv := newFakeAPI(t, answer(200, `{"members":[
		{"id":"`+testMemberID+`","image_id":"`+testImageID+`","status":null,"is_shared":false,
		 "created_at":"2024-01-02T03:04:05Z","updated_at":"2024-01-02T12:04:05.5+09:00"}],
		"pagination":{"total":1,"offset":0,"limit":1000}}`))
	c := newTestClient(t, srv, nil)
	members, err := c.ListImageMembers(t.Context(), testImageID)
	if err != nil {
		t.Fatal(err)
	}
	want := Member{ID: testMemberID, ImageID: testImageID, Status: "",
		CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		UpdatedAt: time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)}
	if len(members) != 1 || members[0].ID != want.ID || members[0].Status != "" || members[0].IsShared ||
		!members[0].CreatedAt.Equal(want.CreatedAt) || !members[0].UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("members = %+v, want [%+v]", members, want)
	}
}

func TestListImageMembersKeepsOneEntryPerProject(t *testing.T) {
	// The list moved between two pages, so the second page starts with a member already seen.
	page1 := `{"members":[` + memberJSON(projectID(0), false) + `,` + memberJSON(projectID(1), false) +
		`],"pagination":{"total":3,"offset":0,"limit":2}}`
	page2 := `{"members":[` + memberJSON(projectID(1), true) + `,` + memberJSON(projectID(2), true) +
		`],"pagination":{"total":3,"offset":2,"limit":2}}`
	_, srv := newFakeAPI(t, sequence(answer(200, page1), answer(200, page2)))
	c := newTestClient(t, srv, func(cfg *Config) { cfg.PageSize = 2 })
	members, err := c.ListImageMembers(t.Context(), testImageID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 3 || members[1].ID != projectID(1) || !members[1].IsShared {
		t.Errorf("members = %+v, want three with the second as last seen", members)
	}
}

func TestAddImageMember(t *testing.T) {
	var method, path string
	_, srv := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		method, path = r.Method, r.URL.Path
		writeJSON(w, 200, `{"member":{"id":"`+testMemberID+`","image_id":"`+testImageID+`","status":"pending",
			"created_at":"2024-01-02T03:04:05Z","updated_at":"2024-01-02T03:04:05Z"}}`)
	})
	c := newTestClient(t, srv, nil)
	m, err := c.AddImageMember(t.Context(), testImageID, testMemberID)
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPost || path != "/api/v1/images/"+testImageID+"/members/"+testMemberID {
		t.Errorf("request = %s %s", method, path)
	}
	if m.ID != testMemberID || m.ImageID != testImageID || m.Status != "pending" || m.IsShared || m.CreatedAt.IsZero() {
		t.Errorf("member = %+v", m)
	}
	route := "POST " + membersRoute + "/{member_id}"
	if got := c.Stats().Requests[route]; got != 1 {
		t.Errorf("Stats().Requests[%q] = %d, want 1", route, got)
	}
}

func TestEmptyIDsAreRefusedWithoutARequest(t *testing.T) {
	api, srv := newFakeAPI(t, answer(200, "{}"))
	c := newTestClient(t, srv, nil)
	ctx := t.Context()
	_, errGet := c.GetImage(ctx, "")
	_, errList := c.ListImageMembers(ctx, "")
	_, errAdd := c.AddImageMember(ctx, testImageID, "")
	errRemove := c.RemoveImageMember(ctx, "", testMemberID)
	for _, err := range []error{errGet, errList, errAdd, errRemove} {
		if err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("error = %v, want one about an empty ID", err)
		}
	}
	if len(api.imageRequests()) != 0 || len(api.iamRequests) != 0 {
		t.Error("a request was made for an empty ID")
	}
}

func TestWritesShareTheAdaptiveLimiter(t *testing.T) {
	throttled := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"TooManyRequests","message":"slow down"}}`)
	}
	_, srv := newFakeAPI(t, sequence(throttled, answer(204, "")))
	c := newTestClient(t, srv, func(cfg *Config) { cfg.MaxParallelWrites = 8 })
	if c.WriteLimit() != 8 {
		t.Fatalf("WriteLimit = %d, want 8", c.WriteLimit())
	}
	if err := c.RemoveImageMember(t.Context(), testImageID, testMemberID); err != nil {
		t.Fatal(err)
	}
	if c.WriteLimit() != 4 {
		t.Errorf("WriteLimit after a 429 = %d, want 4", c.WriteLimit())
	}
}

func TestReadsDoNotTakeWriteSlots(t *testing.T) {
	_, srv := newFakeAPI(t, answer(200, imageBody()))
	c := newTestClient(t, srv, func(cfg *Config) { cfg.MaxParallelWrites = 1 })
	if err := c.writes.Acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer c.writes.Release(false)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.GetImage(ctx, testImageID); err != nil {
		t.Fatalf("GetImage waited for a write slot: %v", err)
	}
}
