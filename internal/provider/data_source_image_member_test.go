package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

func TestAccImageMemberDataSource_basic(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	image, p := emulator.DefaultActiveImageID, projects(0, 2)
	config := imageMemberConfig(srv, image, p, "") + `
data "kakaocloud_image_member" "test" {
  id = kakaocloud_image_member.test.id
  depends_on = [kakaocloud_image_member.test]
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkNoMembers(srv, image),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.kakaocloud_image_member.test", tfjsonpath.New("members"),
					knownvalue.ListExact([]knownvalue.Check{memberCheck(p[0]), memberCheck(p[1])})),
				statecheck.ExpectKnownValue("data.kakaocloud_image_member.test", tfjsonpath.New("id"),
					knownvalue.StringExact(image)),
			},
		}},
	})
}
