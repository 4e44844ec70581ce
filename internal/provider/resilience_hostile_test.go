package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// Issue 4, item 6: hostile answers (empty 2xx bodies, truncated JSON, an HTML 502 page, a wrong
// Content-Type, numbers where strings belong) on each route an apply uses. Each ends in an error
// naming the operation, with no panic, and state still agrees with the emulator.
func TestResilience_hostileResponses(t *testing.T) {
	actions := []string{emulator.FaultEmpty, emulator.FaultTruncate, emulator.FaultHTML,
		emulator.FaultContentType, emulator.FaultMistype}
	routes := []struct {
		route, operation string
	}{
		{emulator.RouteGetImage, "get image"},
		{emulator.RouteListMembers, "list image members"},
		{emulator.RouteAddMember, "add image member"},
	}
	srv := testEmulator(t, emulator.Options{})
	images := emulator.DefaultExtraImageIDs()[41:44]
	failed := 0

	for i, rt := range routes {
		image := images[i]
		hcl := resConfig(srv.URL(), []resShare{{image, projects(0, 3)}}, "  timeouts = { create = \"20s\" }\n")
		wd := resWorkdir(t, hcl)
		ctx := resContext(t)
		for _, action := range actions {
			t.Run(rt.route+"/"+action, func(t *testing.T) {
				srv.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Route: rt.route, Action: action}}})
				res := resRun(t, ctx, wd, "apply", "-auto-approve", "-input=false", "-no-color")
				srv.SetFaults(emulator.Faults{})
				output := resFlatten(res.Output())
				switch {
				case res.ExitCode == 0:
					t.Errorf("apply succeeded although every %s answer was %q", rt.route, action)
				case !strings.Contains(output, rt.operation):
					t.Errorf("the error does not name the operation %q:\n%s", rt.operation, res.Stderr)
				default:
					failed++
				}
				if res.Duration > 45*time.Second {
					t.Errorf("apply took %s to give up", res.Duration)
				}
				resCheckAgree(t, ctx, wd, srv, []string{image})
				resMustApply(t, ctx, wd, "destroy")
				if left := srv.SharedWith(image); len(left) > 0 {
					t.Errorf("after destroy the image is still shared with %v, which state never knew", left)
					resUnshare(t, srv, image, left)
				}
				t.Logf("%s %s: exit %d after %s", rt.route, action, res.ExitCode, res.Duration.Round(time.Millisecond))
			})
		}
	}
	t.Logf("%d of %d hostile cases ended in an error naming the operation; faults injected: %s",
		failed, len(actions)*len(routes), resFaults(srv))
}

// Issue 4, item 7: each of create, read, update and delete, with a timeout of a few seconds
// against an API that never settles (or never answers, for read), ends on time with an error
// naming what is pending; the next run converges once the API behaves. Create and update use
// sharing that never settles (PropagationDelay -1), read and delete requests that never answer.
func TestResilience_timeouts(t *testing.T) {
	const limit = 3 * time.Second
	// Start-up of the CLI and provider, the plan, and the listing that records what exists.
	const slack = 20 * time.Second
	srv := testEmulator(t, emulator.Options{Latency: 5 * time.Millisecond})
	image := emulator.DefaultExtraImageIDs()[44]
	before, after := projects(10, 2), projects(10, 3)
	timeouts := fmt.Sprintf("  timeouts = { create = %q, read = %q, update = %q, delete = %q }\n",
		limit, limit, limit, limit)
	wd := resWorkdir(t, resConfig(srv.URL(), []resShare{{image, before}}, timeouts))
	ctx := resContext(t)

	steps := []struct {
		name        string
		arrange     func()
		config      []string // the shares of the step; nil for destroy
		command     string
		wantPending []string
	}{
		{"create", func() { srv.SetDelays(-1, 0) }, before, "apply", before},
		{"update", func() { srv.SetDelays(-1, 0) }, after, "apply", after[2:]},
		{"read", func() {
			srv.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{
				{Route: emulator.RouteListMembers, Action: emulator.FaultHang},
			}})
		}, after, "plan", []string{"list image members"}},
		// A removal shows at once as is_shared false, which counts as done, so RemovalDelay cannot
		// hold a delete back; removals that never answer do.
		{"delete", func() {
			srv.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{
				{Route: emulator.RouteRemoveMember, Action: emulator.FaultHang},
			}})
		}, nil, "destroy", after},
	}
	for _, step := range steps {
		if step.config != nil {
			wd.SetConfig(resConfig(srv.URL(), []resShare{{image, step.config}}, timeouts))
		}
		step.arrange()
		args := []string{step.command, "-input=false", "-no-color"}
		if step.command != "plan" {
			args = append(args, "-auto-approve")
		}
		res := resRun(t, ctx, wd, args...)
		srv.SetDelays(0, 0)
		srv.SetFaults(emulator.Faults{})

		output := resFlatten(res.Output())
		t.Logf("%s: exit %d after %s", step.name, res.ExitCode, res.Duration.Round(time.Millisecond))
		if res.ExitCode == 0 {
			t.Errorf("%s succeeded against an API that never settles:\n%s", step.name, res.Output())
		}
		if res.Duration > limit+slack {
			t.Errorf("%s took %s with a %s timeout", step.name, res.Duration, limit)
		}
		for _, want := range step.wantPending {
			if !strings.Contains(output, want) {
				t.Errorf("%s: the error does not name %q as pending:\n%s", step.name, want, res.Stderr)
			}
		}
		if !regexp.MustCompile(`(?i)timeout|deadline|did not settle`).MatchString(output) {
			t.Errorf("%s: the error does not say that time ran out:\n%s", step.name, res.Stderr)
		}
		if step.name != "read" {
			resCheckAgree(t, ctx, wd, srv, []string{image})
		}

		// Once the API settles, the same command converges.
		if step.command == "plan" {
			resMustPlanEmpty(t, ctx, wd)
			continue
		}
		resMustApply(t, ctx, wd, step.command)
		resMustAgree(t, ctx, wd, srv, []string{image})
		if step.command == "apply" {
			resMustPlanEmpty(t, ctx, wd)
		}
	}
	if got := srv.Members(image); len(got) != 0 {
		t.Fatalf("the image still has members after destroy: %+v", got)
	}
}

// Issue 4, item 8: a full apply and destroy with TF_LOG=TRACE prints neither the credential
// secret nor any token the emulator issued or accepted, anywhere in the CLI's output.
func TestResilience_secretsNotLogged(t *testing.T) {
	accPreCheck(t)
	var emulatorLog bytes.Buffer
	srv, err := emulator.New(emulator.Options{Latency: 5 * time.Millisecond, Logger: &emulatorLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	// The emulator logs no headers, so a recorder in front of it learns every token that
	// crosses the wire, in both directions.
	tokens := &resTokenRecorder{seen: map[string]bool{}}
	front := httptest.NewServer(tokens.wrap(srv))
	t.Cleanup(front.Close)

	image := emulator.DefaultExtraImageIDs()[45]
	// The secret sits in the configuration, as a user migrating from the vendor's provider has it.
	hcl := fmt.Sprintf(`
provider "kakaocloud" {
  application_credential_id     = %q
  application_credential_secret = %q
  endpoint_overrides            = { iam = %q, image = %q }
}
`, emulator.DefaultOwnerCredentialID, emulator.DefaultOwnerCredentialSecret, front.URL, front.URL) +
		resResources([]resShare{{image, projects(20, 3)}}, "")
	wd := resWorkdir(t, hcl)
	ctx := resContext(t)

	var output strings.Builder
	for _, cmd := range []string{"apply", "destroy"} {
		res := wd.Run(ctx, map[string]string{"TF_LOG": "TRACE"}, cmd, "-auto-approve", "-input=false", "-no-color")
		if res.ExitCode != 0 {
			t.Fatalf("%s failed (exit %d): %s", cmd, res.ExitCode, res.Stderr)
		}
		output.WriteString(res.Output())
	}
	logged := output.String() + emulatorLog.String()

	if !strings.Contains(logged, "KakaoCloud API request") {
		t.Fatal("the trace log holds no provider request line; the test would prove nothing")
	}
	if strings.Contains(logged, emulator.DefaultOwnerCredentialSecret) {
		t.Error("the credential secret appears in the output")
	}
	seen := tokens.values()
	if len(seen) == 0 {
		t.Fatal("no token crossed the wire")
	}
	for _, tok := range seen {
		if strings.Contains(logged, tok) {
			t.Errorf("a token the emulator issued (%d characters) appears in the output", len(tok))
		}
	}
	headerValue := regexp.MustCompile(`(?i)x-(auth|subject)-token["']?\s*[:=]\s*\[?"?[A-Za-z0-9_\-]{8,}`)
	if m := headerValue.FindString(logged); m != "" {
		t.Errorf("a token header with a value appears in the output: %.20s...", m)
	}
	t.Logf("%d bytes of TRACE output checked against the secret and %d tokens", len(logged), len(seen))
}

// resUnshare removes shares out of band, so that one failed case does not spoil the next.
func resUnshare(t *testing.T, srv *emulator.Server, image string, projectIDs []string) {
	c := ownerClient(t, srv)
	for _, id := range projectIDs {
		outOfBand(t, "member removal", func(ctx context.Context) error {
			return c.RemoveImageMember(ctx, image, id)
		})()
	}
}

// resTokenRecorder notes the token values in requests and answers that pass through it.
type resTokenRecorder struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *resTokenRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.note(req.Header.Get("X-Auth-Token"))
		r.note(req.Header.Get("X-Subject-Token"))
		next.ServeHTTP(w, req)
		r.note(w.Header().Get("X-Subject-Token"))
	})
}

func (r *resTokenRecorder) note(token string) {
	if token == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[token] = true
}

func (r *resTokenRecorder) values() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.seen))
	for tok := range r.seen {
		out = append(out, tok)
	}
	return out
}

// resFlatten drops the CLI's diagnostic frame and line wrapping, so that a phrase split over
// two lines is still found.
func resFlatten(s string) string {
	s = strings.ReplaceAll(s, "│", " ")
	return strings.Join(strings.Fields(s), " ")
}
