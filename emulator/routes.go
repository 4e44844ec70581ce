package emulator

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// statusDropped marks a request answered by closing the connection.
const statusDropped = -1

// matchRoute maps a request to a route. With no route, allowed lists the methods the path
// takes (for a 405), or is empty when the path is unknown.
func matchRoute(method, path string) (route, string) {
	if len(path) > 1 {
		path = strings.TrimRight(path, "/")
	}
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	byMethod := map[string]string{}
	var rt route
	switch {
	case path == "/identity/v3/auth/tokens":
		byMethod = map[string]string{http.MethodPost: RouteTokenIssue, http.MethodGet: RouteTokenValidate}
	case path == "/api/v1/client-endpoints/resolve":
		byMethod[http.MethodGet] = RouteEndpointsResolve
	case path == "/api/v1/az-policies/resolve":
		byMethod[http.MethodGet] = RouteAZPoliciesResolve
	case path == "/api/v1/images":
		byMethod[http.MethodGet] = RouteListImages
	case len(seg) == 4 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "images":
		rt.imageID = seg[3]
		byMethod = map[string]string{
			http.MethodGet: RouteGetImage, http.MethodPut: RouteUpdateImage, http.MethodDelete: RouteDeleteImage,
		}
	case len(seg) == 5 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "images" && seg[4] == "members":
		rt.imageID = seg[3]
		byMethod[http.MethodGet] = RouteListMembers
	case len(seg) == 6 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "images" && seg[4] == "members":
		rt.imageID, rt.memberID = seg[3], seg[5]
		byMethod = map[string]string{http.MethodPost: RouteAddMember, http.MethodDelete: RouteRemoveMember}
	default:
		return route{}, ""
	}

	rt.name = byMethod[method]
	if rt.name == "" {
		allowed := make([]string, 0, len(byMethod))
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			if byMethod[m] != "" {
				allowed = append(allowed, m)
			}
		}
		return route{}, strings.Join(allowed, ", ")
	}
	return rt, ""
}

// imageKey is the image ID as counters and fault rules see it, or "" when malformed.
func (rt route) imageKey() string {
	if !isImageID(rt.imageID) {
		return ""
	}
	return lower(rt.imageID)
}

func (s *Server) count(rt route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters.ByRoute[rt.name]++
	if id := rt.imageKey(); id != "" {
		byRoute := s.counters.ByImage[id]
		if byRoute == nil {
			byRoute = map[string]int64{}
			s.counters.ByImage[id] = byRoute
		}
		byRoute[rt.name]++
	}
}

// recorder holds an answer until faults have had their chance to spoil it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder {
	return &recorder{header: http.Header{}}
}

func (r *recorder) Header() http.Header {
	return r.header
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

func (r *recorder) flush(w http.ResponseWriter) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status == http.StatusNoContent {
		w.Header().Del("Content-Type")
		w.Header().Del("Content-Length")
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(r.body.Len()))
	}
	w.WriteHeader(r.status)
	if r.status != http.StatusNoContent {
		_, _ = w.Write(r.body.Bytes())
	}
}

type route struct {
	name     string
	imageID  string // as written in the path
	memberID string
}
