package emulator

import (
	"net/http"
	"strconv"
	"time"
)

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, rt route) {
	cred, ok := s.prepare(w, r, rt)
	if !ok {
		return
	}
	s.mu.Lock()
	maxPage, st := s.settings.maxPageSize, s.settings
	s.mu.Unlock()
	limit, offset, problems := parsePage(r.URL.Query(), maxPage)
	if len(problems) > 0 {
		writeValidation(w, problems)
		return
	}
	limit = st.pageLimit(limit)

	s.mu.Lock()
	now := s.now()
	img, rel := s.relationLocked(rt.imageID, cred.ProjectID, now)
	if rel == relationNone {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Image "+lower(rt.imageID)+" was not found.")
		return
	}
	records := img.orderedMembers()
	if s.lagReads > 0 {
		s.lagReads--
		if img.hasLagged {
			records = records[:0]
			for i := range img.lagged {
				records = append(records, &img.lagged[i])
			}
		}
	}

	// Filter first and format only the page: formatting times dominates large lists.
	visible := records[:0]
	for _, m := range records {
		// Owners see every member; a member project sees its own entry only; public has none.
		if rel != relationOwner && m.ProjectID != cred.ProjectID || s.settings.gone(m, now) {
			continue
		}
		visible = append(visible, m)
	}
	window := visible[min(offset, len(visible)):]
	window = window[:min(limit, len(window))]
	page := make([]memberBody, 0, len(window))
	for _, m := range window {
		status, shared, updated := s.settings.memberView(m, now)
		page = append(page, memberBody{
			ID: m.ProjectID, ImageID: img.ID, CreatedAt: formatTime(m.AddedAt), UpdatedAt: formatTime(updated),
			Status: optString(status), IsShared: shared,
		})
	}
	s.mu.Unlock()

	writeJSON(w, http.StatusOK, memberListBody{
		Members: page, Pagination: paginationBody{Total: len(visible), Offset: offset, Limit: limit},
	})
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, rt route) {
	cred, ok := s.prepare(w, r, rt)
	if !ok {
		return
	}
	s.mu.Lock()
	now := s.now()
	img, rel := s.relationLocked(rt.imageID, cred.ProjectID, now)
	status, message := http.StatusOK, ""
	switch existing := memberOf(img, rt.memberID); {
	case rel == relationNone:
		status, message = http.StatusNotFound, "Image "+lower(rt.imageID)+" was not found."
	case img.Visibility == visibilityPublic:
		status, message = http.StatusBadRequest, "Image "+img.ID+" is public and cannot be shared."
	case rel != relationOwner:
		status, message = http.StatusForbidden, "Only the owner project may share image "+img.ID+"."
	case img.Status != "active":
		status, message = http.StatusBadRequest, "Image "+img.ID+" is "+img.Status+"; only active images can be shared."
	case rt.memberID == img.Owner:
		status, message = http.StatusBadRequest, "Image "+img.ID+" cannot be shared with its owner project."
	case s.projects[rt.memberID].ID == "":
		status, message = http.StatusNotFound, "Project "+rt.memberID+" was not found."
	case existing != nil && existing.RemovedAt == nil:
		status, message = http.StatusConflict, "Project "+rt.memberID+" is already a member of image "+img.ID+"."
	case img.activeMembers() >= s.settings.memberQuota:
		status, message = http.StatusRequestEntityTooLarge,
			"Image "+img.ID+" already has the maximum of "+strconv.Itoa(s.settings.memberQuota)+" members."
	}
	if status != http.StatusOK {
		s.mu.Unlock()
		writeError(w, status, message)
		return
	}

	s.rememberBeforeWriteLocked(img)
	m := &memberState{ProjectID: rt.memberID, AddedAt: now}
	img.setMember(m) // replaces a removed member still lingering
	memberStatus, _, updated := s.settings.memberView(m, now)
	body := addedMemberEnvelope{Member: addedMemberBody{
		ID: m.ProjectID, ImageID: img.ID, CreatedAt: formatTime(now), UpdatedAt: formatTime(updated),
		Status: memberStatus,
	}}
	s.mu.Unlock()

	s.saveAfterWrite()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, rt route) {
	cred, ok := s.prepare(w, r, rt)
	if !ok {
		return
	}
	s.mu.Lock()
	now := s.now()
	img, rel := s.relationLocked(rt.imageID, cred.ProjectID, now)
	status, message := http.StatusNoContent, ""
	switch existing := memberOf(img, rt.memberID); {
	case rel == relationNone:
		status, message = http.StatusNotFound, "Image "+lower(rt.imageID)+" was not found."
	case rel != relationOwner:
		status, message = http.StatusForbidden, "Only the owner project may change the members of image "+img.ID+"."
	case existing == nil || existing.RemovedAt != nil:
		status, message = http.StatusNotFound, "Project "+rt.memberID+" is not a member of image "+img.ID+"."
	}
	if status != http.StatusNoContent {
		s.mu.Unlock()
		writeError(w, status, message)
		return
	}

	s.rememberBeforeWriteLocked(img)
	removedAt := now
	img.members[rt.memberID].RemovedAt = &removedAt
	s.settings.settle(img, now) // with no removal delay the member goes at once
	s.mu.Unlock()

	s.saveAfterWrite()
	w.WriteHeader(http.StatusNoContent)
}

func memberOf(img *imageState, project string) *memberState {
	if img == nil {
		return nil
	}
	return img.members[project]
}

// rememberBeforeWriteLocked keeps the list as it was before this write for LagMemberList. While
// a lag is armed, the first write after arming keeps its snapshot, so a burst of writes stays
// invisible as a whole.
func (s *Server) rememberBeforeWriteLocked(img *imageState) {
	if s.lagReads > 0 && img.hasLagged && img.laggedGen == s.lagGen {
		return
	}
	img.lagged = img.sortedMembers()
	img.laggedGen = s.lagGen
	img.hasLagged = true
}

// membersLocked is the emulator's own truth for an image, sorted by project.
func (s *Server) membersLocked(imageID string, now time.Time) []MemberRecord {
	img, ok := s.images[lower(imageID)]
	if !ok {
		return nil
	}
	s.settings.settle(img, now)
	records := img.sortedMembers()
	out := make([]MemberRecord, 0, len(records))
	for i := range records {
		m := &records[i]
		status, shared, updated := s.settings.memberView(m, now)
		out = append(out, MemberRecord{
			ProjectID: m.ProjectID, Status: status, IsShared: shared, Removed: m.RemovedAt != nil,
			CreatedAt: m.AddedAt, UpdatedAt: updated,
		})
	}
	return out
}

// MemberRecord is one member as the emulator itself knows it, including pending members and
// removed ones still lingering (Status "" and Removed true).
type MemberRecord struct {
	ProjectID string    `json:"project_id"`
	Status    string    `json:"status"`
	IsShared  bool      `json:"is_shared"`
	Removed   bool      `json:"removed"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type memberListBody struct {
	Members    []memberBody   `json:"members"`
	Pagination paginationBody `json:"pagination"`
}

type memberBody struct {
	ID        string  `json:"id"`
	ImageID   string  `json:"image_id"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
	Status    *string `json:"status"`
	IsShared  bool    `json:"is_shared"`
}

type addedMemberEnvelope struct {
	Member addedMemberBody `json:"member"`
}

type addedMemberBody struct {
	ID        string `json:"id"`
	ImageID   string `json:"image_id"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Status    string `json:"status"`
}
