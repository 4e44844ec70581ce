package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/client"
)

const (
	defaultCreateTimeout = 10 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 10 * time.Minute
	defaultDeleteTimeout = 10 * time.Minute
)

var (
	_ resource.Resource                   = &imageMemberResource{}
	_ resource.ResourceWithConfigure      = &imageMemberResource{}
	_ resource.ResourceWithImportState    = &imageMemberResource{}
	_ resource.ResourceWithModifyPlan     = &imageMemberResource{}
	_ resource.ResourceWithValidateConfig = &imageMemberResource{}
)

// NewImageMemberResource returns the kakaocloud_image_member resource.
func NewImageMemberResource() resource.Resource {
	return &imageMemberResource{}
}

type imageMemberResource struct {
	data *providerData
}

func (r *imageMemberResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_member"
}

func (r *imageMemberResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	timeoutsAttr := timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true})
	if nested, ok := timeoutsAttr.(schema.SingleNestedAttribute); ok {
		nested.MarkdownDescription = "Custom timeout settings."
		timeoutsAttr = nested
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "The `kakaocloud_image_member` resource allows you to manage image sharing between " +
			"projects in KakaoCloud. By using this resource, you can share a specific image with another project, " +
			"control its sharing status, and track creation and update details. This helps ensure secure and " +
			"consistent image access across multiple projects within your environment.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Unique ID of the image",
				Required:            true,
				Validators:          imageIDValidators(),
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"shared_member_ids": schema.SetAttribute{
				MarkdownDescription: "Image shared member ID List",
				Required:            true,
				ElementType:         types.StringType,
				Validators:          projectIDSetValidators(),
			},
			"timeouts": timeoutsAttr,
			"members": schema.ListNestedAttribute{
				MarkdownDescription: "List of projects with which the image is shared.",
				Computed:            true,
				PlanModifiers:       []planmodifier.List{membersKnownWhenUnchanged{}},
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id": schema.StringAttribute{
							MarkdownDescription: "ID of the project receiving the shared image",
							Computed:            true,
						},
						"image_id": schema.StringAttribute{
							MarkdownDescription: "Unique ID of the image",
							Computed:            true,
						},
						"status": schema.StringAttribute{
							MarkdownDescription: "Image sharing status",
							Computed:            true,
						},
						"is_shared": schema.BoolAttribute{
							MarkdownDescription: "Indicates whether the image is currently shared with the project.",
							Computed:            true,
						},
						"created_at": schema.StringAttribute{
							MarkdownDescription: "Time when the resource was created <br/> - ISO_8601 format  <br/> - Based on UTC",
							Computed:            true,
						},
						"updated_at": schema.StringAttribute{
							MarkdownDescription: "Time when the resource was last modified <br/> - ISO_8601 format  <br/> - Based on UTC",
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (r *imageMemberResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *imageMemberResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest,
	resp *resource.ValidateConfigResponse) {
	var t timeouts.Value
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("timeouts"), &t)...)
	if resp.Diagnostics.HasError() || t.IsNull() || t.IsUnknown() {
		return
	}
	for name, v := range t.Attributes() {
		s, ok := v.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		if d, err := time.ParseDuration(s.ValueString()); err == nil && d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("timeouts").AtName(name), "Invalid Timeout",
				fmt.Sprintf("The %s timeout %q must be longer than zero.", name, s.ValueString()))
		}
	}
}

// ModifyPlan makes every check that the API can answer before anything changes, so that a bad
// image or project fails the plan rather than half an apply.
func (r *imageMemberResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest,
	resp *resource.ModifyPlanResponse) {
	if r.data == nil {
		return
	}
	var prior imageMemberModel
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	}
	if req.Plan.Raw.IsNull() {
		if conflict := r.data.claims.release(prior.ID.ValueString()); conflict != "" {
			resp.Diagnostics.AddError("Image Unshared and Shared in One Apply", conflict)
		}
		return
	}

	var plan imageMemberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.ID.IsUnknown() {
		return
	}
	imageID := plan.ID.ValueString()

	if conflict := r.data.claims.claim(imageID, strings.Join(setStrings(plan.SharedMemberIDs), ",")); conflict != "" {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Image Managed by Two Resources", conflict)
		return
	}

	if !plan.SharedMemberIDs.IsUnknown() {
		for _, id := range setStrings(plan.SharedMemberIDs) {
			if id == r.data.projectID {
				resp.Diagnostics.AddAttributeError(path.Root("shared_member_ids"), "Cannot Share an Image with Its Owner",
					fmt.Sprintf("The project %s is the project of the configured credential, which owns the image %s. "+
						"An image cannot be shared with its own project; remove it from shared_member_ids.", id, imageID))
			}
		}
	}

	if !req.State.Raw.IsNull() && prior.ID.ValueString() == imageID {
		// Sharing this resource started that has not taken effect keeps the plan open, so that the
		// next apply waits for it rather than reporting nothing to do.
		if pending := pendingPlanned(ctx, prior.Members, setStrings(plan.SharedMemberIDs)); len(pending) > 0 {
			tflog.Debug(ctx, "planned members still pending; planning a wait", map[string]any{"project_ids": pending})
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("members"),
				types.ListUnknown(types.ObjectType{AttrTypes: memberAttrTypes}))...)
		}
		return
	}

	ctx, cancel, _ := withTimeout(ctx, plan.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer cancel()
	resp.Diagnostics.Append(r.checkImageShareable(ctx, imageID)...)
}

func (r *imageMemberResource) checkImageShareable(ctx context.Context, imageID string) diag.Diagnostics {
	var diags diag.Diagnostics
	img, err := r.data.client.GetImage(ctx, imageID)
	if client.IsNotFound(err) {
		// A warning, not an error: Terraform also plans while refreshing before a destroy, and an
		// image deleted out of band must not block that. Create reports the missing image.
		diags.AddAttributeWarning(path.Root("id"), "Image Not Found",
			fmt.Sprintf("The image %s does not exist or is not visible to the configured project %s, so sharing "+
				"it will fail. Check the image ID and the region.\n\n%s", imageID, r.data.projectID, err))
		return diags
	}
	if err != nil {
		diags.AddError("Unable to Read Image", fmt.Sprintf("Reading the image %s to plan its sharing failed.\n\n%s",
			imageID, err))
		return diags
	}

	switch {
	case img.Visibility == "public":
		diags.AddAttributeError(path.Root("id"), "Public Image Cannot Be Shared",
			fmt.Sprintf("The image %s is public and already visible to every project, so it cannot be shared.", imageID))
	case img.Owner != "" && img.Owner != r.data.projectID:
		diags.AddAttributeError(path.Root("id"), "Image Owned by Another Project",
			fmt.Sprintf("The image %s belongs to the project %s, not to the configured project %s. Only the owner "+
				"project can share an image; use a credential of the owner project.", imageID, img.Owner,
				r.data.projectID))
	case img.Status != "" && img.Status != "active":
		diags.AddAttributeError(path.Root("id"), "Image Not Active",
			fmt.Sprintf("The image %s has status %q. Only an active image can be shared; wait until it is active "+
				"or reactivate it.", imageID, img.Status))
	}
	return diags
}

func (r *imageMemberResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageMemberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics) {
		return
	}

	ctx, cancel, timeout := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	imageID := plan.ID.ValueString()
	want := setStrings(plan.SharedMemberIDs)
	ctx = tflog.SetField(ctx, "image_id", imageID)

	existing, err := r.data.client.ListImageMembers(ctx, imageID)
	if client.IsNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Image Not Found",
			fmt.Sprintf("The image %s does not exist or is not visible to the configured project %s, so it "+
				"cannot be shared. Check the image ID and the region.\n\n%s", imageID, r.data.projectID, err))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Creating Image Sharing",
			fmt.Sprintf("Listing the members of image %s failed, so nothing was shared.\n\n%s", imageID, err))
		return
	}
	if foreign := subtract(presentIDs(existing), want); len(foreign) > 0 {
		resp.Diagnostics.AddError("Image Already Shared",
			fmt.Sprintf("The image %s is already shared with %s, which the configuration does not list. This "+
				"resource manages the complete member list, so it will not take over an image shared elsewhere. "+
				"Import it with `terraform import <address> %s`, then plan the members you want.",
				imageID, joinIDs(foreign), imageID))
		return
	}
	if adopted := intersect(presentIDs(existing), want); len(adopted) > 0 {
		tflog.Info(ctx, "adopting members that already exist", map[string]any{"project_ids": adopted})
	}

	changes := r.changeMembers(ctx, imageID, subtract(want, presentIDs(existing)), nil)
	op := operation{name: "Create", imageID: imageID, want: want, before: presentIDs(existing), seen: existing,
		timeout: timeout}
	r.finish(ctx, op, changes, &plan, &resp.State, &resp.Diagnostics)
}

func (r *imageMemberResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageMemberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics) {
		return
	}

	ctx, cancel, _ := withTimeout(ctx, state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	imageID := state.ID.ValueString()
	members, err := r.data.client.ListImageMembers(ctx, imageID)
	if client.IsNotFound(err) {
		tflog.Warn(ctx, "image not found; removing image sharing from state", map[string]any{"image_id": imageID})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Reading Image Sharing",
			fmt.Sprintf("Listing the members of image %s failed.\n\n%s", imageID, err))
		return
	}

	resp.Diagnostics.Append(state.setMembers(ctx, members, presentIDs(members))...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *imageMemberResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state imageMemberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics) {
		return
	}

	ctx, cancel, timeout := withTimeout(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	if !plan.Members.IsUnknown() {
		// Neither the projects nor their sharing change (only timeouts do): nothing to ask the API.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}

	imageID := plan.ID.ValueString()
	want := setStrings(plan.SharedMemberIDs)
	ctx = tflog.SetField(ctx, "image_id", imageID)

	// The changes come from the member list as it is now, not from state: a saved plan, a plan
	// made with -refresh=false, or a change made elsewhere since the plan would otherwise leave
	// the image shared with projects the configuration does not list.
	current, err := r.data.client.ListImageMembers(ctx, imageID)
	if err != nil {
		resp.Diagnostics.AddError("Error Updating Image Sharing",
			fmt.Sprintf("Listing the members of image %s failed, so nothing was changed.\n\n%s", imageID, err))
		return
	}
	have := presentIDs(current)
	changes := r.changeMembers(ctx, imageID, subtract(want, have), subtract(have, want))
	op := operation{name: "Update", imageID: imageID, want: want, before: have, seen: current, timeout: timeout}
	r.finish(ctx, op, changes, &plan, &resp.State, &resp.Diagnostics)
}

func (r *imageMemberResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageMemberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics) {
		return
	}

	ctx, cancel, timeout := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	imageID := state.ID.ValueString()
	ctx = tflog.SetField(ctx, "image_id", imageID)

	members, err := r.data.client.ListImageMembers(ctx, imageID)
	if client.IsNotFound(err) {
		tflog.Debug(ctx, "image already gone; nothing to unshare")
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Deleting Image Sharing",
			fmt.Sprintf("Listing the members of image %s failed, so nothing was unshared.\n\n%s", imageID, err))
		return
	}

	changes := r.changeMembers(ctx, imageID, nil, presentIDs(members))
	op := operation{name: "Delete", imageID: imageID, before: presentIDs(members), seen: members, timeout: timeout}
	r.finish(ctx, op, changes, &state, &resp.State, &resp.Diagnostics)
}

func (r *imageMemberResource) ImportState(ctx context.Context, req resource.ImportStateRequest,
	resp *resource.ImportStateResponse) {
	if !imageIDPattern.MatchString(req.ID) {
		resp.Diagnostics.AddError("Invalid Import ID",
			fmt.Sprintf("The import ID %q is not an image ID. Import kakaocloud_image_member with the image's ID, "+
				"a lower-case UUID such as 088b4056-65b3-4ef4-a478-2f4ae9abb98c.", req.ID))
		return
	}
	if r.data != nil {
		// An image that cannot be shared would import and then fail on the first apply.
		ctx, cancel := context.WithTimeout(ctx, defaultReadTimeout)
		defer cancel()
		resp.Diagnostics.Append(r.checkImageShareable(ctx, req.ID)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("shared_member_ids"),
		types.SetValueMust(types.StringType, []attr.Value{}))...)
}

// withTimeout bounds ctx by the timeout the configuration sets for one operation, or its default.
func withTimeout(ctx context.Context, configured func(context.Context, time.Duration) (time.Duration, diag.Diagnostics),
	fallback time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc, time.Duration) {
	timeout, d := configured(ctx, fallback)
	diags.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, timeout
}

func (r *imageMemberResource) configured(diags *diag.Diagnostics) bool {
	if r.data != nil {
		return true
	}
	diags.AddError("Provider Not Configured",
		"The kakaocloud provider was not configured before this resource was used. This happens when its "+
			"configuration depends on values unknown until apply; make the credentials known at plan time.")
	return false
}

type imageMemberModel struct {
	ID              types.String   `tfsdk:"id"`
	SharedMemberIDs types.Set      `tfsdk:"shared_member_ids"`
	Members         types.List     `tfsdk:"members"`
	Timeouts        timeouts.Value `tfsdk:"timeouts"`
}

// setMembers records shared (by default the projects the API reports as shared) in
// shared_member_ids and, when a list was read, every listed member in members. Read and the
// failure paths pass every present project, pending ones included, so that drift in either
// direction shows in a plan.
func (m *imageMemberModel) setMembers(ctx context.Context, members []client.Member, shared []string) diag.Diagnostics {
	var diags, d diag.Diagnostics
	if shared == nil {
		shared = sharedIDs(members)
	}
	if shared == nil {
		shared = []string{} // an empty set, never null: the attribute is required
	}
	m.SharedMemberIDs, d = types.SetValueFrom(ctx, types.StringType, shared)
	diags.Append(d...)
	if members != nil || m.Members.IsUnknown() || m.Members.IsNull() {
		m.Members, d = membersValue(ctx, members)
		diags.Append(d...)
	}
	return diags
}
