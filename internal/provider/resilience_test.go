package provider

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// Issue 4, item 1: with 30% of image API requests failing (503, 429 with Retry-After, dropped
// connections) under fixed seeds, create with 50 projects, update half, destroy; every step
// succeeds and state agrees with the emulator after each.
func TestResilience_transientFaults(t *testing.T) {
	for _, seed := range []int64{20240401, 7} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			srv := testEmulator(t, emulator.Options{Latency: 5 * time.Millisecond})
			image := emulator.DefaultExtraImageIDs()[0]
			initial, updated := projects(0, 50), append(projects(0, 25), projects(50, 25)...)
			wd := resWorkdir(t, resConfig(srv.URL(), []resShare{{image, initial}}, ""))
			ctx := resContext(t)
			srv.SetFaults(emulator.Faults{Rate503: 0.1, Rate429: 0.1, RateDrop: 0.1,
				RetryAfter: time.Second, Seed: seed})

			steps := []struct {
				name   string
				config []string // nil for destroy
			}{
				{"create 50", initial},
				{"update half", updated},
				{"destroy", nil},
			}
			for _, step := range steps {
				var took time.Duration
				if step.config == nil {
					took = resMustApply(t, ctx, wd, "destroy").Duration
				} else {
					wd.SetConfig(resConfig(srv.URL(), []resShare{{image, step.config}}, ""))
					took = resMustApply(t, ctx, wd, "apply").Duration
					resMustPlanEmpty(t, ctx, wd)
				}
				resMustAgree(t, ctx, wd, srv, []string{image})
				t.Logf("%s: succeeded in %s; faults injected so far: %s", step.name,
					took.Round(time.Millisecond), resFaults(srv))
			}
			if got := srv.SharedWith(image); len(got) != 0 {
				t.Fatalf("after destroy the image is still shared with %v", got)
			}
			c := srv.Counters()
			t.Logf("outcome: 3/3 steps succeeded; requests by route %v; faults %s", c.ByRoute, resFaults(srv))
		})
	}
}

// Issue 4, item 2: a 100-project create against a slow API, with the CLI (and its provider
// process) SIGKILLed at a different moment in each run; then an apply converges, a plan is empty,
// and no share exists that state does not know.
func TestResilience_killedMidApply(t *testing.T) {
	const runs = 10
	srv := testEmulator(t, emulator.Options{
		Latency:          20 * time.Millisecond,
		PropagationDelay: 1500 * time.Millisecond,
		RemovalDelay:     500 * time.Millisecond,
		MemberQuota:      256,
	})
	images := emulator.DefaultExtraImageIDs()[:runs]
	members := projects(100, 100)
	outcomes := map[string]int{}
	var mu sync.Mutex

	for run := 0; run < runs; run++ {
		moment := resKillMoment(run, runs, len(members))
		image := images[run]
		t.Run(fmt.Sprintf("run=%d/kill=%s", run, moment), func(t *testing.T) {
			wd := resWorkdir(t, resConfig(srv.URL(), []resShare{{image, members}}, ""))
			ctx := resContext(t)

			proc, err := wd.Start(ctx, resEnv(nil), "apply", "-auto-approve", "-input=false", "-no-color")
			if err != nil {
				t.Fatal(err)
			}
			moment.wait(srv, image)
			_ = proc.Kill()
			killed := proc.Wait()
			if strings.Contains(killed.Output(), "panic") {
				t.Fatalf("killed apply printed a panic:\n%s", killed.Output())
			}
			sharedAtKill := len(srv.SharedWith(image))
			outcome := "killed before any share"
			switch {
			case killed.ExitCode == 0:
				outcome = "finished before the kill"
			case sharedAtKill == len(members):
				outcome = "killed after every add, while waiting"
			case sharedAtKill > 0:
				outcome = "killed part way through the adds"
			}

			resMustApply(t, ctx, wd, "apply")
			resMustAgree(t, ctx, wd, srv, []string{image})
			resMustPlanEmpty(t, ctx, wd)
			resMustApply(t, ctx, wd, "destroy")
			resMustAgree(t, ctx, wd, srv, []string{image})
			t.Logf("killed %s with %d/%d shared: %s; the next apply converged",
				moment, sharedAtKill, len(members), outcome)
			mu.Lock()
			outcomes[outcome]++
			mu.Unlock()
		})
	}
	t.Logf("runs: %d; outcomes: %v; requests by route: %v", runs, outcomes, srv.Counters().ByRoute)
}

// resKillMoment spreads the kills of TestResilience_killedMidApply: the first run before the
// provider has made a call, the last while it waits for propagation, and the others once a
// growing number of adds took effect in the emulator, which a fixed delay cannot hit reliably when
// the adds run in parallel.
func resKillMoment(run, runs, members int) resMoment {
	switch run {
	case 0:
		return resMoment{delay: 200 * time.Millisecond}
	case runs - 1:
		return resMoment{adds: members, delay: 500 * time.Millisecond}
	}
	return resMoment{adds: 1 + (run-1)*(members-2)/(runs-2)}
}

// resMoment is when to kill: once the image has adds members, then after delay.
type resMoment struct {
	adds  int
	delay time.Duration
}

func (m resMoment) String() string { return fmt.Sprintf("after %d adds + %s", m.adds, m.delay) }

func (m resMoment) wait(srv *emulator.Server, image string) {
	deadline := time.Now().Add(time.Minute)
	for m.adds > 0 && time.Now().Before(deadline) && len(srv.SharedWith(image)) < m.adds {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(m.delay)
}

// Issue 4, item 3: tokens that expire every few seconds during a long apply with 20 resources
// and -parallelism=10: the apply succeeds, and tokens are issued once per expiry window (plus one
// per provider process the CLI starts), never once per resource.
func TestResilience_tokenExpiry(t *testing.T) {
	const lifetime = 2 * time.Second
	srv := testEmulator(t, emulator.Options{
		Latency:          10 * time.Millisecond,
		PropagationDelay: 5 * time.Second,
		TokenLifetime:    lifetime,
	})
	shares := make([]resShare, 20)
	images := emulator.DefaultExtraImageIDs()[:20]
	for i := range shares {
		shares[i] = resShare{images[i], projects(i*3, 3)}
	}
	wd := resWorkdir(t, resConfig(srv.URL(), shares, ""))
	ctx := resContext(t)

	srv.ResetCounters()
	res := resMustApply(t, ctx, wd, "apply", "-parallelism=10")
	issued := srv.Counters().ByRoute[emulator.RouteTokenIssue]
	resMustAgree(t, ctx, wd, srv, images)

	// Terraform 1.5 starts the provider for validation, for the plan and for the apply; each
	// process holds its own token.
	const processes = 3
	windows := int64(math.Ceil(float64(res.Duration) / float64(lifetime)))
	t.Logf("apply took %s with %s tokens: %d issued for %d windows, %d resources",
		res.Duration.Round(time.Millisecond), lifetime, issued, windows, len(shares))
	if issued < 2 {
		t.Errorf("a %s apply with %s tokens issued only %d token(s): expiry was not exercised",
			res.Duration.Round(time.Millisecond), lifetime, issued)
	}
	if issued > windows+processes {
		t.Errorf("%d tokens issued for %d expiry windows and %d provider processes: more than one per "+
			"window", issued, windows, processes)
	}

	srv.ResetCounters()
	res = resMustApply(t, ctx, wd, "destroy", "-parallelism=10")
	issued = srv.Counters().ByRoute[emulator.RouteTokenIssue]
	windows = int64(math.Ceil(float64(res.Duration) / float64(lifetime)))
	t.Logf("destroy took %s: %d tokens issued for %d windows",
		res.Duration.Round(time.Millisecond), issued, windows)
	if issued > windows+processes {
		t.Errorf("destroy issued %d tokens for %d expiry windows", issued, windows)
	}
	resMustAgree(t, ctx, wd, srv, images)
}

// Issue 4, item 4: 20 resources on 20 images in one apply at Terraform's default parallelism
// of 10, in process so that `go test -race` covers the provider; then one image named by two
// resources with different members gets a clear error.
func TestResilience_concurrency(t *testing.T) {
	srv := testEmulator(t, emulator.Options{
		Latency:          5 * time.Millisecond,
		PropagationDelay: 200 * time.Millisecond,
	})
	images := emulator.DefaultExtraImageIDs()[20:40]
	create, update := make([]resShare, 20), make([]resShare, 20)
	var checks []statecheck.StateCheck
	for i := range create {
		create[i] = resShare{images[i], projects(i*4, 3)}
		update[i] = resShare{images[i], projects(i*4+1, 3)}
		checks = append(checks, emulatorAgrees{srv, fmt.Sprintf("kakaocloud_image_member.m%d", i)})
	}
	config := func(shares []resShare) string {
		return providerBlock(srv) + resResources(shares, "")
	}
	twoOnOne := []resShare{
		{images[0], projects(200, 2)},
		{images[0], projects(202, 2)},
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, images...),
		Steps: []resource.TestStep{
			{
				Config:            config(create),
				ConfigStateChecks: checks,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config:            config(update),
				ConfigStateChecks: checks,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("kakaocloud_image_member.m7", plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					t.Logf("20 resources applied and updated; requests by route %v", srv.Counters().ByRoute)
					return nil
				},
			},
			{
				Config:      config(twoOnOne),
				ExpectError: regexp.MustCompile(`Image Managed by Two Resources`),
			},
			// The configuration of the last step is what the harness destroys.
			{Config: config(update)},
		},
	})
}
