package provider

import (
	"os"
	"testing"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/clitest"
)

// TestMain removes the plugin directory the CLI tests build the provider into.
func TestMain(m *testing.M) {
	code := m.Run()
	clitest.Cleanup()
	os.Exit(code)
}
