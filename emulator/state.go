package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

const stateFileVersion = 1

// newImageStates builds the mutable image table from a fixture.
func newImageStates(f *Fixture) map[string]*imageState {
	images := make(map[string]*imageState, len(f.Images))
	for _, fi := range f.Images {
		img := &imageState{FixtureImage: fi.clone(), members: map[string]*memberState{}}
		for _, p := range img.Members {
			accepted := img.CreatedAt
			img.members[p] = &memberState{ProjectID: p, AddedAt: img.CreatedAt, AcceptedAt: &accepted}
		}
		img.Members = nil
		images[img.ID] = img
	}
	return images
}

// memberView computes a member's status at now: delays are applied on read, never by timers.
func (st settings) memberView(m *memberState, now time.Time) (status string, shared bool, updated time.Time) {
	if m.RemovedAt != nil {
		return "", false, *m.RemovedAt
	}
	if m.AcceptedAt != nil {
		return memberAccepted, true, *m.AcceptedAt
	}
	if st.propagation >= 0 && !now.Before(m.AddedAt.Add(st.propagation)) {
		return memberAccepted, true, m.AddedAt.Add(st.propagation)
	}
	return memberPending, false, m.AddedAt
}

// gone reports whether a removed member has finished lingering.
func (st settings) gone(m *memberState, now time.Time) bool {
	return m.RemovedAt != nil && st.removal >= 0 && !now.Before(m.RemovedAt.Add(st.removal))
}

// settle drops members that finished lingering and pins acceptance, so that a later change of
// the propagation delay cannot turn an accepted member back into a pending one.
func (st settings) settle(img *imageState, now time.Time) {
	for id, m := range img.members {
		if st.gone(m, now) {
			delete(img.members, id)
			img.order = nil
			continue
		}
		if m.RemovedAt == nil && m.AcceptedAt == nil {
			if status, _, updated := st.memberView(m, now); status == memberAccepted {
				m.AcceptedAt = &updated
			}
		}
	}
}

func (img *imageState) activeMembers() int {
	n := 0
	for _, m := range img.members {
		if m.RemovedAt == nil {
			n++
		}
	}
	return n
}

// orderedMembers returns the live records ordered by project ID, the order every listing uses;
// the order is cached until the member set changes.
func (img *imageState) orderedMembers() []*memberState {
	if img.order == nil || len(img.order) != len(img.members) {
		img.order = make([]string, 0, len(img.members))
		for id := range img.members {
			img.order = append(img.order, id)
		}
		slices.Sort(img.order)
	}
	out := make([]*memberState, 0, len(img.order))
	for _, id := range img.order {
		out = append(out, img.members[id])
	}
	return out
}

// setMember adds or replaces a record and drops the cached order.
func (img *imageState) setMember(m *memberState) {
	img.members[m.ProjectID] = m
	img.order = nil
}

// sortedMembers returns copies ordered by project ID, the order every listing uses.
func (img *imageState) sortedMembers() []memberState {
	out := make([]memberState, 0, len(img.members))
	for _, m := range img.members {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b memberState) int {
		switch {
		case a.ProjectID < b.ProjectID:
			return -1
		case a.ProjectID > b.ProjectID:
			return 1
		}
		return 0
	})
	return out
}

// visibility follows membership: a private image with an accepted member reports "shared".
func (st settings) visibility(img *imageState, now time.Time) (string, bool) {
	if img.Visibility == visibilityPublic {
		return visibilityPublic, false
	}
	for _, m := range img.members {
		if _, shared, _ := st.memberView(m, now); shared {
			return visibilityShared, true
		}
	}
	return visibilityPrivate, false
}

func encodeState(images map[string]*imageState) ([]byte, error) {
	file := persistedState{Version: stateFileVersion, Images: make([]persistedImage, 0, len(images))}
	for _, img := range images {
		file.Images = append(file.Images, persistedImage{
			FixtureImage: img.FixtureImage, MemberStates: img.sortedMembers(),
		})
	}
	slices.SortFunc(file.Images, func(a, b persistedImage) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	return json.MarshalIndent(file, "", "  ")
}

// loadState reads a state file; a missing file is not an error and yields nil.
func loadState(path string, f *Fixture) (map[string]*imageState, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state file: %w", err)
	}

	var file persistedState
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("decode state file %s: %w", path, err)
	}
	if file.Version != stateFileVersion {
		return nil, fmt.Errorf("state file %s has version %d, want %d", path, file.Version, stateFileVersion)
	}

	projects := make(map[string]bool, len(f.Projects))
	for _, p := range f.Projects {
		projects[p.ID] = true
	}
	images := make(map[string]*imageState, len(file.Images))
	for _, pi := range file.Images {
		pi.Members = nil
		if err := validateFixtureImage(pi.FixtureImage, projects); err != nil {
			return nil, fmt.Errorf("state file %s does not match the fixture: %w", path, err)
		}
		img := &imageState{FixtureImage: pi.FixtureImage, members: map[string]*memberState{}}
		for _, m := range pi.MemberStates {
			if !projects[m.ProjectID] {
				return nil, fmt.Errorf("state file %s: image %s has unknown member %s", path, img.ID, m.ProjectID)
			}
			img.members[m.ProjectID] = &m
		}
		images[img.ID] = img
	}
	return images, nil
}

// writeFileAtomic replaces path so that a reader sees either the old or the new content whole.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temporary state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed

	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write state file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace state file: %w", err)
	}

	// The rename itself is durable only once the directory is synced; not every OS allows it.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

type imageState struct {
	FixtureImage
	members map[string]*memberState
	order   []string // cached sorted member IDs; nil when stale

	// lagged is the member list as it was before the latest write, served while a lag is armed.
	lagged    []memberState
	laggedGen int
	hasLagged bool
}

type memberState struct {
	ProjectID  string     `json:"project_id"`
	AddedAt    time.Time  `json:"added_at"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	RemovedAt  *time.Time `json:"removed_at,omitempty"`
}

type persistedState struct {
	Version int              `json:"version"`
	Images  []persistedImage `json:"images"`
}

type persistedImage struct {
	FixtureImage
	MemberStates []memberState `json:"member_states"`
}
