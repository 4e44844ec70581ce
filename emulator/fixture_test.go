package emulator

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefaultFixture(t *testing.T) {
	f := DefaultFixture()
	if err := f.validate(); err != nil {
		t.Fatal(err)
	}
	projects := DefaultProjectIDs()
	if len(projects) != 320 || !slices.IsSorted(projects) || len(slices.Compact(slices.Clone(projects))) != 320 {
		t.Fatalf("DefaultProjectIDs: %d ids, sorted %v", len(projects), slices.IsSorted(projects))
	}
	images := DefaultExtraImageIDs()
	if len(images) != 64 || len(f.Images) != 68 {
		t.Fatalf("%d extra images, %d in all", len(images), len(f.Images))
	}
	for _, id := range images {
		if !isImageID(id) || id != strings.ToLower(id) {
			t.Errorf("extra image id %q", id)
		}
	}
	// Deterministic: docs and examples name these.
	if projects[0] != DefaultProjectIDs()[0] || images[0] != DefaultExtraImageIDs()[0] {
		t.Error("IDs differ between calls")
	}
	projects[0] = "changed"
	if DefaultProjectIDs()[0] == "changed" {
		t.Error("DefaultProjectIDs shares its slice")
	}
}

func TestLoadFixture(t *testing.T) {
	dir := t.TempDir()
	good := DefaultFixture()
	good.Images[0].Members = []string{DefaultOtherProjectID}
	data, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "fixture.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFixture(path)
	if err != nil {
		t.Fatal(err)
	}
	s := NewTestServer(t, Options{Fixture: f})
	if got := s.Members(ownerImage); len(got) != 1 || !got[0].IsShared {
		t.Errorf("fixture member = %+v, want accepted", got)
	}

	breakers := map[string]func(f *Fixture){
		"bad project id":   func(f *Fixture) { f.Projects[0].ID = "ABC" },
		"dup project":      func(f *Fixture) { f.Projects[1].ID = f.Projects[0].ID },
		"orphan cred":      func(f *Fixture) { f.Credentials[0].ProjectID = strings.Repeat("1", 32) },
		"bad image id":     func(f *Fixture) { f.Images[0].ID = "x" },
		"bad visibility":   func(f *Fixture) { f.Images[0].Visibility = visibilityShared },
		"bad status":       func(f *Fixture) { f.Images[0].Status = "gone" },
		"member is owner":  func(f *Fixture) { f.Images[0].Members = []string{DefaultOwnerProjectID} },
		"public + members": func(f *Fixture) { f.Images[2].Members = []string{DefaultOtherProjectID} },
	}
	for name, breakIt := range breakers {
		f := DefaultFixture()
		breakIt(f)
		data, _ := json.Marshal(f)
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadFixture(p); err == nil {
			t.Errorf("%s: LoadFixture accepted it", name)
		}
		if _, err := New(Options{Fixture: f}); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := LoadFixture(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
}
