package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"
)

// LoadFixture reads a JSON fixture (the format DefaultFixture marshals to) and checks it.
func LoadFixture(path string) (*Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f Fixture
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode fixture %s: %w", path, err)
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
	}
	return &f, nil
}

func (f *Fixture) validate() error {
	projects := make(map[string]bool, len(f.Projects))
	for _, p := range f.Projects {
		if !isProjectID(p.ID) {
			return fmt.Errorf("project %q: id is not 32 lower-case hex characters", p.ID)
		}
		if projects[p.ID] {
			return fmt.Errorf("project %s listed twice", p.ID)
		}
		projects[p.ID] = true
	}

	credentials := make(map[string]bool, len(f.Credentials))
	for _, c := range f.Credentials {
		if c.ID == "" || c.Secret == "" {
			return fmt.Errorf("credential %q: id and secret are required", c.ID)
		}
		if credentials[c.ID] {
			return fmt.Errorf("credential %s listed twice", c.ID)
		}
		credentials[c.ID] = true
		if !projects[c.ProjectID] {
			return fmt.Errorf("credential %s: unknown project %q", c.ID, c.ProjectID)
		}
	}

	images := make(map[string]bool, len(f.Images))
	for _, img := range f.Images {
		if err := validateFixtureImage(img, projects); err != nil {
			return err
		}
		if images[img.ID] {
			return fmt.Errorf("image %s listed twice", img.ID)
		}
		images[img.ID] = true
	}
	return nil
}

func validateFixtureImage(img FixtureImage, projects map[string]bool) error {
	if !isImageID(img.ID) || img.ID != lower(img.ID) {
		return fmt.Errorf("image %q: id is not a lower-case UUID", img.ID)
	}
	if !projects[img.Owner] {
		return fmt.Errorf("image %s: unknown owner %q", img.ID, img.Owner)
	}
	if !slices.Contains(imageStatuses, img.Status) {
		return fmt.Errorf("image %s: status %q is not one of %v", img.ID, img.Status, imageStatuses)
	}
	if img.Visibility != visibilityPublic && img.Visibility != visibilityPrivate {
		return fmt.Errorf("image %s: visibility %q must be public or private (shared follows members)",
			img.ID, img.Visibility)
	}
	if img.InstanceType != "" && !slices.Contains(instanceTypes, img.InstanceType) {
		return fmt.Errorf("image %s: instance_type %q is not one of %v", img.ID, img.InstanceType, instanceTypes)
	}
	if img.OSInfo != nil && img.OSInfo.Type != "" && !slices.Contains(osTypes, img.OSInfo.Type) {
		return fmt.Errorf("image %s: os_info.type %q is not one of %v", img.ID, img.OSInfo.Type, osTypes)
	}
	if len(img.Members) > 0 && img.Visibility == visibilityPublic {
		return fmt.Errorf("image %s: a public image cannot have members", img.ID)
	}
	seen := make(map[string]bool, len(img.Members))
	for _, m := range img.Members {
		if !projects[m] || m == img.Owner || seen[m] {
			return fmt.Errorf("image %s: member %q is unknown, the owner, or listed twice", img.ID, m)
		}
		seen[m] = true
	}
	return nil
}

func (f *Fixture) clone() *Fixture {
	c := &Fixture{
		Projects:    slices.Clone(f.Projects),
		Credentials: slices.Clone(f.Credentials),
		Images:      make([]FixtureImage, len(f.Images)),
	}
	for i, img := range f.Images {
		c.Images[i] = img.clone()
	}
	return c
}

func (img FixtureImage) clone() FixtureImage {
	img.Members = slices.Clone(img.Members)
	if img.OSInfo != nil {
		info := *img.OSInfo
		img.OSInfo = &info
	}
	return img
}

// Fixture describes the projects, credentials and images an emulator starts from.
type Fixture struct {
	Projects    []FixtureProject    `json:"projects"`
	Credentials []FixtureCredential `json:"credentials"`
	Images      []FixtureImage      `json:"images"`
}

// FixtureProject is a project (a tenant): 32 lower-case hex characters.
type FixtureProject struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// FixtureCredential is an application credential that issues tokens scoped to ProjectID.
type FixtureCredential struct {
	ID        string `json:"id"`
	Secret    string `json:"secret"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id,omitempty"`
	UserName  string `json:"user_name,omitempty"`
}

// FixtureImage is an image as the Image API reports it; Members are projects it is already
// shared with (accepted from the start).
type FixtureImage struct {
	ID              string         `json:"id"`
	Name            string         `json:"name,omitempty"`
	Description     string         `json:"description,omitempty"`
	Owner           string         `json:"owner"`
	Status          string         `json:"status"`
	Visibility      string         `json:"visibility"`
	Size            int64          `json:"size"`
	VirtualSize     int64          `json:"virtual_size"`
	DiskFormat      string         `json:"disk_format,omitempty"`
	ContainerFormat string         `json:"container_format,omitempty"`
	MinDisk         int64          `json:"min_disk"`
	MinRAM          int64          `json:"min_ram"`
	InstanceType    string         `json:"instance_type,omitempty"`
	OSInfo          *FixtureOSInfo `json:"os_info,omitempty"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	Members         []string       `json:"members,omitempty"`
}

// FixtureOSInfo is the operating system block of an image.
type FixtureOSInfo struct {
	Type         string `json:"type,omitempty"`
	Distro       string `json:"distro,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	AdminUser    string `json:"admin_user,omitempty"`
	IsHidden     bool   `json:"is_hidden"`
}
