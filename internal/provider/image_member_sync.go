package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/sync/errgroup"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/client"
)

const (
	// maxConcurrentChanges caps the goroutines of one operation; the client's adaptive limiter
	// decides how many of them talk to the API at once.
	maxConcurrentChanges = 64

	// recordTimeout is the grace given to the listing that records what exists after a failure,
	// when the operation's own deadline may already have passed.
	recordTimeout = 30 * time.Second

	maxListedFailures = 10
)

// memberChange is one add or remove of a project, and its outcome.
type memberChange struct {
	projectID string
	remove    bool
	err       error
}

type memberChanges []memberChange

// succeeded returns the projects added and removed without error.
func (c memberChanges) succeeded() (added, removed []string) {
	for _, ch := range c {
		switch {
		case ch.err != nil:
		case ch.remove:
			removed = append(removed, ch.projectID)
		default:
			added = append(added, ch.projectID)
		}
	}
	return added, removed
}

// failedWith returns the projects whose change failed with the given API status.
func (c memberChanges) failedWith(status int) []string {
	var ids []string
	for _, ch := range c {
		var apiErr *client.Error
		if errors.As(ch.err, &apiErr) && apiErr.StatusCode == status {
			ids = append(ids, ch.projectID)
		}
	}
	return ids
}

// without drops the changes of the given projects.
func (c memberChanges) without(ids []string) memberChanges {
	drop := make(map[string]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	var out memberChanges
	for _, ch := range c {
		if !drop[ch.projectID] {
			out = append(out, ch)
		}
	}
	return out
}

func (c memberChanges) failures() memberChanges {
	var out memberChanges
	for _, ch := range c {
		if ch.err != nil {
			out = append(out, ch)
		}
	}
	return out
}

// changeMembers adds, then removes, in parallel. Removals wait for every addition and are
// skipped when one failed, so that no project loses access because of a half-applied change.
// An add answered 409 and a remove answered 404 are already done.
func (r *imageMemberResource) changeMembers(ctx context.Context, imageID string, add, remove []string) memberChanges {
	adds := r.runChanges(ctx, imageID, add, false)
	if full := adds.failedWith(http.StatusRequestEntityTooLarge); len(full) > 0 && len(remove) > 0 &&
		len(full) == len(adds.failures()) {
		// The image is at its member quota: the dropped projects must go before the new ones fit.
		// Projects that stay keep their access either way.
		tflog.Info(ctx, "member quota reached; removing dropped projects before adding", map[string]any{
			"waiting_to_add": len(full), "removing": len(remove)})
		removes := r.runChanges(ctx, imageID, remove, true)
		if len(removes.failures()) > 0 {
			return append(adds, removes...)
		}
		return append(append(adds.without(full), removes...), r.runChanges(ctx, imageID, full, false)...)
	}
	if len(adds.failures()) > 0 {
		for _, id := range remove {
			adds = append(adds, memberChange{projectID: id, remove: true, err: errSkipped})
		}
		return adds
	}
	return append(adds, r.runChanges(ctx, imageID, remove, true)...)
}

var errSkipped = errors.New("not attempted because adding members failed first")

func (r *imageMemberResource) runChanges(ctx context.Context, imageID string, ids []string, remove bool) memberChanges {
	if len(ids) == 0 {
		return nil
	}
	tflog.Debug(ctx, "changing image members", map[string]any{"remove": remove, "count": len(ids)})

	out := make(memberChanges, len(ids))
	g := new(errgroup.Group)
	g.SetLimit(maxConcurrentChanges)
	for i, id := range ids {
		g.Go(func() error {
			var err error
			if remove {
				err = r.data.client.RemoveImageMember(ctx, imageID, id)
				if client.IsNotFound(err) {
					err = nil
				}
			} else {
				_, err = r.data.client.AddImageMember(ctx, imageID, id)
				if client.IsConflict(err) {
					err = nil
				}
			}
			out[i] = memberChange{projectID: id, remove: remove, err: err}
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// operation is what one Create, Update or Delete set out to do, and what it knew before.
type operation struct {
	name    string // "Create", "Update" or "Delete"
	imageID string
	want    []string        // the projects to share with when done
	before  []string        // the projects shared before the changes
	seen    []client.Member // the last member list read, if any
	timeout time.Duration
}

// finish waits for successful changes to show, then records in state what exists, whatever
// happened on the way.
func (r *imageMemberResource) finish(ctx context.Context, op operation, changes memberChanges,
	model *imageMemberModel, state *tfsdk.State, diags *diag.Diagnostics) {
	summary := fmt.Sprintf("Error %s Image Sharing", verbing(op.name))

	if failed := changes.failures(); len(failed) > 0 {
		diags.AddError(summary, describeFailures(op.imageID, failed)+"\n\n"+nextStep(op.name))
	} else {
		members, err := waitMembersSettled(ctx, r.data.client, op.imageID, op.want, defaultPoll)
		switch {
		case err == nil && op.name == "Delete":
			return
		case err == nil:
			diags.Append(model.setMembers(ctx, members, nil)...)
			diags.Append(state.Set(ctx, model)...)
			return
		case op.name == "Delete" && client.IsNotFound(err):
			return
		}
		if members != nil {
			op.seen = members
		}
		var pending *pendingError
		switch {
		case errors.As(err, &pending) && errors.Is(err, context.Canceled):
			diags.AddError(summary, fmt.Sprintf("The operation on image %s was interrupted before its member list "+
				"settled. %s The changes made so far are recorded in state. %s", op.imageID, pending.describe(),
				nextStep(op.name)))
		case errors.As(err, &pending):
			diags.AddError(summary, fmt.Sprintf("The member list of image %s did not settle within the %s timeout. "+
				"%s The changes made so far are recorded in state. %s To wait longer, raise it with "+
				"timeouts = { %s = \"30m\" }.\n\n%s", op.imageID, op.timeout, pending.describe(),
				nextStep(op.name), strings.ToLower(op.name), pending.cause))
		default:
			diags.AddError(summary, fmt.Sprintf("Waiting for the members of image %s to settle failed.\n\n%s",
				op.imageID, err))
		}
	}

	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	members, err := r.data.client.ListImageMembers(recordCtx, op.imageID)
	if client.IsNotFound(err) {
		state.RemoveResource(ctx)
		return
	}
	added, removed := changes.succeeded()
	var shared []string
	if err == nil {
		// Pending projects are recorded too: they exist and state must know them. The next plan
		// waits for those still planned and removes the others.
		op.seen = members
		shared = presentIDs(members)
	} else {
		tflog.Warn(ctx, "could not list members to record state after a failure", map[string]any{"error": err.Error()})
		shared = subtract(union(op.before, added), removed)
	}
	diags.Append(model.setMembers(ctx, op.seen, shared)...)
	diags.Append(state.Set(ctx, model)...)
}

// nextStep tells how to finish after a failure. Terraform marks a resource whose create failed as
// tainted and would replace it, removing the sharing that exists and adding it again; untainting
// it lets the next apply continue from what exists instead.
func nextStep(op string) string {
	if op != "Create" {
		return "Apply again to finish."
	}
	return "Terraform marks the resource as tainted, so the next apply would unshare and share the " +
		"image again; run `terraform untaint` on it first to continue from what exists."
}

func describeFailures(imageID string, failed memberChanges) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Changing the members of image %s failed for %d project(s); the changes that succeeded are "+
		"recorded in state.\n", imageID, len(failed))
	advice := map[string]bool{}
	for i, f := range failed {
		if i == maxListedFailures {
			fmt.Fprintf(&b, "\n... and %d more.", len(failed)-maxListedFailures)
			break
		}
		action := "add"
		if f.remove {
			action = "remove"
		}
		fmt.Fprintf(&b, "\n- %s %s: %s", action, f.projectID, f.err)
		if a := adviceFor(f.err); a != "" {
			advice[a] = true
		}
	}
	tips := make([]string, 0, len(advice))
	for a := range advice {
		tips = append(tips, a)
	}
	sort.Strings(tips)
	if len(tips) > 0 {
		b.WriteString("\n\n" + strings.Join(tips, "\n"))
	}
	return b.String()
}

func adviceFor(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "The operation ran out of time: raise its timeout in timeouts, or apply again."
	}
	var apiErr *client.Error
	if !errors.As(err, &apiErr) {
		return ""
	}
	switch apiErr.StatusCode {
	case http.StatusNotFound:
		return "A project or the image was not found: check that each project ID names an existing project."
	case http.StatusForbidden:
		return "Only the project that owns an image can share it: use a credential of the owner project."
	case http.StatusRequestEntityTooLarge:
		return "The image has reached its member quota: share it with fewer projects."
	case http.StatusBadRequest:
		return "The API refused the change: an image can be shared only while it is active and private, " +
			"and never with its own project."
	case http.StatusUnauthorized:
		return "The credential was rejected: check the application credential."
	}
	return ""
}

func verbing(op string) string {
	switch op {
	case "Create":
		return "Creating"
	case "Update":
		return "Updating"
	default:
		return "Deleting"
	}
}

// pollSchedule spaces the member-list polls of a wait: soon and close together while sharing
// usually settles, then further apart, with jitter so that parallel resources do not poll in step.
type pollSchedule struct {
	initial time.Duration
	factor  float64
	// steps caps the interval by how long the wait has lasted: the first step whose after has
	// passed, searching from the last, gives the cap.
	steps  []pollStep
	jitter float64 // fraction, e.g. 0.1 for ±10%
	rand   func() float64
}

type pollStep struct {
	after, max time.Duration
}

var defaultPoll = pollSchedule{
	initial: 150 * time.Millisecond,
	factor:  1.5,
	steps: []pollStep{
		{0, 400 * time.Millisecond},
		{3 * time.Second, time.Second},
		{30 * time.Second, 5 * time.Second},
	},
	jitter: 0.1,
}

func (s pollSchedule) delay(attempt int, waited time.Duration) time.Duration {
	limit := s.steps[0].max
	for _, st := range s.steps {
		if waited >= st.after {
			limit = st.max
		}
	}
	d := float64(s.initial)
	for i := 0; i < attempt && d < float64(limit); i++ {
		d *= s.factor
	}
	d = min(d, float64(limit))
	rnd := s.rand
	if rnd == nil {
		rnd = randFloat
	}
	return time.Duration(d * (1 + s.jitter*(2*rnd()-1)))
}

// waitMembersSettled polls until the projects shared with the image are exactly want. Members
// listed with is_shared false (pending, or removed and lingering) do not count as shared.
func waitMembersSettled(ctx context.Context, c memberLister, imageID string, want []string,
	sched pollSchedule) ([]client.Member, error) {
	start := time.Now()
	var last []client.Member
	for attempt := 0; ; attempt++ {
		wait := sched.delay(attempt, time.Since(start))
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return last, newPendingError(last, want, ctx.Err())
		case <-timer.C:
		}

		members, err := c.ListImageMembers(ctx, imageID)
		if err != nil {
			// The client gives up early when its next retry would pass the deadline.
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
				return last, newPendingError(last, want, err)
			}
			return last, err
		}
		last = members
		if pending := newPendingError(members, want, nil); pending.empty() {
			tflog.Debug(ctx, "image members settled", map[string]any{"polls": attempt + 1,
				"waited": time.Since(start).String()})
			return members, nil
		} else if attempt > 0 && attempt%10 == 0 {
			tflog.Info(ctx, "still waiting for image members to settle", map[string]any{
				"adding": pending.adding, "removing": pending.removing, "waited": time.Since(start).String()})
		}
	}
}

type memberLister interface {
	ListImageMembers(ctx context.Context, imageID string) ([]client.Member, error)
}

// pendingError names the projects whose sharing has not yet reached the wanted state.
type pendingError struct {
	adding, removing []string
	cause            error
}

func newPendingError(members []client.Member, want []string, cause error) *pendingError {
	shared := sharedIDs(members)
	return &pendingError{adding: subtract(want, shared), removing: subtract(shared, want), cause: cause}
}

func (e *pendingError) empty() bool { return len(e.adding) == 0 && len(e.removing) == 0 }

func (e *pendingError) describe() string {
	var parts []string
	if len(e.adding) > 0 {
		parts = append(parts, "Still waiting for sharing with "+joinIDs(e.adding)+" to take effect.")
	}
	if len(e.removing) > 0 {
		parts = append(parts, "Still waiting for "+joinIDs(e.removing)+" to lose access.")
	}
	return strings.Join(parts, " ")
}

func (e *pendingError) Error() string {
	msg := "members not settled: " + e.describe()
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *pendingError) Unwrap() error { return e.cause }

// imageClaims records which images the resources of one plan or apply manage, to refuse a
// second resource on the same image, and a resource destroyed while another takes its image over
// (the two would run in either order). Terraform plans a replacement twice for one resource, with
// the same configuration, so a claim with the same member list is not a conflict; two resources
// that agree on every member cannot undo each other anyway.
type imageClaims struct {
	mu     sync.Mutex
	images map[string]imageClaim
}

type imageClaim struct {
	members    string
	destroying bool
}

func newImageClaims() *imageClaims { return &imageClaims{images: map[string]imageClaim{}} }

// claim takes the image for a resource that will share it with members; it returns why not.
func (c *imageClaims) claim(imageID, members string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	prior, ok := c.images[imageID]
	switch {
	case ok && prior.destroying:
		return fmt.Sprintf("The image %s is shared by a kakaocloud_image_member that this apply destroys, and "+
			"another one takes it over; Terraform would run the two in any order and could unshare what the new "+
			"one shares. If the resource was renamed or moved, add a moved block; otherwise destroy the old one "+
			"in a separate apply.", imageID)
	case ok && prior.members != members:
		return fmt.Sprintf("More than one kakaocloud_image_member resource names the image %s. Each resource "+
			"sets the complete member list of its image, so two of them would undo each other's changes on "+
			"every apply. Keep one resource per image and list every project in its shared_member_ids.", imageID)
	}
	c.images[imageID] = imageClaim{members: members}
	return ""
}

// release marks the image of a resource being destroyed; it returns why that conflicts.
func (c *imageClaims) release(imageID string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prior, ok := c.images[imageID]; ok && !prior.destroying {
		return fmt.Sprintf("The image %s is shared by a kakaocloud_image_member that this apply destroys, and "+
			"another one takes it over; Terraform would run the two in any order and could unshare what the new "+
			"one shares. If the resource was renamed or moved, add a moved block; otherwise destroy the old one "+
			"in a separate apply.", imageID)
	}
	c.images[imageID] = imageClaim{destroying: true}
	return ""
}
