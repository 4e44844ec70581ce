// Package provider implements the kakaocloud Terraform provider on terraform-plugin-framework.
package provider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/client"
)

const (
	envCredentialID     = "KAKAOCLOUD_APPLICATION_CREDENTIAL_ID"
	envCredentialSecret = "KAKAOCLOUD_APPLICATION_CREDENTIAL_SECRET"

	// authenticateTimeout bounds the token issue made while the provider is configured, so an
	// unreachable endpoint fails the run quickly instead of retrying for minutes.
	authenticateTimeout = 30 * time.Second
)

var _ provider.Provider = &kakaocloudProvider{}

// New returns a constructor of the provider for the given version, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &kakaocloudProvider{version: version}
	}
}

type kakaocloudProvider struct {
	version string
}

func (p *kakaocloudProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "kakaocloud"
	resp.Version = p.version
}

func (p *kakaocloudProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The kakaocloud provider manages KakaoCloud resources through the KakaoCloud API. " +
			"It authenticates with an application credential and issues one token per provider configuration.",
		Attributes: map[string]schema.Attribute{
			"application_credential_id": schema.StringAttribute{
				MarkdownDescription: "ID of the application credential used to authenticate. " +
					"Falls back to the `" + envCredentialID + "` environment variable.",
				Optional:  true,
				Sensitive: true,
			},
			"application_credential_secret": schema.StringAttribute{
				MarkdownDescription: "Secret of the application credential used to authenticate. " +
					"Falls back to the `" + envCredentialSecret + "` environment variable.",
				Optional:  true,
				Sensitive: true,
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "Region whose endpoints are used: `kr-central-1`, `kr-central-2` or `kr-central-3`. " +
					"Defaults to `" + defaultRegion + "`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(knownRegions...)},
			},
			"service_realm": schema.StringAttribute{
				MarkdownDescription: "Service realm: `public` or `gov`. Defaults to `" + defaultRealm + "`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(knownRealms...)},
			},
			"endpoint_overrides": schema.MapAttribute{
				MarkdownDescription: "Base URLs that replace the default endpoint of a service, keyed by service: " +
					backtickList(serviceKeys()) + ". The `" + envEndpoint + "` environment variable points " +
					"every service without an override at one base URL, such as a local emulator.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.Map{
					mapvalidator.KeysAre(stringvalidator.OneOf(serviceKeys()...)),
					mapvalidator.ValueStringsAre(baseURLValidator{}),
				},
			},
		},
	}
}

func (p *kakaocloudProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	if config.hasUnknown() {
		// Values computed from other resources are not known while planning; resources then
		// skip the checks that need the API and get a configured provider at apply.
		tflog.Debug(ctx, "provider configuration not yet known; deferring authentication")
		return
	}

	credentialID := stringOr(config.ApplicationCredentialID, os.Getenv(envCredentialID))
	credentialSecret := stringOr(config.ApplicationCredentialSecret, os.Getenv(envCredentialSecret))
	if credentialID == "" || credentialSecret == "" {
		resp.Diagnostics.AddError("Missing KakaoCloud Application Credential",
			"The provider needs an application credential ID and secret. Set application_credential_id "+
				"and application_credential_secret in the provider block, or the environment variables "+
				envCredentialID+" and "+envCredentialSecret+".")
		return
	}

	overrides := map[string]string{}
	resp.Diagnostics.Append(config.EndpointOverrides.ElementsAs(ctx, &overrides, false)...)
	if resp.Diagnostics.HasError() {
		return
	}
	eps, err := resolveEndpoints(stringOr(config.Region, defaultRegion), stringOr(config.ServiceRealm, defaultRealm),
		os.Getenv(envEndpoint), overrides)
	if err != nil {
		resp.Diagnostics.AddError("Invalid KakaoCloud Endpoint", "The provider cannot use an endpoint: "+err.Error()+".")
		return
	}

	c, err := client.New(client.Config{
		IAMEndpoint:      eps["iam"],
		ImageEndpoint:    eps["image"],
		CredentialID:     credentialID,
		CredentialSecret: credentialSecret,
		UserAgent:        "terraform-provider-kakaocloud/" + p.version,
	})
	if err != nil {
		resp.Diagnostics.AddError("Invalid KakaoCloud Provider Configuration", err.Error())
		return
	}

	authCtx, cancel := context.WithTimeout(ctx, authenticateTimeout)
	defer cancel()
	token, err := c.Authenticate(authCtx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Authenticate with KakaoCloud",
			fmt.Sprintf("Issuing a token at %s with the configured application credential failed. Check the "+
				"credential ID and secret, and that the IAM endpoint is reachable.\n\n%s", eps["iam"], err))
		return
	}
	tflog.Debug(ctx, "authenticated with KakaoCloud", map[string]any{
		"project_id": token.ProjectID, "iam_endpoint": eps["iam"], "image_endpoint": eps["image"],
	})

	data := &providerData{client: c, projectID: token.ProjectID, claims: newImageClaims()}
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *kakaocloudProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewImageMemberResource}
}

func (p *kakaocloudProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewImageMemberDataSource}
}

// providerData is what Configure hands to resources and data sources: one client, and so one
// token, per provider configuration.
type providerData struct {
	client    *client.Client
	projectID string
	claims    *imageClaims
}

func providerDataFrom(data any, diags interface{ AddError(string, string) }) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", data))
		return nil
	}
	return pd
}

type providerModel struct {
	ApplicationCredentialID     types.String `tfsdk:"application_credential_id"`
	ApplicationCredentialSecret types.String `tfsdk:"application_credential_secret"`
	Region                      types.String `tfsdk:"region"`
	ServiceRealm                types.String `tfsdk:"service_realm"`
	EndpointOverrides           types.Map    `tfsdk:"endpoint_overrides"`
}

func (m providerModel) hasUnknown() bool {
	return m.ApplicationCredentialID.IsUnknown() || m.ApplicationCredentialSecret.IsUnknown() ||
		m.Region.IsUnknown() || m.ServiceRealm.IsUnknown() || m.EndpointOverrides.IsUnknown()
}
