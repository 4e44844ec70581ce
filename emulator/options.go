package emulator

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Route names, as used by fault rules and counters.
const (
	RouteTokenIssue        = "token_issue"
	RouteTokenValidate     = "token_validate"
	RouteEndpointsResolve  = "endpoints_resolve"
	RouteAZPoliciesResolve = "az_policies_resolve"
	RouteListImages        = "list_images"
	RouteGetImage          = "get_image"
	RouteUpdateImage       = "update_image"
	RouteDeleteImage       = "delete_image"
	RouteListMembers       = "list_members"
	RouteAddMember         = "add_member"
	RouteRemoveMember      = "remove_member"
)

// Fault actions a FaultRule may take.
const (
	Fault503         = "503"
	Fault429         = "429"
	Fault500         = "500"
	Fault502         = "502"
	FaultDrop        = "drop"
	FaultEmpty       = "empty"
	FaultTruncate    = "truncate"
	FaultHTML        = "html"
	FaultContentType = "content-type"
	FaultMistype     = "mistype"
	FaultHang        = "hang"
)

const (
	defaultTokenLifetime = time.Hour
	defaultMemberQuota   = 128
	defaultMaxPageSize   = 1000
	defaultRetryAfter    = time.Second
	defaultPageSize      = 20
)

var (
	allRoutes = []string{
		RouteTokenIssue, RouteTokenValidate, RouteEndpointsResolve, RouteAZPoliciesResolve,
		RouteListImages, RouteGetImage, RouteUpdateImage, RouteDeleteImage,
		RouteListMembers, RouteAddMember, RouteRemoveMember,
	}
	imageRoutes = []string{
		RouteListImages, RouteGetImage, RouteUpdateImage, RouteDeleteImage,
		RouteListMembers, RouteAddMember, RouteRemoveMember,
	}
	faultActions = []string{
		Fault503, Fault429, Fault500, Fault502, FaultDrop, FaultEmpty, FaultTruncate, FaultHTML,
		FaultContentType, FaultMistype, FaultHang,
	}
)

// Options configure a Server. Zero values take the documented defaults.
type Options struct {
	Fixture          *Fixture      // nil: DefaultFixture()
	StateFile        string        // "": memory only
	PropagationDelay time.Duration // new member pending -> accepted; negative = never settles
	RemovalDelay     time.Duration // removed member lingers with is_shared=false; negative = never
	Latency          time.Duration // added to every API request (not to /_emulator controls)
	TokenLifetime    time.Duration // default 1h
	MemberQuota      int           // default 128
	MaxPageSize      int           // default 1000; limit above it -> 422
	PageSizeCap      int           // 0: none; otherwise list answers hold at most this many items
	//                                whatever limit was asked, and pagination.limit says so
	Faults Faults
	Logger io.Writer        // one line per request; nil = silent
	Clock  func() time.Time // nil: time.Now; every delay and expiry is computed from it
}

// Faults injects failures into matching requests. Rules are checked before the random rates.
type Faults struct {
	Rate503, Rate429, RateDrop float64       // shares of matching requests (random, seeded)
	RetryAfter                 time.Duration // for 429, default 1s, sent as whole seconds (ceil)
	Seed                       int64
	Routes                     []string    // routes the random faults apply to; empty = image API routes
	Rules                      []FaultRule // deterministic faults
}

// FaultRule fails matching requests by count. With Every and After both zero it fails every
// matching request; with both set it fails every Every-th request once After have passed.
type FaultRule struct {
	Route      string        // route name, "" = any image API route
	ImageID    string        // optional
	Every      int           // fail the Every-th, 2*Every-th ... matching request
	After      int           // fail every matching request after the first After ones
	Times      int           // stop after failing this many (0 = no limit)
	Action     string        // one of the Fault* constants
	RetryAfter time.Duration // for 429; 0 = Faults.RetryAfter
}

func (f Faults) validate() error {
	for name, rate := range map[string]float64{"503": f.Rate503, "429": f.Rate429, "drop": f.RateDrop} {
		if rate < 0 || rate > 1 {
			return fmt.Errorf("fault rate %s = %v is outside [0, 1]", name, rate)
		}
	}
	if f.Rate503+f.Rate429+f.RateDrop > 1 {
		return fmt.Errorf("fault rates add up to more than 1")
	}
	for _, r := range f.Routes {
		if !slices.Contains(allRoutes, r) {
			return fmt.Errorf("fault route %q is not one of %v", r, allRoutes)
		}
	}
	for i, rule := range f.Rules {
		if rule.Route != "" && !slices.Contains(allRoutes, rule.Route) {
			return fmt.Errorf("fault rule %d: route %q is not one of %v", i, rule.Route, allRoutes)
		}
		if !slices.Contains(faultActions, rule.Action) {
			return fmt.Errorf("fault rule %d: action %q is not one of %v", i, rule.Action, faultActions)
		}
		if rule.Every < 0 || rule.After < 0 || rule.Times < 0 {
			return fmt.Errorf("fault rule %d: every, after and times cannot be negative", i)
		}
	}
	return nil
}

func (f Faults) clone() Faults {
	f.Routes = slices.Clone(f.Routes)
	f.Rules = slices.Clone(f.Rules)
	for i := range f.Rules {
		f.Rules[i].ImageID = lower(f.Rules[i].ImageID)
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = defaultRetryAfter
	}
	return f
}

// settings are the knobs that can change at runtime.
type settings struct {
	propagation   time.Duration
	removal       time.Duration
	latency       time.Duration
	tokenLifetime time.Duration
	memberQuota   int
	maxPageSize   int
	pageSizeCap   int
}

// pageLimit applies the page size cap to an accepted limit.
func (st settings) pageLimit(limit int) int {
	if st.pageSizeCap > 0 {
		return min(limit, st.pageSizeCap)
	}
	return limit
}

func orDefault[T int | time.Duration](v, fallback T) T {
	if v <= 0 {
		return fallback
	}
	return v
}
