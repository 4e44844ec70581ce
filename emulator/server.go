package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

const (
	maxBodyBytes    = 1 << 20
	shutdownTimeout = 5 * time.Second
)

// Server is the emulator. It implements http.Handler, so it can also be mounted elsewhere.
type Server struct {
	fixture   *Fixture
	stateFile string
	logger    io.Writer
	now       func() time.Time

	projects    map[string]FixtureProject
	credentials map[string]FixtureCredential

	mu       sync.Mutex // guards everything below
	settings settings
	images   map[string]*imageState
	tokens   map[string]*token
	faults   Faults
	faultRNG *rand.Rand
	ruleHits []int
	ruleFail []int
	lagReads int
	lagGen   int
	counters Counters
	url      string

	saveMu    sync.Mutex
	logMu     sync.Mutex
	connMu    sync.Mutex
	idleConns map[net.Conn]bool // connections that have not sent a request yet
	listener  net.Listener
	http      *http.Server
	closing   chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New builds a server from opts; it serves once Listen is called or when used as a handler.
func New(opts Options) (*Server, error) {
	fixture := opts.Fixture
	if fixture == nil {
		fixture = DefaultFixture()
	}
	if err := fixture.validate(); err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	if err := opts.Faults.validate(); err != nil {
		return nil, err
	}

	s := &Server{
		fixture:     fixture.clone(),
		stateFile:   opts.StateFile,
		logger:      opts.Logger,
		now:         opts.Clock,
		projects:    map[string]FixtureProject{},
		credentials: map[string]FixtureCredential{},
		tokens:      map[string]*token{},
		closing:     make(chan struct{}),
		settings: settings{
			propagation:   opts.PropagationDelay,
			removal:       opts.RemovalDelay,
			latency:       max(opts.Latency, 0),
			tokenLifetime: orDefault(opts.TokenLifetime, defaultTokenLifetime),
			memberQuota:   orDefault(opts.MemberQuota, defaultMemberQuota),
			maxPageSize:   orDefault(opts.MaxPageSize, defaultMaxPageSize),
			pageSizeCap:   max(opts.PageSizeCap, 0),
		},
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, p := range s.fixture.Projects {
		s.projects[p.ID] = p
	}
	for _, c := range s.fixture.Credentials {
		if c.UserID == "" {
			c.UserID = derivedHex("kakaocloud-emulator/user/" + c.ID)
		}
		if c.UserName == "" {
			c.UserName = "user-" + c.ID[:min(8, len(c.ID))]
		}
		s.credentials[c.ID] = c
	}
	s.setFaultsLocked(opts.Faults)
	s.resetCountersLocked()

	s.images = newImageStates(s.fixture)
	if s.stateFile != "" {
		images, err := loadState(s.stateFile, s.fixture)
		if err != nil {
			return nil, err
		}
		if images != nil {
			s.images = images
		}
	}
	return s, nil
}

// NewTestServer starts a server on 127.0.0.1:0 and closes it when the test ends.
func NewTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("emulator: close: %v", err)
		}
	})
	return s
}

// Listen starts serving on addr in the background.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}

	s.mu.Lock()
	if s.listener != nil {
		s.mu.Unlock()
		ln.Close()
		return errors.New("emulator is already listening")
	}
	s.listener = ln
	s.url = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ConnState: s.trackConn}
	srv := s.http
	s.mu.Unlock()

	go func() {
		_ = srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return nil
}

// URL is the base URL every service answers on, once listening.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops serving, ends hung requests, and saves the state file if there is one.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.mu.Lock()
		srv := s.http
		s.mu.Unlock()

		var errs []error
		if srv != nil {
			if err := s.shutdown(srv); err != nil {
				errs = append(errs, fmt.Errorf("shutdown: %w", err))
				srv.Close()
			}
		}
		if err := s.save(); err != nil {
			errs = append(errs, err)
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// shutdown lets requests in flight finish. Connections that never sent a request would hold
// http.Server.Shutdown for five seconds, so they are closed here while it waits.
func (s *Server) shutdown(srv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s.connMu.Lock()
		for c := range s.idleConns {
			c.Close()
			delete(s.idleConns, c)
		}
		s.connMu.Unlock()
		select {
		case err := <-done:
			return err
		case <-tick.C:
		}
	}
}

func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.idleConns == nil {
		s.idleConns = map[net.Conn]bool{}
	}
	if state == http.StateNew {
		s.idleConns[c] = true
		return
	}
	delete(s.idleConns, c)
}

// save writes the state file. saveMu orders writers, so the last write holds the latest state.
func (s *Server) save() error {
	if s.stateFile == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()

	s.mu.Lock()
	data, err := encodeState(s.images)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	return writeFileAtomic(s.stateFile, data)
}

// ServeHTTP routes a request, applying latency and faults to API routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	rec := newRecorder()
	if r.Body == nil {
		r.Body = http.NoBody // a request built by hand rather than read from the wire
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	defer func() {
		s.logRequest(r, rec.status, time.Since(started))
	}()

	if isControlPath(r.URL.Path) {
		s.serveControl(rec, r)
		rec.flush(w)
		return
	}

	rt, allowed := matchRoute(r.Method, r.URL.Path)
	switch {
	case rt.name == "" && allowed != "":
		rec.Header().Set("Allow", allowed)
		writeError(rec, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed on this path.")
		rec.flush(w)
		return
	case rt.name == "":
		writeError(rec, http.StatusNotFound, "No such API path.")
		rec.flush(w)
		return
	}

	s.count(rt)
	if !s.sleep(r.Context(), s.latency()) {
		rec.status = statusDropped
		abortConnection(w)
		return
	}

	fault := s.pickFault(rt)
	switch fault.action {
	case FaultDrop:
		rec.status = statusDropped
		abortConnection(w)
		return
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		rec.status = statusDropped
		abortConnection(w)
		return
	case Fault503, Fault429, Fault500, Fault502, FaultHTML:
		writeFault(rec, fault)
		rec.flush(w)
		return
	}

	s.handle(rec, r, rt)
	if fault.action != "" {
		mangle(rec, fault.action)
	}
	rec.flush(w)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, rt route) {
	switch rt.name {
	case RouteTokenIssue:
		s.issueToken(w, r)
	case RouteTokenValidate:
		s.validateToken(w, r)
	case RouteEndpointsResolve:
		s.resolveEndpoints(w, r)
	case RouteAZPoliciesResolve:
		s.resolveAZPolicies(w, r)
	case RouteListImages:
		s.listImages(w, r)
	case RouteGetImage:
		s.getImage(w, r, rt)
	case RouteUpdateImage:
		s.updateImage(w, r, rt)
	case RouteDeleteImage:
		s.deleteImage(w, r, rt)
	case RouteListMembers:
		s.listMembers(w, r, rt)
	case RouteAddMember:
		s.addMember(w, r, rt)
	case RouteRemoveMember:
		s.removeMember(w, r, rt)
	}
}

func (s *Server) latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings.latency
}

// sleep waits d of real time, and reports false when the client left or the server is closing.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

// logRequest prints the escaped path only: queries and headers may carry secrets.
func (s *Server) logRequest(r *http.Request, status int, took time.Duration) {
	if s.logger == nil {
		return
	}
	code := fmt.Sprint(status)
	if status == statusDropped {
		code = "dropped"
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.logger, "%s %s %s %s %s\n", time.Now().UTC().Format(time.RFC3339),
		sanitizeMethod(r.Method), r.URL.EscapedPath(), code, took.Round(time.Microsecond))
}

func sanitizeMethod(m string) string {
	for i := 0; i < len(m); i++ {
		if m[i] <= ' ' || m[i] >= 0x7f {
			return "?"
		}
	}
	return m
}

// abortConnection closes the connection without an answer, as a crashed proxy would.
func abortConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
