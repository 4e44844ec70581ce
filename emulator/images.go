package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

const maxImageNameLength = 255

// callerRelation is what the calling project may do with an image.
type callerRelation int

const (
	relationNone callerRelation = iota
	relationPublic
	relationMember
	relationOwner
)

// prepare authenticates and checks the path IDs, answering 401 or 422 itself.
func (s *Server) prepare(w http.ResponseWriter, r *http.Request, rt route) (FixtureCredential, bool) {
	cred, ok := s.authenticate(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, unauthorizedMessage)
		return cred, false
	}
	var problems []fieldProblem
	if rt.name != RouteListImages && !isImageID(rt.imageID) {
		problems = append(problems, problem("path", "image_id", "Input should be a valid UUID", "uuid_parsing"))
	}
	if (rt.name == RouteAddMember || rt.name == RouteRemoveMember) && !isProjectID(rt.memberID) {
		problems = append(problems, problem("path", "member_id",
			"String should match pattern '^[0-9a-f]{32}$'", "string_pattern_mismatch"))
	}
	if len(problems) > 0 {
		writeValidation(w, problems)
		return cred, false
	}
	return cred, true
}

// relationLocked settles the image's members first, so every answer reflects the clock.
func (s *Server) relationLocked(id, project string, now time.Time) (*imageState, callerRelation) {
	img, ok := s.images[lower(id)]
	if !ok {
		return nil, relationNone
	}
	s.settings.settle(img, now)
	switch {
	case img.Owner == project:
		return img, relationOwner
	case img.Visibility == visibilityPublic:
		return img, relationPublic
	}
	if m, ok := img.members[project]; ok && m.RemovedAt == nil {
		return img, relationMember
	}
	return img, relationNone
}

func (s *Server) getImage(w http.ResponseWriter, r *http.Request, rt route) {
	cred, ok := s.prepare(w, r, rt)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	img, rel := s.relationLocked(rt.imageID, cred.ProjectID, now)
	if rel == relationNone {
		writeError(w, http.StatusNotFound, "Image "+lower(rt.imageID)+" was not found.")
		return
	}
	writeJSON(w, http.StatusOK, imageEnvelope{Image: s.imageViewLocked(img, cred.ProjectID, now)})
}

func (s *Server) updateImage(w http.ResponseWriter, r *http.Request, rt route) {
	cred, ok := s.prepare(w, r, rt)
	if !ok {
		return
	}
	patch, problems := decodeImagePatch(r.Body)

	s.mu.Lock()
	now := s.now()
	img, rel := s.relationLocked(rt.imageID, cred.ProjectID, now)
	switch {
	case rel == relationNone:
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Image "+lower(rt.imageID)+" was not found.")
		return
	case len(problems) > 0:
		s.mu.Unlock()
		writeValidation(w, problems)
		return
	case rel != relationOwner:
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, "Only the owner project may update image "+img.ID+".")
		return
	}
	patch.apply(img)
	img.UpdatedAt = now
	body := imageEnvelope{Image: s.imageViewLocked(img, cred.ProjectID, now)}
	s.mu.Unlock()

	s.saveAfterWrite()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request, rt route) {
	cred, ok := s.prepare(w, r, rt)
	if !ok {
		return
	}
	s.mu.Lock()
	img, rel := s.relationLocked(rt.imageID, cred.ProjectID, s.now())
	switch rel {
	case relationNone:
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Image "+lower(rt.imageID)+" was not found.")
		return
	case relationPublic, relationMember:
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, "Only the owner project may delete image "+img.ID+".")
		return
	}
	delete(s.images, img.ID)
	s.mu.Unlock()

	s.saveAfterWrite()
	w.WriteHeader(http.StatusNoContent)
}

// saveAfterWrite persists a change before it is answered; a failure is logged, not answered,
// because the change has already taken effect in memory.
func (s *Server) saveAfterWrite() {
	if err := s.save(); err != nil && s.logger != nil {
		s.logMu.Lock()
		defer s.logMu.Unlock()
		_, _ = io.WriteString(s.logger, "state file: "+err.Error()+"\n")
	}
}

func (s *Server) imageViewLocked(img *imageState, caller string, now time.Time) imageBody {
	visibility, shared := s.settings.visibility(img, now)
	// Copies, because the body is encoded after the lock is released.
	size, virtualSize, minDisk, minRAM := img.Size, img.VirtualSize, img.MinDisk, img.MinRAM
	b := imageBody{
		ID: img.ID, Name: optString(img.Name), Description: optString(img.Description),
		Size: &size, VirtualSize: &virtualSize, Status: optString(img.Status),
		Owner: optString(img.Owner), ProjectID: optString(img.Owner), Visibility: &visibility,
		IsShared: &shared, DiskFormat: optString(img.DiskFormat), ContainerFormat: optString(img.ContainerFormat),
		MinDisk: &minDisk, MinRAM: &minRAM, InstanceType: optString(img.InstanceType),
		CreatedAt: optString(formatTime(img.CreatedAt)), UpdatedAt: optString(formatTime(img.UpdatedAt)),
	}
	if m, ok := img.members[caller]; ok && m.RemovedAt == nil && caller != img.Owner {
		status, _, _ := s.settings.memberView(m, now)
		b.ImageMemberStatus = &status
	}
	if info := img.OSInfo; info != nil {
		b.OSInfo = &osInfoBody{
			Type: optString(info.Type), Distro: optString(info.Distro), Architecture: optString(info.Architecture),
			AdminUser: optString(info.AdminUser), IsHidden: info.IsHidden,
		}
	}
	return b
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// decodeImagePatch accepts the fields bare or wrapped in {"image": {...}}; other keys are ignored
// so that clients sending a whole image still work.
func decodeImagePatch(body io.Reader) (imagePatch, []fieldProblem) {
	var patch imagePatch
	raw, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return patch, []fieldProblem{problem("body", "", "The body is larger than 1 MiB", "too_long")}
	}
	var fields map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &fields) != nil || fields == nil {
		return patch, []fieldProblem{problem("body", "", "Body should be a JSON object", "json_invalid")}
	}
	if inner, ok := fields["image"]; ok {
		var nested map[string]json.RawMessage
		if json.Unmarshal(inner, &nested) != nil || nested == nil {
			return patch, []fieldProblem{problem("body", "image", "Input should be an object", "dict_type")}
		}
		fields = nested
	}

	var problems []fieldProblem
	for _, name := range []string{"name", "description"} {
		v, ok := fields[name]
		if !ok {
			continue
		}
		var s *string
		if json.Unmarshal(v, &s) != nil {
			problems = append(problems, problem("body", name, "Input should be a valid string", "string_type"))
			continue
		}
		if name == "name" && s != nil && (len(*s) == 0 || len(*s) > maxImageNameLength) {
			problems = append(problems, problem("body", name,
				"String should have between 1 and 255 characters", "string_length"))
			continue
		}
		if name == "name" {
			patch.name, patch.setName = s, true
		} else {
			patch.description, patch.setDescription = s, true
		}
	}
	for _, name := range []string{"min_disk", "min_ram"} {
		v, ok := fields[name]
		if !ok {
			continue
		}
		var n int64
		if json.Unmarshal(v, &n) != nil || n < 0 {
			problems = append(problems, problem("body", name,
				"Input should be a non-negative integer", "int_parsing"))
			continue
		}
		if name == "min_disk" {
			patch.minDisk = &n
		} else {
			patch.minRAM = &n
		}
	}
	return patch, problems
}

func (p imagePatch) apply(img *imageState) {
	if p.setName {
		img.Name = deref(p.name)
	}
	if p.setDescription {
		img.Description = deref(p.description)
	}
	if p.minDisk != nil {
		img.MinDisk = *p.minDisk
	}
	if p.minRAM != nil {
		img.MinRAM = *p.minRAM
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type imagePatch struct {
	name, description       *string
	setName, setDescription bool
	minDisk, minRAM         *int64
}

type imageEnvelope struct {
	Image imageBody `json:"image"`
}

type imageListBody struct {
	Images     []imageBody    `json:"images"`
	Pagination paginationBody `json:"pagination"`
}

type imageBody struct {
	ID                string      `json:"id"`
	Name              *string     `json:"name"`
	Description       *string     `json:"description"`
	Size              *int64      `json:"size"`
	VirtualSize       *int64      `json:"virtual_size"`
	Status            *string     `json:"status"`
	Owner             *string     `json:"owner"`
	ProjectID         *string     `json:"project_id"`
	Visibility        *string     `json:"visibility"`
	IsShared          *bool       `json:"is_shared"`
	DiskFormat        *string     `json:"disk_format"`
	ContainerFormat   *string     `json:"container_format"`
	MinDisk           *int64      `json:"min_disk"`
	MinRAM            *int64      `json:"min_ram"`
	InstanceType      *string     `json:"instance_type"`
	ImageMemberStatus *string     `json:"image_member_status"`
	OSInfo            *osInfoBody `json:"os_info"`
	CreatedAt         *string     `json:"created_at"`
	UpdatedAt         *string     `json:"updated_at"`
}

type osInfoBody struct {
	Type         *string `json:"type"`
	Distro       *string `json:"distro"`
	Architecture *string `json:"architecture"`
	AdminUser    *string `json:"admin_user"`
	IsHidden     bool    `json:"is_hidden"`
}
