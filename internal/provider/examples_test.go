package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

const examplesDir = "../../examples"

// Every example is formatted as `terraform fmt` would write it.
func TestAccExamplesFormatted(t *testing.T) {
	accPreCheck(t)
	out, err := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), "fmt", "-check", "-diff", "-recursive",
		examplesDir).CombinedOutput()
	if err != nil {
		t.Fatalf("terraform fmt -check: %v\n%s", err, out)
	}
}

// Every example plans against the emulator: it is valid HCL for this provider's schema and its
// values pass the provider's checks.
func TestAccExamplesPlan(t *testing.T) {
	srv := testEmulator(t, emulator.Options{})
	t.Setenv(envEndpoint, srv.URL())
	t.Setenv(envCredentialID, emulator.DefaultOwnerCredentialID)
	t.Setenv(envCredentialSecret, emulator.DefaultOwnerCredentialSecret)

	files, err := filepath.Glob(filepath.Join(examplesDir, "*", "*", "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	demo, _ := filepath.Glob(filepath.Join(examplesDir, "demo", "*.tf"))
	provider, _ := filepath.Glob(filepath.Join(examplesDir, "provider", "*.tf"))
	files = append(append(files, demo...), provider...)
	if len(files) < 4 {
		t.Fatalf("found only %v", files)
	}

	for _, file := range files {
		t.Run(filepath.ToSlash(strings.TrimPrefix(file, examplesDir+"/")), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			config := exampleConfig(string(src))
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config:   config,
					PlanOnly: true,
					ExpectNonEmptyPlan: strings.Contains(config, "resource \"kakaocloud_image_member\"") ||
						strings.Contains(config, "output "),
				}},
			})
		})
	}
}

// exampleValues are the fixture values the examples' variables take in this test.
var exampleValues = map[string]string{
	"image_id":                      emulator.DefaultActiveImageID,
	"project1_id":                   emulator.DefaultProjectIDs()[0],
	"project2_id":                   emulator.DefaultProjectIDs()[1],
	"application_credential_id":     emulator.DefaultOwnerCredentialID,
	"application_credential_secret": emulator.DefaultOwnerCredentialSecret,
}

var (
	varRef            = regexp.MustCompile(`var\.([a-z0-9_]+)`)
	requiredProviders = regexp.MustCompile(`(?s)terraform \{\s*required_providers \{.*?\n  \}\n\}\n`)
)

// exampleConfig declares the variables an example uses but leaves to the reader. The registry
// example takes its image from a kakaocloud_image resource, which this provider does not have
// yet, so that one reference becomes a variable here.
func exampleConfig(src string) string {
	src = strings.ReplaceAll(src, "kakaocloud_image.example.id", "var.image_id")
	// The harness serves the provider under its own address, which the CLI then infers.
	src = requiredProviders.ReplaceAllString(src, "")
	var b strings.Builder
	for _, m := range varRef.FindAllStringSubmatch(src, -1) {
		name := m[1]
		if strings.Contains(src, fmt.Sprintf("variable %q", name)) || strings.Contains(b.String(), `"`+name+`"`) {
			continue
		}
		fmt.Fprintf(&b, "variable %q {\n  default = %q\n}\n", name, exampleValues[name])
	}
	return b.String() + src
}
