package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/client"
)

var (
	_ datasource.DataSource              = &imageMemberDataSource{}
	_ datasource.DataSourceWithConfigure = &imageMemberDataSource{}
)

// NewImageMemberDataSource returns the kakaocloud_image_member data source.
func NewImageMemberDataSource() datasource.DataSource {
	return &imageMemberDataSource{}
}

type imageMemberDataSource struct {
	data *providerData
}

func (d *imageMemberDataSource) Metadata(_ context.Context, req datasource.MetadataRequest,
	resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_member"
}

func (d *imageMemberDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	timeoutsAttr := timeouts.Attributes(ctx)
	if nested, ok := timeoutsAttr.(schema.SingleNestedAttribute); ok {
		nested.MarkdownDescription = "Custom timeout settings."
		timeoutsAttr = nested
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "The `kakaocloud_image_member` data source reads the projects an image is shared " +
			"with, as the API reports them, without managing them.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Unique ID of the image",
				Required:            true,
				Validators:          imageIDValidators(),
			},
			"timeouts": timeoutsAttr,
			"members": schema.ListNestedAttribute{
				MarkdownDescription: "List of projects with which the image is shared, sorted by project ID.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id": schema.StringAttribute{
							MarkdownDescription: "ID of the project receiving the shared image",
							Computed:            true,
						},
						"image_id": schema.StringAttribute{MarkdownDescription: "Unique ID of the image", Computed: true},
						"status":   schema.StringAttribute{MarkdownDescription: "Image sharing status", Computed: true},
						"is_shared": schema.BoolAttribute{
							MarkdownDescription: "Indicates whether the image is shared with the project.",
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

func (d *imageMemberDataSource) Configure(_ context.Context, req datasource.ConfigureRequest,
	resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *imageMemberDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config imageMemberDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.data == nil {
		resp.Diagnostics.AddError("Provider Not Configured",
			"The kakaocloud provider was not configured before this data source was read.")
		return
	}

	ctx, cancel, _ := withTimeout(ctx, config.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	imageID := config.ID.ValueString()
	members, err := d.data.client.ListImageMembers(ctx, imageID)
	if client.IsNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Image Not Found",
			fmt.Sprintf("The image %s does not exist or is not visible to the configured project.\n\n%s", imageID, err))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Reading Image Members",
			fmt.Sprintf("Listing the members of image %s failed.\n\n%s", imageID, err))
		return
	}

	var diags diag.Diagnostics
	config.Members, diags = membersValue(ctx, members)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}

type imageMemberDataSourceModel struct {
	ID       types.String   `tfsdk:"id"`
	Members  types.List     `tfsdk:"members"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}
