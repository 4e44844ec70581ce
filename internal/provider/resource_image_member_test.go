package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// Scenario 1: create with two projects; the plan afterwards is empty and members is complete.
func TestAccImageMember_basic(t *testing.T) {
	srv := testEmulator(t, emulator.Options{PropagationDelay: 300 * time.Millisecond})
	image, p := emulator.DefaultActiveImageID, projects(0, 2)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{{
			Config: imageMemberConfig(srv, image, p, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(testResource, tfjsonpath.New("members")),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testResource, tfjsonpath.New("id"), knownvalue.StringExact(image)),
				statecheck.ExpectKnownValue(testResource, tfjsonpath.New("shared_member_ids"),
					knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(p[0]), knownvalue.StringExact(p[1])})),
				statecheck.ExpectKnownValue(testResource, tfjsonpath.New("members"), knownvalue.ListExact([]knownvalue.Check{
					memberCheck(p[0]), memberCheck(p[1]),
				})),
				emulatorAgrees{srv, testResource},
			},
		}},
	})
}

// memberCheck expects a settled member of the fixture's active image.
func memberCheck(project string) knownvalue.Check {
	rfc3339 := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"id":         knownvalue.StringExact(project),
		"image_id":   knownvalue.StringExact(emulator.DefaultActiveImageID),
		"status":     knownvalue.StringExact("accepted"),
		"is_shared":  knownvalue.Bool(true),
		"created_at": knownvalue.StringRegexp(rfc3339),
		"updated_at": knownvalue.StringRegexp(rfc3339),
	})
}

// Scenario 2: adding one project and dropping another is an in-place update of two API writes.
func TestAccImageMember_update(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image, p := emulator.DefaultActiveImageID, projects(0, 3)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{
				Config:            imageMemberConfig(srv, image, p[:2], ""),
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			},
			{
				PreConfig: srv.ResetCounters,
				Config:    imageMemberConfig(srv, image, []string{p[0], p[2]}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(testResource, tfjsonpath.New("members")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					emulatorAgrees{srv, testResource},
					statecheck.ExpectKnownValue(testResource, tfjsonpath.New("shared_member_ids"),
						knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(p[0]), knownvalue.StringExact(p[2])})),
				},
				Check: func(*terraform.State) error {
					return expectCounts(srv, map[string]int64{emulator.RouteAddMember: 1, emulator.RouteRemoveMember: 1})
				},
			},
		},
	})
}

// Changing the image replaces the resource: the old image is unshared, the new one shared.
func TestAccImageMember_replaceImage(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	first, second := emulator.DefaultActiveImageID, emulator.DefaultExtraImageIDs()[0]
	p := projects(0, 2)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, first, second),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, first, p, "")},
			{
				Config: imageMemberConfig(srv, second, p, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionDestroyBeforeCreate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
				Check:             checkNoMembers(srv, first),
			},
		},
	})
}

// Scenarios 3 and 4: drift in either direction shows in the next plan and apply puts it back.
func TestAccImageMember_drift(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image, p := emulator.DefaultActiveImageID, projects(0, 3)
	oob := ownerClient(t, srv)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, p[:2], "")},
			{
				PreConfig: outOfBand(t, "remove", func(ctx context.Context) error {
					return oob.RemoveImageMember(ctx, image, p[1])
				}),
				Config: imageMemberConfig(srv, image, p[:2], ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionUpdate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			},
			{
				PreConfig: outOfBand(t, "add", func(ctx context.Context) error {
					_, err := oob.AddImageMember(ctx, image, p[2])
					return err
				}),
				Config: imageMemberConfig(srv, image, p[:2], ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionUpdate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			},
		},
	})
}

// Scenario 5: the image deleted out of band leaves state on refresh, and destroy succeeds.
func TestAccImageMember_imageDisappears(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image := emulator.DefaultExtraImageIDs()[1]

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, projects(0, 2), "")},
			{
				PreConfig:          deleteImage(t, srv, image),
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check: func(s *terraform.State) error {
					if _, ok := s.RootModule().Resources[testResource]; ok {
						return fmt.Errorf("%s is still in state after its image was deleted", testResource)
					}
					return nil
				},
			},
		},
	})
}

// Scenario 6: 150 projects with the API answering at most 20 members a page.
func TestAccImageMember_manyMembersPaged(t *testing.T) {
	srv := testEmulator(t, emulator.Options{MemberQuota: 200, PageSizeCap: 20})
	image, p := emulator.DefaultActiveImageID, projects(0, 150)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{{
			Config: imageMemberConfig(srv, image, p, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				emulatorAgrees{srv, testResource},
				statecheck.ExpectKnownValue(testResource, tfjsonpath.New("members"), knownvalue.ListSizeExact(150)),
			},
			Check: func(*terraform.State) error {
				// One read of the empty list before adding, then 8 pages of 20 for the 150 members.
				if n := counted(srv, emulator.RouteListMembers); n != 9 {
					return fmt.Errorf("%d member-list requests during apply, want 1 + 8 pages", n)
				}
				return nil
			},
		}},
	})
}

// Scenario 7: every fifth add is throttled with Retry-After: 1; apply succeeds within its timeout.
func TestAccImageMember_throttled(t *testing.T) {
	srv := testEmulator(t, emulator.Options{Faults: emulator.Faults{Rules: []emulator.FaultRule{{
		Route: emulator.RouteAddMember, Every: 5, Action: emulator.Fault429, RetryAfter: time.Second,
	}}}})
	image, p := emulator.DefaultActiveImageID, projects(0, 12)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{{
			Config:            imageMemberConfig(srv, image, p, "  timeouts = { create = \"2m\" }\n"),
			ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			Check: func(*terraform.State) error {
				if n := srv.Counters().Faults[emulator.Fault429]; n < 2 {
					return fmt.Errorf("expected at least two throttled adds, the emulator counted %d", n)
				}
				return nil
			},
		}},
	})
}

// Scenario 8: the token expires in the middle of an apply.
func TestAccImageMember_tokenExpiry(t *testing.T) {
	srv := testEmulator(t, emulator.Options{PropagationDelay: 2 * time.Second})
	image, p := emulator.DefaultActiveImageID, projects(0, 4)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{{
			PreConfig: func() {
				srv.ResetCounters()
				go func() {
					// Expire every token repeatedly while the apply waits for propagation.
					for i := 0; i < 20; i++ {
						time.Sleep(500 * time.Millisecond)
						srv.ExpireTokens()
					}
				}()
			},
			Config:            imageMemberConfig(srv, image, p, ""),
			ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			Check: func(*terraform.State) error {
				if n := counted(srv, emulator.RouteTokenIssue); n < 2 {
					return fmt.Errorf("expected the token to be issued again after expiry, counted %d issues", n)
				}
				return nil
			},
		}},
	})
}

// Scenario 9: slow propagation and a first list that shows none of the adds: create waits.
func TestAccImageMember_slowPropagation(t *testing.T) {
	srv := testEmulator(t, emulator.Options{PropagationDelay: 2 * time.Second})
	image, p := emulator.DefaultActiveImageID, projects(0, 3)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{{
			PreConfig: func() { srv.LagMemberList(3) },
			Config:    imageMemberConfig(srv, image, p, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
		}},
	})
}

// Scenario 10: a create timeout with sharing that never settles fails on time, names the pending
// projects, and state keeps what exists; the next apply converges once the API settles.
func TestAccImageMember_createTimeout(t *testing.T) {
	srv := testEmulator(t, emulator.Options{PropagationDelay: -1})
	image, p := emulator.DefaultActiveImageID, projects(0, 2)
	var started time.Time

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{
				PreConfig:   func() { started = time.Now() },
				Config:      imageMemberConfig(srv, image, p, "  timeouts = { create = \"5s\" }\n"),
				ExpectError: errRe("did not settle within the 5s timeout", p[0]+", "+p[1], "terraform untaint"),
			},
			{
				PreConfig: func() {
					if took := time.Since(started); took > 45*time.Second {
						t.Errorf("the failing apply took %s, far past its 5s create timeout", took)
					}
					if got := srv.Members(image); len(got) != 2 {
						t.Errorf("the emulator should hold the two pending members, holds %+v", got)
					}
					srv.SetDelays(0, 0)
				},
				Config: imageMemberConfig(srv, image, p, "  timeouts = { create = \"5s\" }\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						// The failed create is in state, tainted, so it is replaced.
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionDestroyBeforeCreate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			},
		},
	})
}

// Scenario 11: an apply cut off after some adds converges on the next apply, with no "already
// shared" dead end.
func TestAccImageMember_interruptedApply(t *testing.T) {
	srv := testEmulator(t, emulator.Options{Faults: emulator.Faults{Rules: []emulator.FaultRule{{
		Route: emulator.RouteAddMember, After: 3, Action: emulator.Fault503,
	}}}})
	image, p := emulator.DefaultActiveImageID, projects(0, 8)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{
				Config:      imageMemberConfig(srv, image, p, "  timeouts = { create = \"8s\" }\n"),
				ExpectError: regexp.MustCompile(`Error Creating Image Sharing`),
			},
			{
				PreConfig: func() {
					if got := srv.SharedWith(image); len(got) != 3 {
						t.Errorf("expected 3 shares made before the API failed, found %v", got)
					}
					srv.SetFaults(emulator.Faults{})
				},
				Config: imageMemberConfig(srv, image, p, "  timeouts = { create = \"8s\" }\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			},
		},
	})
}

// Scenario 12: malformed IDs fail at plan time on the attribute, before any API call.
func TestAccImageMember_malformedIDs(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	good := projects(0, 1)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      imageMemberConfig(srv, "not-a-uuid", good, ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Attribute id must be an image ID.*got: not-a-uuid`),
			},
			{
				Config:      imageMemberConfig(srv, emulator.DefaultActiveImageID, []string{"12345", good[0]}, ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)shared_member_ids.*must be a project ID.*got: 12345`),
			},
			{
				Config: imageMemberConfig(srv, emulator.DefaultActiveImageID,
					[]string{good[0], strings.ToUpper(good[0])}, ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Duplicate Project ID`),
			},
			{
				// A valid last step, as the harness destroys with the last configuration.
				Config: providerBlock(srv),
				Check: func(*terraform.State) error {
					// Validation errors happen before the provider is configured, so no token either.
					if c := srv.Counters().ByRoute; c[emulator.RouteListMembers]+c[emulator.RouteAddMember]+
						c[emulator.RouteGetImage] > 0 {
						return fmt.Errorf("malformed configurations reached the API: %v", c)
					}
					return nil
				},
			},
		},
	})
}

// Import by image ID reads every member; ImportStateVerify compares with what apply stored.
func TestAccImageMember_import(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image := emulator.DefaultActiveImageID

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, projects(0, 3), "")},
			{
				ResourceName:                         testResource,
				ImportState:                          true,
				ImportStateId:                        image,
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "id",
				ImportStateVerifyIgnore:              []string{"timeouts"},
			},
			{
				ResourceName:  testResource,
				ImportState:   true,
				ImportStateId: "088b4056",
				ExpectError:   regexp.MustCompile(`Invalid Import ID`),
			},
		},
	})
}

// Create refuses an image shared outside the plan and says to import it; planned members that
// already exist are adopted.
func TestAccImageMember_existingMembers(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image, p := emulator.DefaultActiveImageID, projects(0, 3)
	oob := ownerClient(t, srv)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{
				PreConfig: outOfBand(t, "add", func(ctx context.Context) error {
					_, err := oob.AddImageMember(ctx, image, p[2])
					return err
				}),
				Config:      imageMemberConfig(srv, image, p[:2], ""),
				ExpectError: errRe("Image Already Shared", p[2], "terraform import"),
			},
			{
				// The out-of-band member is planned now, so it is adopted rather than refused.
				Config:            imageMemberConfig(srv, image, p, ""),
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			},
		},
	})
}

// At the member quota, swapping a project removes the dropped one first, then adds the new one.
func TestAccImageMember_swapAtQuota(t *testing.T) {
	srv := testEmulator(t, emulator.Options{MemberQuota: 3})
	image, p := emulator.DefaultActiveImageID, projects(0, 4)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, p[:3], "")},
			{
				PreConfig: srv.ResetCounters,
				Config:    imageMemberConfig(srv, image, []string{p[0], p[1], p[3]}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionUpdate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
				Check: func(*terraform.State) error {
					// The first add meets the quota, the removal frees a place, the add is made again.
					return expectCounts(srv, map[string]int64{emulator.RouteAddMember: 2, emulator.RouteRemoveMember: 1})
				},
			},
		},
	})
}

// A project shared outside Terraform shows in the next plan while it is still pending, and an
// import right after such a share records it.
func TestAccImageMember_pendingOutOfBand(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image, p := emulator.DefaultActiveImageID, projects(0, 3)
	oob := ownerClient(t, srv)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, p[:2], "")},
			{
				PreConfig: func() {
					srv.SetDelays(time.Hour, 0)
					outOfBand(t, "add", func(ctx context.Context) error {
						_, err := oob.AddImageMember(ctx, image, p[2])
						return err
					})()
				},
				ResourceName:  testResource,
				ImportState:   true,
				ImportStateId: image,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if n := states[0].Attributes["shared_member_ids.#"]; n != "3" {
						return fmt.Errorf("import recorded %s projects, want 3 with the pending one", n)
					}
					return nil
				},
			},
			{
				Config: imageMemberConfig(srv, image, p[:2], ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionUpdate),
					},
				},
				Check: func(*terraform.State) error {
					if got := srv.SharedWith(image); slices.Contains(got, p[2]) {
						return fmt.Errorf("the pending outside share %s survived the apply: %v", p[2], got)
					}
					return nil
				},
			},
		},
	})
}

// Importing an image that cannot be shared fails at import, not at the first apply.
func TestAccImageMember_importPublicImage(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image := emulator.DefaultActiveImageID

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, projects(0, 1), "")},
			{
				// No configuration of its own: an import step with one runs in a working directory
				// that OpenTofu cannot resolve the harness's provider in.
				ResourceName:  testResource,
				ImportState:   true,
				ImportStateId: emulator.DefaultPublicImageID,
				ExpectError:   errRe("Public Image Cannot Be Shared"),
			},
		},
	})
}

// Review findings: a change of timeouts alone asks nothing of the API even while a removal still
// shows; an empty member list empties members; a pending share dropped from the configuration is
// removed, not forgotten.
func TestAccImageMember_settlingEdges(t *testing.T) {
	srv := testEmulator(t, emulator.Options{RemovalDelay: 2 * time.Second})
	image, p := emulator.DefaultActiveImageID, projects(0, 3)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, p, "")},
			{Config: imageMemberConfig(srv, image, p[:2], "")},
			{
				PreConfig: func() { time.Sleep(2500 * time.Millisecond) }, // the removal stops showing
				Config:    imageMemberConfig(srv, image, p[:2], "  timeouts = { update = \"9m\" }\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(testResource, tfjsonpath.New("members"), knownvalue.ListSizeExact(2)),
					},
				},
			},
			{
				PreConfig: func() { srv.SetDelays(0, 0) }, // removals leave the list at once
				Config:    imageMemberConfig(srv, image, nil, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					emulatorAgrees{srv, testResource},
					statecheck.ExpectKnownValue(testResource, tfjsonpath.New("members"), knownvalue.ListSizeExact(0)),
				},
			},
			{
				PreConfig:   func() { srv.SetDelays(-1, 0) },
				Config:      imageMemberConfig(srv, image, p[:2], "  timeouts = { update = \"3s\" }\n"),
				ExpectError: errRe("did not settle within the 3s timeout", p[0]),
			},
			{
				// p[1] is still pending and no longer wanted: the plan removes it.
				Config: imageMemberConfig(srv, image, p[:1], "  timeouts = { update = \"3s\" }\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionUpdate),
					},
				},
				ExpectError: errRe("did not settle within the 3s timeout", p[0]),
			},
			{
				PreConfig: func() {
					if got := srv.Members(image); len(got) != 1 || got[0].ProjectID != p[0] {
						t.Errorf("only %s should be left on the image, found %+v", p[0], got)
					}
					srv.SetDelays(0, 0)
				},
				Config:            imageMemberConfig(srv, image, p[:1], ""),
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
			},
		},
	})
}

// A resource renamed without a moved block would be destroyed while its successor shares the same
// image, in any order; the plan refuses it.
func TestAccImageMember_renamedWithoutMoved(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image, p := emulator.DefaultActiveImageID, projects(0, 2)
	renamed := strings.Replace(imageMemberConfig(srv, image, p, ""), `"test"`, `"renamed"`, 1)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, p, "")},
			{Config: renamed, ExpectError: errRe("Image Unshared and Shared in One Apply", "moved block")},
			{
				Config: renamed + "\nmoved {\n  from = kakaocloud_image_member.test\n  to   = kakaocloud_image_member.renamed\n}\n",
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// sideEffect is a plan check that changes the API between Terraform's plan and its apply, as a
// saved plan applied later would meet it.
type sideEffect func()

func (f sideEffect) CheckPlan(context.Context, plancheck.CheckPlanRequest, *plancheck.CheckPlanResponse) {
	f()
}

// An update works from the member list as it is at apply time: a project shared elsewhere after
// the plan is removed, and one unshared elsewhere is added back.
func TestAccImageMember_changedBetweenPlanAndApply(t *testing.T) {
	srv := testEmulator(t, emulator.Options{PropagationDelay: 500 * time.Millisecond})
	image, p := emulator.DefaultActiveImageID, projects(0, 4)
	oob := ownerClient(t, srv)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: imageMemberConfig(srv, image, p[:3], "")},
			{
				Config: imageMemberConfig(srv, image, p[:2], ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{sideEffect(outOfBand(t, "changes", func(ctx context.Context) error {
						if _, err := oob.AddImageMember(ctx, image, p[3]); err != nil {
							return err
						}
						return oob.RemoveImageMember(ctx, image, p[0])
					}))},
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorAgrees{srv, testResource}},
				Check: func(*terraform.State) error {
					if got := srv.SharedWith(image); !slices.Equal(got, p[:2]) {
						return fmt.Errorf("after apply the image is shared with %v, want %v", got, p[:2])
					}
					return nil
				},
			},
		},
	})
}

// Two resources that agree on one image can be destroyed together.
func TestAccImageMember_identicalPairDestroyed(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image, p := emulator.DefaultActiveImageID, projects(0, 2)
	pair := imageMemberConfig(srv, image, p, "") +
		strings.Replace(strings.TrimPrefix(imageMemberConfig(srv, image, p, ""), providerBlock(srv)),
			`"test"`, `"twin"`, 1)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{
			{Config: pair},
			{Config: pair, Destroy: true},
		},
	})
}
