package emulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func listImageIDs(t *testing.T, c *apiClient, query string) ([]string, paginationBody) {
	t.Helper()
	res := c.do(http.MethodGet, "/api/v1/images"+query, "")
	if res.status != http.StatusOK {
		t.Fatalf("list images%s: %d %s", query, res.status, res.body)
	}
	var body imageListBody
	res.decode(t, &body)
	ids := make([]string, 0, len(body.Images))
	for _, img := range body.Images {
		ids = append(ids, img.ID)
	}
	return ids, body.Pagination
}

func TestListImagesFilters(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	extra := DefaultExtraImageIDs()

	tests := []struct {
		name      string
		query     string
		wantTotal int
		wantFirst string
	}{
		{"default: own and public, newest first", "", 67, extra[63]},
		{"visibility public", "?visibility=public", 1, DefaultPublicImageID},
		{"image_type basic", "?image_type=basic", 1, DefaultPublicImageID},
		{"image_type my", "?image_type=my", 66, extra[63]},
		{"status deactivated", "?status=deactivated", 1, DefaultInactiveImageID},
		{"by id", "?id=" + strings.ToUpper(ownerImage), 1, ownerImage},
		{"by name", "?name=app-ubuntu-22.04", 1, ownerImage},
		{"instance_type bm", "?instance_type=bm", 16, extra[63]},
		{"os_type windows", "?os_type=windows", 8, extra[63]},
		{"min_disk gte", "?min_disk=gte:30", 21, extra[62]},
		{"size exact", "?size=687865856", 1, DefaultPublicImageID},
		{"created_at before", "?created_at=lt:2024-03-04T10:00:00Z", 1, DefaultPublicImageID},
		{"sort by name asc", "?sort_keys=name&sort_dirs=asc", 67, DefaultPublicImageID},
		{"two keys", "?sort_keys=min_disk,name&sort_dirs=asc,desc", 67, DefaultPublicImageID},
		{"nothing", "?name=none", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, page := listImageIDs(t, owner, tt.query)
			if page.Total != tt.wantTotal {
				t.Fatalf("total = %d, want %d", page.Total, tt.wantTotal)
			}
			if len(ids) != min(tt.wantTotal, 20) {
				t.Errorf("page has %d images, want %d", len(ids), min(tt.wantTotal, 20))
			}
			if tt.wantFirst != "" && ids[0] != tt.wantFirst {
				t.Errorf("first = %s, want %s", ids[0], tt.wantFirst)
			}
		})
	}

	for _, bad := range []string{
		"?visibility=everyone", "?instance_type=xl", "?status=gone", "?sort_keys=colour",
		"?sort_dirs=up", "?id=nope", "?min_disk=big", "?created_at=yesterday", "?image_type=yours",
		"?sort_keys=name,id&sort_dirs=asc,desc,asc",
	} {
		if res := owner.do(http.MethodGet, "/api/v1/images"+bad, ""); res.status != 422 {
			t.Errorf("%s: %d, want 422", bad, res.status)
		}
	}
}

func TestListImagesPagesCoverEverything(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	var all []string
	for offset := 0; ; offset += 7 {
		ids, page := listImageIDs(t, owner, "?limit=7&offset="+strconv.Itoa(offset))
		all = append(all, ids...)
		if offset+len(ids) >= page.Total {
			break
		}
	}
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	if len(all) != 67 || len(slices.Compact(sorted)) != 67 {
		t.Fatalf("pages gave %d images (%d distinct), want 67", len(all), len(slices.Compact(sorted)))
	}
}

func TestImageVisibilityByProject(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	other := otherClient(t, s)

	ids, _ := listImageIDs(t, other, "")
	if !slices.Equal(ids, []string{DefaultOtherImageID, DefaultPublicImageID}) {
		t.Errorf("other project sees %v", ids)
	}
	for _, tt := range []struct {
		c     *apiClient
		image string
		want  int
	}{
		{other, ownerImage, 404},
		{other, DefaultPublicImageID, 200},
		{owner, DefaultOtherImageID, 404},
		{owner, DefaultInactiveImageID, 200},
	} {
		if res := tt.c.do(http.MethodGet, "/api/v1/images/"+tt.image, ""); res.status != tt.want {
			t.Errorf("get %s: %d, want %d", tt.image, res.status, tt.want)
		}
	}

	img := owner.getImage(ownerImage)
	if img.ImageMemberStatus != nil || deref(img.Owner) != DefaultOwnerProjectID || img.OSInfo == nil ||
		deref(img.InstanceType) != "vm" || deref(img.Status) != "active" {
		t.Errorf("owner's view = %+v", img)
	}
	if got := owner.getImage(strings.ToUpper(ownerImage)); got.ID != ownerImage {
		t.Errorf("upper-case image ID answered %s", got.ID)
	}
}

func TestUpdateImage(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)

	tests := []struct {
		name, body string
		wantStatus int
		wantName   string
	}{
		{"bare fields", `{"name":"renamed","min_disk":20}`, 200, "renamed"},
		{"wrapped", `{"image":{"name":"wrapped","description":null}}`, 200, "wrapped"},
		{"unknown keys ignored", `{"colour":"blue"}`, 200, "wrapped"},
		{"not json", `{`, 422, ""},
		{"name wrong type", `{"name":5}`, 422, ""},
		{"negative min_ram", `{"min_ram":-1}`, 422, ""},
		{"empty name", `{"name":""}`, 422, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := owner.do(http.MethodPut, "/api/v1/images/"+ownerImage, tt.body)
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus != 200 {
				return
			}
			var body imageEnvelope
			res.decode(t, &body)
			if deref(body.Image.Name) != tt.wantName {
				t.Errorf("name = %q, want %q", deref(body.Image.Name), tt.wantName)
			}
		})
	}
	img := owner.getImage(ownerImage)
	if *img.MinDisk != 20 || img.Description != nil {
		t.Errorf("after updates: min_disk %d, description %v", *img.MinDisk, img.Description)
	}
}

func TestDeleteImage(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	owner.mustAdd(ownerImage, otherProject)

	if res := owner.do(http.MethodDelete, "/api/v1/images/"+DefaultPublicImageID, ""); res.status != 403 {
		t.Errorf("delete a public image: %d, want 403", res.status)
	}
	if res := owner.do(http.MethodDelete, "/api/v1/images/"+ownerImage, ""); res.status != 204 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	for _, path := range []string{"/api/v1/images/" + ownerImage, membersPath(ownerImage)} {
		if res := owner.do(http.MethodGet, path, ""); res.status != 404 || res.errorCode(t) != "NotFound" {
			t.Errorf("GET %s after delete: %d", path, res.status)
		}
	}
	if res := owner.do(http.MethodDelete, "/api/v1/images/"+ownerImage, ""); res.status != 404 {
		t.Errorf("second delete: %d, want 404", res.status)
	}
	if s.Members(ownerImage) != nil {
		t.Error("members of a deleted image remain")
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	owner := ownerClient(t, s)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/api/v2/images", 404},
		{http.MethodGet, "/", 404},
		{http.MethodPatch, "/api/v1/images/" + ownerImage, 405},
		{http.MethodGet, memberPath(ownerImage, otherProject), 405},
		{http.MethodDelete, "/identity/v3/auth/tokens", 405},
		{http.MethodGet, "/api/v1/images/", 200},
	} {
		res := owner.do(tt.method, tt.path, "")
		if res.status != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, res.status, tt.want)
		}
		var v map[string]any
		res.decode(t, &v)
	}
}
