package client

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

func TestLogsNameEachRequestAndNoSecret(t *testing.T) {
	throttled := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"TooManyRequests","message":"slow down"}}`)
	}
	api, srv := newFakeAPI(t, sequence(throttled, answer(200, imageBody())))
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(t.Context(), &out)
	c := newTestClient(t, srv, nil)
	if _, err := c.GetImage(ctx, testImageID); err != nil {
		t.Fatal(err)
	}
	api.revokeAll()
	if _, err := c.GetImage(ctx, testImageID); err != nil {
		t.Fatal(err)
	}
	entries, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil {
		t.Fatal(err)
	}
	// Token, 429, 200, then 401, token, 200.
	if len(entries) != 6 {
		t.Fatalf("log entries = %d, want 6:\n%s", len(entries), out.String())
	}
	want := []struct {
		route   string
		status  float64
		attempt float64
	}{{tokenRoute, 201, 1}, {"/api/v1/images/{image_id}", 429, 1}, {"/api/v1/images/{image_id}", 200, 2},
		{"/api/v1/images/{image_id}", 401, 1}, {tokenRoute, 201, 1}, {"/api/v1/images/{image_id}", 200, 1}}
	for i, entry := range entries {
		if entry["route"] != want[i].route || entry["status"] != want[i].status || entry["attempt"] != want[i].attempt {
			t.Errorf("entry %d = %v, want %+v", i, entry, want[i])
		}
		for _, field := range []string{"method", "duration_ms", "operation"} {
			if _, ok := entry[field]; !ok {
				t.Errorf("entry %d has no %q", i, field)
			}
		}
	}
	for _, secret := range []string{testCredentialSecret, "token-1", "token-2"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}
