package provider

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// Bad input gets one clear diagnostic, at plan time when the API can tell, without retrying.
func TestAccImageMember_badInput(t *testing.T) {
	p := projects(0, 2)
	unknownProject := strings.Repeat("ab", 16)
	cases := []struct {
		name    string
		opts    emulator.Options
		image   string
		members []string
		want    *regexp.Regexp
		// writes is how many add calls may reach the API: none when the plan catches it.
		writes int64
	}{
		{"own project", emulator.Options{}, emulator.DefaultActiveImageID,
			[]string{p[0], emulator.DefaultOwnerProjectID}, errRe("Cannot Share an Image with Its Owner",
				emulator.DefaultOwnerProjectID), 0},
		{"public image", emulator.Options{}, emulator.DefaultPublicImageID, p,
			errRe("Public Image Cannot Be Shared", emulator.DefaultPublicImageID), 0},
		{"inactive image", emulator.Options{}, emulator.DefaultInactiveImageID, p,
			errRe("Image Not Active", `"deactivated"`), 0},
		{"another project's image", emulator.Options{}, emulator.DefaultOtherImageID, p,
			errRe("Image (Not Found|Owned by Another Project)", emulator.DefaultOtherImageID), 0},
		{"unknown image", emulator.Options{}, "00000000-0000-4000-8000-000000000000", p,
			errRe("Image Not Found", "00000000-0000-4000-8000-000000000000"), 0},
		{"unknown project", emulator.Options{}, emulator.DefaultActiveImageID, []string{p[0], unknownProject},
			errRe("Error Creating Image Sharing", "add "+unknownProject, "404", "check that each project ID"), 2},
		{"member quota", emulator.Options{MemberQuota: 2}, emulator.DefaultActiveImageID, projects(0, 3),
			errRe("Error Creating Image Sharing", "413", "member quota"), 3},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			srv := testEmulator(t, tc.opts)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{
					{
						Config:      imageMemberConfig(srv, tc.image, tc.members, ""),
						ExpectError: tc.want,
					},
					{
						Config: providerBlock(srv),
						Check: func(*terraform.State) error {
							if n := counted(srv, emulator.RouteAddMember); n != tc.writes {
								return fmt.Errorf("%d add calls reached the API, want %d (no retries of permanent errors)",
									n, tc.writes)
							}
							return nil
						},
					},
				},
			})
		})
	}
}

// Wrong credentials and an unreachable endpoint fail once, when the provider is configured.
func TestAccProvider_authenticationFailures(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	closed := closedPort(t)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: providerBlockWith(srv, emulator.DefaultOwnerCredentialID, "wrong-secret") +
					`resource "kakaocloud_image_member" "test" {
  id                = "` + emulator.DefaultActiveImageID + `"
  shared_member_ids = []
}
`,
				ExpectError: errRe("Unable to Authenticate with KakaoCloud", "401"),
			},
			{
				Config: fmt.Sprintf(`
provider "kakaocloud" {
  application_credential_id     = "id"
  application_credential_secret = "secret"
  endpoint_overrides = { iam = "http://%s", image = "http://%s" }
}
resource "kakaocloud_image_member" "test" {
  id                = %q
  shared_member_ids = []
}
`, closed, closed, emulator.DefaultActiveImageID),
				ExpectError: errRe("Unable to Authenticate with KakaoCloud", closed),
			},
			{Config: providerBlock(srv)},
		},
	})
}

// closedPort returns a loopback address this test owned and closed, so nothing listens there.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// errRe matches the parts in order, whatever line wrapping Terraform puts between words.
func errRe(parts ...string) *regexp.Regexp {
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, " ", `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, ".*"))
}

func expectCounts(srv *emulator.Server, want map[string]int64) error {
	got := srv.Counters().ByRoute
	for route, n := range want {
		if got[route] != n {
			return fmt.Errorf("%s: %d calls, want %d (all: %v)", route, got[route], n, got)
		}
	}
	return nil
}
