package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/client"
)

const testResource = "kakaocloud_image_member.test"

var testProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"kakaocloud": providerserver.NewProtocol6WithError(New("test")()),
}

// accPreCheck skips acceptance tests unless TF_ACC is set, as terraform-plugin-testing would, and
// fails early when the Terraform binary is not named, so that nothing is downloaded.
func accPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests need TF_ACC=1 and TF_ACC_TERRAFORM_PATH; run `make test`")
	}
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH must name the Terraform or OpenTofu binary; run `make test`")
	}
}

// testEmulator starts an emulator for one test with sharing that settles at once unless opts say
// otherwise.
func testEmulator(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	accPreCheck(t)
	return emulator.NewTestServer(t, opts)
}

// providerBlock configures the provider for the emulator with the default owner credential.
func providerBlock(srv *emulator.Server) string {
	return providerBlockWith(srv, emulator.DefaultOwnerCredentialID, emulator.DefaultOwnerCredentialSecret)
}

func providerBlockWith(srv *emulator.Server, id, secret string) string {
	return fmt.Sprintf(`
provider "kakaocloud" {
  application_credential_id     = %q
  application_credential_secret = %q
  endpoint_overrides = {
    iam   = %q
    image = %q
  }
}
`, id, secret, srv.URL(), srv.URL())
}

// imageMemberConfig renders one kakaocloud_image_member named "test" with extra HCL inside it.
func imageMemberConfig(srv *emulator.Server, imageID string, projects []string, extra string) string {
	return providerBlock(srv) + fmt.Sprintf(`
resource "kakaocloud_image_member" "test" {
  id                = %q
  shared_member_ids = %s
%s}
`, imageID, hclList(projects), extra)
}

func hclList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// projects returns n fixture projects starting at index from.
func projects(from, n int) []string {
	return slices.Clone(emulator.DefaultProjectIDs()[from : from+n])
}

// emulatorAgrees checks that shared_member_ids in state is exactly what the emulator shares.
type emulatorAgrees struct {
	srv     *emulator.Server
	address string
}

func (c emulatorAgrees) CheckState(_ context.Context, req statecheck.CheckStateRequest,
	resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = fmt.Errorf("no state")
		return
	}
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address != c.address {
			continue
		}
		imageID, _ := r.AttributeValues["id"].(string)
		var inState []string
		raw, _ := r.AttributeValues["shared_member_ids"].([]any)
		for _, v := range raw {
			s, _ := v.(string)
			inState = append(inState, s)
		}
		sort.Strings(inState)
		shared := c.srv.SharedWith(imageID)
		if !slices.Equal(inState, shared) {
			resp.Error = fmt.Errorf("state shares %s with %v, the emulator with %v", imageID, inState, shared)
		}
		return
	}
	resp.Error = fmt.Errorf("resource %s not in state", c.address)
}

// checkNoMembers is a CheckDestroy: after destroy the emulator holds no member of the images,
// pending or shared (a removal may still be listed for the removal delay).
func checkNoMembers(srv *emulator.Server, imageIDs ...string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, id := range imageIDs {
			if m := srv.SharedWith(id); len(m) > 0 {
				return fmt.Errorf("image %s still has members after destroy: %v", id, m)
			}
		}
		return nil
	}
}

// ownerClient makes out-of-band changes through the ordinary API with the owner's credential.
func ownerClient(t *testing.T, srv *emulator.Server) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{
		IAMEndpoint:      srv.URL(),
		ImageEndpoint:    srv.URL(),
		CredentialID:     emulator.DefaultOwnerCredentialID,
		CredentialSecret: emulator.DefaultOwnerCredentialSecret,
		UserAgent:        "acceptance-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func outOfBand(t *testing.T, what string, f func(ctx context.Context) error) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f(ctx); err != nil {
			t.Fatalf("out-of-band %s: %v", what, err)
		}
	}
}

// deleteImage deletes an image out of band; the client has no call for it, as the provider
// never deletes images.
func deleteImage(t *testing.T, srv *emulator.Server, imageID string) func() {
	return outOfBand(t, "image delete", func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, srv.URL()+"/api/v1/images/"+imageID, nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-Auth-Token", issueToken(ctx, t, srv))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("delete image: status %d", resp.StatusCode)
		}
		return nil
	})
}

func issueToken(ctx context.Context, t *testing.T, srv *emulator.Server) string {
	t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["application_credential"],`+
		`"application_credential":{"id":%q,"secret":%q}}}}`,
		emulator.DefaultOwnerCredentialID, emulator.DefaultOwnerCredentialSecret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/identity/v3/auth/tokens",
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.Header.Get("X-Subject-Token")
}

// counted returns the emulator's request count for a route.
func counted(srv *emulator.Server, route string) int64 {
	return srv.Counters().ByRoute[route]
}
