package provider

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	imageIDPattern   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	projectIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func imageIDValidators() []validator.String {
	return []validator.String{
		stringvalidator.RegexMatches(imageIDPattern,
			"must be an image ID: a lower-case UUID such as 088b4056-65b3-4ef4-a478-2f4ae9abb98c"),
	}
}

func projectIDSetValidators() []validator.Set {
	return []validator.Set{
		setvalidator.ValueStringsAre(stringvalidator.RegexMatches(projectIDPattern,
			"must be a project ID: 32 lower-case hexadecimal characters without hyphens")),
		caseInsensitiveUniqueValidator{},
	}
}

// caseInsensitiveUniqueValidator rejects two elements that differ only in case. The provider does
// not rewrite values, so such a pair would otherwise name one project twice.
type caseInsensitiveUniqueValidator struct{}

func (caseInsensitiveUniqueValidator) Description(_ context.Context) string {
	return "each project ID must appear once, regardless of case"
}

func (v caseInsensitiveUniqueValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (caseInsensitiveUniqueValidator) ValidateSet(ctx context.Context, req validator.SetRequest,
	resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}

	seen := map[string][]string{}
	for _, el := range req.ConfigValue.Elements() {
		s, ok := el.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		key := strings.ToLower(s.ValueString())
		seen[key] = append(seen[key], s.ValueString())
	}

	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if spellings := seen[k]; len(spellings) > 1 {
			sort.Strings(spellings)
			resp.Diagnostics.AddAttributeError(req.Path, "Duplicate Project ID",
				fmt.Sprintf("The project %s is listed %d times, as %s. Project IDs are lower-case; list each "+
					"project once.", k, len(spellings), quoteJoin(spellings)))
		}
	}
}

// baseURLValidator checks an endpoint at plan time with the same rule Configure applies.
type baseURLValidator struct{}

func (baseURLValidator) Description(_ context.Context) string {
	return "must be an http:// or https:// base URL"
}

func (v baseURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (baseURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkBaseURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Endpoint URL", "The endpoint "+err.Error()+".")
	}
}

func stringOr(v types.String, fallback string) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return fallback
	}
	return v.ValueString()
}

func backtickList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "`" + s + "`"
	}
	return strings.Join(quoted, ", ")
}

func quoteJoin(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(quoted, " and ")
}
