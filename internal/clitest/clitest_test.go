package clitest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/clitest"
)

// TestWorkdirApplyShowDestroy checks the harness end to end: init from the plugin directory,
// apply, state as show -json reports it, and destroy.
func TestWorkdirApplyShowDestroy(t *testing.T) {
	cli := clitest.CLIPath(t)
	srv := emulator.NewTestServer(t, emulator.Options{})
	project := emulator.DefaultProjectIDs()[0]
	hcl := fmt.Sprintf(`
provider "kakaocloud" {
  endpoint_overrides = { iam = %q, image = %q }
}
resource "kakaocloud_image_member" "a" {
  id                = %q
  shared_member_ids = [%q]
}
`, srv.URL(), srv.URL(), emulator.DefaultActiveImageID, project)
	wd := clitest.NewWorkdir(t, cli, clitest.BuildProvider(t), hcl)
	env := map[string]string{
		"KAKAOCLOUD_APPLICATION_CREDENTIAL_ID":     emulator.DefaultOwnerCredentialID,
		"KAKAOCLOUD_APPLICATION_CREDENTIAL_SECRET": emulator.DefaultOwnerCredentialSecret,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if res := wd.Run(ctx, env, "apply", "-auto-approve", "-input=false", "-no-color"); res.ExitCode != 0 {
		t.Fatalf("apply: exit %d\n%s", res.ExitCode, res.Output())
	}
	state, err := wd.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := state.Resource("kakaocloud_image_member.a")
	if !ok || r.ID != emulator.DefaultActiveImageID || len(r.SharedMemberIDs) != 1 ||
		r.SharedMemberIDs[0] != project {
		t.Fatalf("state: %+v", state.Resources)
	}
	if got := srv.SharedWith(emulator.DefaultActiveImageID); len(got) != 1 || got[0] != project {
		t.Fatalf("emulator shares with %v", got)
	}
	if res := wd.Run(ctx, env, "destroy", "-auto-approve", "-input=false", "-no-color"); res.ExitCode != 0 {
		t.Fatalf("destroy: exit %d\n%s", res.ExitCode, res.Output())
	}
	state, err = wd.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Resources) != 0 {
		t.Fatalf("state after destroy: %+v", state.Resources)
	}
}
