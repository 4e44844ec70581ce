package provider

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// TestAccRealCloud_imageMember runs the basic, update and import scenarios against the real
// KakaoCloud API. It is opt-in: set KAKAOCLOUD_REAL_CLOUD=1, the credential variables, an image
// the credential's project owns and may share (KAKAOCLOUD_TEST_IMAGE_ID), and at least two other
// projects (KAKAOCLOUD_TEST_PROJECT_IDS, comma-separated). The image must not be shared with
// anyone else: the resource removes every member it does not list.
func TestAccRealCloud_imageMember(t *testing.T) {
	if os.Getenv("KAKAOCLOUD_REAL_CLOUD") != "1" {
		t.Skip("real-cloud run is opt-in: set KAKAOCLOUD_REAL_CLOUD=1 (see the comment above)")
	}
	accPreCheck(t)
	image := os.Getenv("KAKAOCLOUD_TEST_IMAGE_ID")
	projects := strings.Split(os.Getenv("KAKAOCLOUD_TEST_PROJECT_IDS"), ",")
	if image == "" || len(projects) < 2 || os.Getenv(envCredentialID) == "" || os.Getenv(envEndpoint) != "" {
		t.Fatalf("set KAKAOCLOUD_TEST_IMAGE_ID, two or more KAKAOCLOUD_TEST_PROJECT_IDS and the credential "+
			"variables, and unset %s", envEndpoint)
	}
	config := func(ids []string) string {
		return fmt.Sprintf("provider \"kakaocloud\" {}\n"+
			"resource \"kakaocloud_image_member\" \"test\" {\n  id = %q\n  shared_member_ids = %s\n}\n",
			image, hclList(ids))
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config(projects[:1])},
			{
				Config: config(projects[1:2]),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testResource, plancheck.ResourceActionUpdate),
					},
				},
			},
			{
				ResourceName:                         testResource,
				ImportState:                          true,
				ImportStateId:                        image,
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "id",
				ImportStateVerifyIgnore:              []string{"timeouts"},
			},
		},
	})
}
