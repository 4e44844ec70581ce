package clitest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
)

// State runs `show -json` and returns the resources in the state, from the root module and
// every child module. An empty or missing state gives a State with no resources.
func (w *Workdir) State(ctx context.Context) (*State, error) {
	res := w.Run(ctx, nil, "show", "-json", "-no-color")
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("show -json: exit %d: %w\n%s", res.ExitCode, res.Err, res.Stderr)
	}
	var doc showDocument
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil {
		return nil, fmt.Errorf("show -json: decode: %w", err)
	}

	state := &State{}
	if doc.Values != nil {
		state.Resources = collectResources(doc.Values.RootModule, nil)
	}
	return state, nil
}

// Resource returns the resource at a full address such as "kakaocloud_image_member.a".
func (s *State) Resource(address string) (Resource, bool) {
	for _, r := range s.Resources {
		if r.Address == address {
			return r, true
		}
	}
	return Resource{}, false
}

// SharedByImage maps each kakaocloud_image_member's image ID to its sorted shared_member_ids.
func (s *State) SharedByImage() map[string][]string {
	out := map[string][]string{}
	for _, r := range s.Resources {
		if r.Type == "kakaocloud_image_member" && r.Mode == "managed" {
			out[r.ID] = r.SharedMemberIDs
		}
	}
	return out
}

func collectResources(m *showModule, into []Resource) []Resource {
	if m == nil {
		return into
	}
	for _, raw := range m.Resources {
		r := Resource{Address: raw.Address, Mode: raw.Mode, Type: raw.Type, Name: raw.Name, Values: raw.Values}
		r.ID, _ = raw.Values["id"].(string)
		if ids, ok := raw.Values["shared_member_ids"].([]any); ok {
			for _, v := range ids {
				if s, ok := v.(string); ok {
					r.SharedMemberIDs = append(r.SharedMemberIDs, s)
				}
			}
			sort.Strings(r.SharedMemberIDs)
		}
		into = append(into, r)
	}
	for _, child := range m.ChildModules {
		into = collectResources(child, into)
	}
	return into
}

// State is the part of `show -json` the tests compare with the emulator.
type State struct {
	Resources []Resource
}

// Resource is one resource instance in the state.
type Resource struct {
	Address         string
	Mode            string // "managed" or "data"
	Type            string
	Name            string
	ID              string   // the "id" attribute
	SharedMemberIDs []string // sorted; nil when the resource has none
	Values          map[string]any
}

type showDocument struct {
	Values *struct {
		RootModule *showModule `json:"root_module"`
	} `json:"values"`
}

type showModule struct {
	Resources []struct {
		Address string         `json:"address"`
		Mode    string         `json:"mode"`
		Type    string         `json:"type"`
		Name    string         `json:"name"`
		Values  map[string]any `json:"values"`
	} `json:"resources"`
	ChildModules []*showModule `json:"child_modules"`
}
