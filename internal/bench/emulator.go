package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// routeOther groups the requests the benchmark does not break down (endpoint resolution, images).
const routeOther = "other"

// projectIDs returns n member projects: the default fixture's, then derived ones past its 320.
func projectIDs(n int) []string {
	ids := emulator.DefaultProjectIDs()
	for i := len(ids); i < n; i++ {
		ids = append(ids, extraProjectID(i))
	}
	return ids[:n]
}

func extraProjectID(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("kakaocloud-bench/project/%04d", i)))
	return hex.EncodeToString(sum[:16])
}

// benchFixture is the default fixture plus the projects a case of n members needs.
func benchFixture(n int) *emulator.Fixture {
	f := emulator.DefaultFixture()
	for i := len(emulator.DefaultProjectIDs()); i < n; i++ {
		f.Projects = append(f.Projects, emulator.FixtureProject{
			ID: extraProjectID(i), Name: fmt.Sprintf("bench-project-%04d", i),
		})
	}
	return f
}

// benchEmulator is an in-process emulator behind a recorder, on 127.0.0.1 and a free port.
type benchEmulator struct {
	server   *emulator.Server
	recorder *recorder
	http     *http.Server
	url      string
}

// startEmulator mounts the emulator as a handler rather than calling Listen, so that every
// request passes through the recorder, which timestamps it for the timeline of an apply.
func startEmulator(n int, latency, delay time.Duration) (*benchEmulator, error) {
	srv, err := emulator.New(emulator.Options{
		Fixture:          benchFixture(n),
		Latency:          latency,
		PropagationDelay: delay,
		RemovalDelay:     delay,
		MemberQuota:      max(n+16, 128),
	})
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("emulator: listen: %w", err)
	}

	rec := &recorder{next: srv}
	e := &benchEmulator{
		server:   srv,
		recorder: rec,
		http:     &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second},
		url:      "http://" + ln.Addr().String(),
	}
	go func() {
		_ = e.http.Serve(ln) // http.ErrServerClosed once closed
	}()
	return e, nil
}

// reset zeroes the emulator's counters and the recorder's timeline before a command.
func (e *benchEmulator) reset() {
	e.server.ResetCounters()
	e.recorder.reset()
}

func (e *benchEmulator) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := e.http.Shutdown(ctx)
	if cerr := e.server.Close(); err == nil {
		err = cerr
	}
	return err
}

// recorder notes when each request of interest arrives and ends, and how many ran at once.
type recorder struct {
	next http.Handler

	mu       sync.Mutex
	events   []requestEvent
	inFlight map[string]int
	peak     map[string]int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	route := routeOf(req.Method, req.URL.Path)
	start := time.Now()
	r.mu.Lock()
	if r.inFlight == nil {
		r.inFlight, r.peak = map[string]int{}, map[string]int{}
	}
	r.inFlight[route]++
	r.peak[route] = max(r.peak[route], r.inFlight[route])
	r.mu.Unlock()

	r.next.ServeHTTP(w, req)

	end := time.Now()
	r.mu.Lock()
	r.inFlight[route]--
	r.events = append(r.events, requestEvent{route: route, start: start, end: end})
	r.mu.Unlock()
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
	r.peak = map[string]int{}
}

// snapshot returns the requests finished so far and the peak concurrency of each route.
func (r *recorder) snapshot() ([]requestEvent, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	peak := make(map[string]int, len(r.peak))
	for k, v := range r.peak {
		peak[k] = v
	}
	return append([]requestEvent(nil), r.events...), peak
}

// routeOf names the routes the timeline needs with the emulator's own route names.
func routeOf(method, path string) string {
	path = strings.TrimRight(path, "/")
	switch {
	case method == http.MethodPost && path == "/identity/v3/auth/tokens":
		return emulator.RouteTokenIssue
	case !strings.HasPrefix(path, "/api/v1/images/"):
		return routeOther
	case method == http.MethodGet && strings.HasSuffix(path, "/members"):
		return emulator.RouteListMembers
	case method == http.MethodPost && strings.Contains(path, "/members/"):
		return emulator.RouteAddMember
	case method == http.MethodDelete && strings.Contains(path, "/members/"):
		return emulator.RouteRemoveMember
	}
	return routeOther
}

type requestEvent struct {
	route      string
	start, end time.Time
}
