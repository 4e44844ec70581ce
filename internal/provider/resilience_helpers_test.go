package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/clitest"
)

// The resilience tests (issue 4) run the real CLI against a provider binary, through
// internal/clitest, wherever the CLI must be killed or its log read; the rest use the in-process
// harness so that `go test -race` covers the provider.

const resCommandTimeout = 3 * time.Minute

// resShare is one kakaocloud_image_member resource of a generated configuration.
type resShare struct {
	image    string
	projects []string
}

// resConfig renders a provider block for baseURL (credentials come from the environment, see
// resEnv) and one resource per share, named m0, m1, ... in order, with extra HCL in each.
func resConfig(baseURL string, shares []resShare, extra string) string {
	return fmt.Sprintf("provider \"kakaocloud\" {\n  endpoint_overrides = { iam = %q, image = %q }\n}\n",
		baseURL, baseURL) + resResources(shares, extra)
}

// resResources renders the resources of resConfig alone.
func resResources(shares []resShare, extra string) string {
	var b strings.Builder
	for i, s := range shares {
		fmt.Fprintf(&b, "\nresource \"kakaocloud_image_member\" \"m%d\" {\n  id                = %q\n"+
			"  shared_member_ids = %s\n%s}\n", i, s.image, hclList(s.projects), extra)
	}
	return b.String()
}

// resEnv gives the provider the owner's credential the way users are told to: by environment.
func resEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"KAKAOCLOUD_APPLICATION_CREDENTIAL_ID":     emulator.DefaultOwnerCredentialID,
		"KAKAOCLOUD_APPLICATION_CREDENTIAL_SECRET": emulator.DefaultOwnerCredentialSecret,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// resWorkdir returns an initialised working directory for hcl, or skips without TF_ACC.
func resWorkdir(t *testing.T, hcl string) *clitest.Workdir {
	t.Helper()
	cli := clitest.CLIPath(t)
	return clitest.NewWorkdir(t, cli, clitest.BuildProvider(t), hcl)
}

func resContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), resCommandTimeout)
	t.Cleanup(cancel)
	return ctx
}

// resRun runs one CLI command with the test environment and fails the test on a panic, which a
// provider crash prints on stderr whatever the exit code.
func resRun(t *testing.T, ctx context.Context, wd *clitest.Workdir,
	args ...string) clitest.Result {
	t.Helper()
	res := wd.Run(ctx, resEnv(nil), args...)
	if strings.Contains(res.Output(), "panic") {
		t.Fatalf("%s printed a panic:\n%s", args[0], res.Output())
	}
	return res
}

// resMustApply applies (or destroys, with cmd "destroy") and fails the test unless it succeeds.
func resMustApply(t *testing.T, ctx context.Context, wd *clitest.Workdir, cmd string,
	extra ...string) clitest.Result {
	t.Helper()
	args := append([]string{cmd, "-auto-approve", "-input=false", "-no-color"}, extra...)
	res := resRun(t, ctx, wd, args...)
	if res.ExitCode != 0 {
		t.Fatalf("%s failed (exit %d, %s):\n%s", cmd, res.ExitCode, res.Duration, res.Output())
	}
	return res
}

// resMustPlanEmpty fails the test unless a plan shows no change.
func resMustPlanEmpty(t *testing.T, ctx context.Context, wd *clitest.Workdir) {
	t.Helper()
	res := resRun(t, ctx, wd, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if res.ExitCode != 0 {
		t.Fatalf("plan after apply is not empty (exit %d):\n%s", res.ExitCode, res.Output())
	}
}

// resMustAgree compares Terraform state with the emulator's own record for every image of the
// test: an image in state is shared with exactly its shared_member_ids, any other image with
// nobody, so no share exists that state does not know.
func resMustAgree(t *testing.T, ctx context.Context, wd *clitest.Workdir, srv *emulator.Server,
	images []string) {
	t.Helper()
	if msg := resDisagreement(ctx, wd, srv, images); msg != "" {
		t.Fatal(msg)
	}
}

// resCheckAgree is resMustAgree for a step that failed on purpose: a disagreement is reported and
// the test goes on to check that the next run converges.
func resCheckAgree(t *testing.T, ctx context.Context, wd *clitest.Workdir, srv *emulator.Server,
	images []string) {
	t.Helper()
	if msg := resDisagreement(ctx, wd, srv, images); msg != "" {
		t.Errorf("after the failed run, %s", msg)
	}
}

func resDisagreement(ctx context.Context, wd *clitest.Workdir, srv *emulator.Server, images []string) string {
	state, err := wd.State(ctx)
	if err != nil {
		return err.Error()
	}
	inState := state.SharedByImage()
	for _, image := range images {
		want := inState[image]
		got := srv.SharedWith(image)
		if !slices.Equal(want, got) {
			return fmt.Sprintf("image %s: state shares with %d projects %v, the emulator with %d %v",
				image, len(want), want, len(got), got)
		}
	}
	return ""
}

// resFaults formats the emulator's fault counters in a stable order for t.Logf.
func resFaults(srv *emulator.Server) string {
	faults := srv.Counters().Faults
	kinds := make([]string, 0, len(faults))
	total := int64(0)
	for k, n := range faults {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		total += n
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%d (%s)", total, strings.Join(kinds, " "))
}
