package provider

import (
	"context"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/client"
)

const memberStatusPending = "pending"

var memberAttrTypes = map[string]attr.Type{
	"id":         types.StringType,
	"image_id":   types.StringType,
	"status":     types.StringType,
	"is_shared":  types.BoolType,
	"created_at": types.StringType,
	"updated_at": types.StringType,
}

// membersValue maps the API's member list to the members attribute, sorted by project ID so
// that plans stay stable whatever order the API answers in.
func membersValue(ctx context.Context, members []client.Member) (types.List, diag.Diagnostics) {
	sorted := append([]client.Member(nil), members...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })

	out := make([]memberModel, len(sorted))
	for i, m := range sorted {
		out[i] = memberModel{
			ID:        types.StringValue(m.ID),
			ImageID:   types.StringValue(m.ImageID),
			Status:    optionalString(m.Status),
			IsShared:  types.BoolValue(m.IsShared),
			CreatedAt: timeString(m.CreatedAt),
			UpdatedAt: timeString(m.UpdatedAt),
		}
	}
	return types.ListValueFrom(ctx, types.ObjectType{AttrTypes: memberAttrTypes}, out)
}

func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func timeString(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

// sharedIDs returns the sorted projects the image is actually shared with.
func sharedIDs(members []client.Member) []string {
	var ids []string
	for _, m := range members {
		if m.IsShared {
			ids = append(ids, m.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// pendingPlanned returns the planned projects that the members in state show as pending.
func pendingPlanned(ctx context.Context, members types.List, planned []string) []string {
	if members.IsNull() || members.IsUnknown() {
		return nil
	}
	var listed []memberModel
	if diags := members.ElementsAs(ctx, &listed, false); diags.HasError() {
		return nil
	}
	var pending []string
	for _, m := range listed {
		if !m.IsShared.ValueBool() && m.Status.ValueString() == memberStatusPending {
			pending = append(pending, m.ID.ValueString())
		}
	}
	return intersect(pending, planned)
}

// presentIDs returns the projects that are members or on their way to be: shared, or pending.
// A member listed as not shared and not pending is a removal still showing. Read records these in
// shared_member_ids, so that a share made elsewhere shows as drift even before it takes effect.
func presentIDs(members []client.Member) []string {
	var ids []string
	for _, m := range members {
		if m.IsShared || m.Status == memberStatusPending {
			ids = append(ids, m.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func setStrings(s types.Set) []string {
	if s.IsNull() || s.IsUnknown() {
		return nil
	}
	out := make([]string, 0, len(s.Elements()))
	for _, el := range s.Elements() {
		if v, ok := el.(types.String); ok && !v.IsNull() && !v.IsUnknown() {
			out = append(out, v.ValueString())
		}
	}
	sort.Strings(out)
	return out
}

// subtract returns the sorted elements of a that are not in b.
func subtract(a, b []string) []string {
	drop := make(map[string]bool, len(b))
	for _, s := range b {
		drop[s] = true
	}
	var out []string
	for _, s := range a {
		if !drop[s] {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func union(a, b []string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func intersect(a, b []string) []string {
	keep := make(map[string]bool, len(b))
	for _, s := range b {
		keep[s] = true
	}
	var out []string
	for _, s := range a {
		if keep[s] {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// joinIDs lists IDs for a message, shortening long lists.
func joinIDs(ids []string) string {
	const show = 10
	if len(ids) <= show {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:show], ", ") + " and " + strconv.Itoa(len(ids)-show) + " more"
}

func randFloat() float64 { return rand.Float64() }

// membersKnownWhenUnchanged keeps members from state in plans that change neither the image nor
// shared_member_ids, so that such plans are empty and other resources can use the list.
type membersKnownWhenUnchanged struct{}

func (membersKnownWhenUnchanged) Description(_ context.Context) string {
	return "members stay as in state unless the image or shared_member_ids change"
}

func (m membersKnownWhenUnchanged) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (membersKnownWhenUnchanged) PlanModifyList(ctx context.Context, req planmodifier.ListRequest,
	resp *planmodifier.ListResponse) {
	if req.StateValue.IsNull() || req.Plan.Raw.IsNull() {
		return
	}

	var planIDs, stateIDs types.Set
	var planImage, stateImage types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("shared_member_ids"), &planIDs)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("shared_member_ids"), &stateIDs)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("id"), &planImage)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &stateImage)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if planIDs.Equal(stateIDs) && planImage.Equal(stateImage) {
		resp.PlanValue = req.StateValue
	}
}

type memberModel struct {
	ID        types.String `tfsdk:"id"`
	ImageID   types.String `tfsdk:"image_id"`
	Status    types.String `tfsdk:"status"`
	IsShared  types.Bool   `tfsdk:"is_shared"`
	CreatedAt types.String `tfsdk:"created_at"`
	UpdatedAt types.String `tfsdk:"updated_at"`
}
