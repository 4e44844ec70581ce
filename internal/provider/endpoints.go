package provider

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

const (
	defaultRegion = "kr-central-2"
	defaultRealm  = "public"

	// envEndpoint points every service at one base URL, which is how the emulator is used.
	envEndpoint = "KAKAOCLOUD_ENDPOINT"
)

var (
	knownRegions = []string{"kr-central-1", "kr-central-2", "kr-central-3"}
	knownRealms  = []string{"public", "gov"}

	// serviceHosts maps each endpoint_overrides key to the host label of its default URL.
	// The vendor's endpoint discovery calls the config service "heimdall".
	serviceHosts = map[string]string{
		"iam":               "iam",
		"config":            "heimdall",
		"image":             "image",
		"vpc":               "vpc",
		"network":           "network",
		"load-balancer":     "load-balancer",
		"volume":            "volume",
		"bcs":               "bcs",
		"kubernetes-engine": "kubernetes-engine",
		"tgw":               "tgw",
		"mysql":             "mysql",
	}
)

// serviceKeys returns the endpoint_overrides keys in a stable order, for docs and errors.
func serviceKeys() []string {
	keys := make([]string, 0, len(serviceHosts))
	for k := range serviceHosts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// endpoints resolves the base URL of every service: an endpoint_overrides entry wins, then the
// single URL of KAKAOCLOUD_ENDPOINT, then the public default for the region and realm.
type endpoints map[string]string

func resolveEndpoints(region, realm, everything string, overrides map[string]string) (endpoints, error) {
	domain := "kakaocloud.com"
	if realm == "gov" {
		// The vendor publishes no government host names; this is our choice and overrides win.
		domain = "gov.kakaocloud.com"
	}

	out := endpoints{}
	for key, host := range serviceHosts {
		switch {
		case overrides[key] != "":
			out[key] = overrides[key]
		case everything != "":
			out[key] = everything
		case key == "iam":
			out[key] = fmt.Sprintf("https://%s.%s", host, domain)
		default:
			out[key] = fmt.Sprintf("https://%s.%s.%s", host, region, domain)
		}
	}

	for key, raw := range out {
		if err := checkBaseURL(raw); err != nil {
			return nil, fmt.Errorf("endpoint for %q: %w", key, err)
		}
		out[key] = strings.TrimRight(raw, "/")
	}
	return out, nil
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.User != nil {
		return fmt.Errorf("%q must not carry a user name or password", u.Redacted())
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must start with http:// or https://", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not carry a query or a fragment", raw)
	}
	return nil
}
