package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/clock"
)

// Operation names, as the service model and the SDKs call them.
const (
	OpGetCurrentMetricData           = "GetCurrentMetricData"
	OpGetCurrentUserData             = "GetCurrentUserData"
	OpGetMetricData                  = "GetMetricData"
	OpGetMetricDataV2                = "GetMetricDataV2"
	OpListUsers                      = "ListUsers"
	OpDescribeUser                   = "DescribeUser"
	OpListUserHierarchyGroups        = "ListUserHierarchyGroups"
	OpDescribeUserHierarchyGroup     = "DescribeUserHierarchyGroup"
	OpDescribeUserHierarchyStructure = "DescribeUserHierarchyStructure"
	OpListRoutingProfiles            = "ListRoutingProfiles"
	OpListRoutingProfileQueues       = "ListRoutingProfileQueues"
	OpListQueues                     = "ListQueues"
	OpDescribeQueue                  = "DescribeQueue"
	OpListAgentStatuses              = "ListAgentStatuses"
	OpSearchUsers                    = "SearchUsers"
	OpSearchQueues                   = "SearchQueues"
	OpSearchRoutingProfiles          = "SearchRoutingProfiles"
	OpSearchUserHierarchyGroups      = "SearchUserHierarchyGroups"
	OpSearchAgentStatuses            = "SearchAgentStatuses"
)

// Operations lists every operation the server answers.
var Operations = []string{
	OpGetCurrentMetricData, OpGetCurrentUserData, OpGetMetricData, OpGetMetricDataV2,
	OpListUsers, OpDescribeUser, OpListUserHierarchyGroups, OpDescribeUserHierarchyGroup,
	OpDescribeUserHierarchyStructure, OpListRoutingProfiles, OpListRoutingProfileQueues,
	OpListQueues, OpDescribeQueue, OpListAgentStatuses,
	OpSearchUsers, OpSearchQueues, OpSearchRoutingProfiles, OpSearchUserHierarchyGroups, OpSearchAgentStatuses,
}

// Quota is a token bucket: Rate requests per second, bursts up to Burst.
type Quota struct {
	Rate  float64
	Burst int
}

// DefaultQuotas are Amazon Connect's default per-account request-rate
// quotas for the operations served: the metric APIs 5/s with a burst of 8,
// everything else 2/s with a burst of 5. The Search* operations have no
// published quota of their own, so they get the default (2/s, burst 5).
func DefaultQuotas() map[string]Quota {
	q := make(map[string]Quota, len(Operations))
	for _, op := range Operations {
		q[op] = Quota{Rate: 2, Burst: 5}
	}
	for _, op := range []string{OpGetCurrentMetricData, OpGetMetricData, OpGetMetricDataV2} {
		q[op] = Quota{Rate: 5, Burst: 8}
	}
	return q
}

// Options configures fault injection and limits. The zero value serves every
// request at once and never throttles.
type Options struct {
	// ThrottleRate is the fraction (0..1) of requests answered with HTTP 429
	// ThrottlingException before they are looked at, chosen by a random
	// sequence seeded with Seed: the same request order gives the same
	// throttled requests.
	ThrottleRate float64
	// Seed seeds throttling and latency jitter.
	Seed uint64

	// Quotas turns on per-operation request-rate quotas: a request above its
	// operation's token bucket is throttled like the real service does.
	// QuotaOverrides replaces DefaultQuotas per operation.
	Quotas         bool
	QuotaOverrides map[string]Quota

	// Latency delays every response; LatencyJitter adds a uniformly random
	// extra delay in [0, LatencyJitter).
	Latency       time.Duration
	LatencyJitter time.Duration

	// EndTimeSkew is how far in the future of Source.Now() a GetMetricDataV2
	// EndTime may lie (clocks of client and simulation differ slightly).
	// Zero means one minute; negative means none.
	EndTimeSkew time.Duration

	// Clock is the wall clock of the quotas' token buckets (time.Now when nil).
	Clock func() time.Time
}

// OpStats counts one operation's requests.
type OpStats struct {
	Requests  int64 // every request received, throttled ones included
	Throttled int64 // answered with ThrottlingException (injected or quota)
	Errors    int64 // answered with any other error
}

type opCounters struct {
	requests, throttled, errors atomic.Int64
}

// Server answers the Amazon Connect REST API from a Source. It is an
// http.Handler; Start serves it on a loopback port.
type Server struct {
	src  Source
	opts Options
	mux  *http.ServeMux

	counters map[string]*opCounters
	reqSeq   atomic.Uint64

	rngMu sync.Mutex
	rng   *rand.Rand

	buckets map[string]*bucket
	pages   pageCache

	lifeMu  sync.Mutex
	httpSrv *http.Server
}

// New returns a server answering from src.
func New(src Source, opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.EndTimeSkew == 0 {
		opts.EndTimeSkew = time.Minute
	}
	s := &Server{
		src:      src,
		opts:     opts,
		mux:      http.NewServeMux(),
		counters: make(map[string]*opCounters, len(Operations)),
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		pages:    pageCache{entries: map[uint64]*pageEntry{}},
	}
	for _, op := range Operations {
		s.counters[op] = &opCounters{}
	}
	if opts.Quotas {
		quotas := DefaultQuotas()
		for op, q := range opts.QuotaOverrides {
			quotas[op] = q
		}
		s.buckets = make(map[string]*bucket, len(quotas))
		now := opts.Clock()
		for op, q := range quotas {
			s.buckets[op] = newBucket(q, now)
		}
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.handle("POST /metrics/current/{InstanceId}", OpGetCurrentMetricData, s.getCurrentMetricData)
	s.handle("POST /metrics/userdata/{InstanceId}", OpGetCurrentUserData, s.getCurrentUserData)
	s.handle("POST /metrics/historical/{InstanceId}", OpGetMetricData, s.getMetricData)
	s.handle("POST /metrics/data", OpGetMetricDataV2, s.getMetricDataV2)
	s.handle("GET /users-summary/{InstanceId}", OpListUsers, s.listUsers)
	s.handle("GET /users/{InstanceId}/{UserId}", OpDescribeUser, s.describeUser)
	s.handle("GET /user-hierarchy-groups-summary/{InstanceId}", OpListUserHierarchyGroups, s.listUserHierarchyGroups)
	s.handle("GET /user-hierarchy-groups/{InstanceId}/{HierarchyGroupId}", OpDescribeUserHierarchyGroup, s.describeUserHierarchyGroup)
	s.handle("GET /user-hierarchy-structure/{InstanceId}", OpDescribeUserHierarchyStructure, s.describeUserHierarchyStructure)
	s.handle("GET /routing-profiles-summary/{InstanceId}", OpListRoutingProfiles, s.listRoutingProfiles)
	s.handle("GET /routing-profiles/{InstanceId}/{RoutingProfileId}/queues", OpListRoutingProfileQueues, s.listRoutingProfileQueues)
	s.handle("GET /queues-summary/{InstanceId}", OpListQueues, s.listQueues)
	s.handle("GET /queues/{InstanceId}/{QueueId}", OpDescribeQueue, s.describeQueue)
	s.handle("GET /agent-status/{InstanceId}", OpListAgentStatuses, s.listAgentStatuses)
	s.handle("POST /search-users", OpSearchUsers, s.searchUsers)
	s.handle("POST /search-queues", OpSearchQueues, s.searchQueues)
	s.handle("POST /search-routing-profiles", OpSearchRoutingProfiles, s.searchRoutingProfiles)
	s.handle("POST /search-user-hierarchy-groups", OpSearchUserHierarchyGroups, s.searchUserHierarchyGroups)
	s.handle("POST /search-agent-statuses", OpSearchAgentStatuses, s.searchAgentStatuses)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, s.requestID(), errorf(http.StatusNotFound, ErrUnknownOperation,
			"no operation for %s %s", r.Method, r.URL.Path))
	})
}

// request is what a handler sees of one call.
type request struct {
	r    *http.Request
	body []byte
}

func (q *request) path(name string) string { return q.r.PathValue(name) }

type handlerFunc func(q *request) (any, *apiError)

const maxBody = 4 << 20

func (s *Server) handle(pattern, op string, fn handlerFunc) {
	c := s.counters[op]
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		reqID := s.requestID()
		fail := func(e *apiError) {
			if e.Code == ErrThrottling {
				c.throttled.Add(1)
			} else {
				c.errors.Add(1)
			}
			writeError(w, reqID, e)
		}
		if err := s.delay(r.Context()); err != nil {
			return // client gone
		}
		if s.injectThrottle() {
			fail(throttled("Rate exceeded"))
			return
		}
		if b := s.buckets[op]; b != nil && !b.take(s.opts.Clock()) {
			fail(throttled("Rate exceeded"))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			fail(invalidRequest("could not read request body: %v", err))
			return
		}
		if len(body) > maxBody {
			fail(invalidRequest("request body too large"))
			return
		}
		out, e := fn(&request{r: r, body: body})
		if e != nil {
			fail(e)
			return
		}
		buf, merr := json.Marshal(out)
		if merr != nil {
			fail(errorf(http.StatusInternalServerError, ErrInternal, "encoding response: %v", merr))
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-RequestId", reqID)
		h.Set("Content-Length", strconv.Itoa(len(buf)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf)
	})
}

// ServeHTTP answers one Connect API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) requestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", n)
}

func (s *Server) injectThrottle() bool {
	if s.opts.ThrottleRate <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < s.opts.ThrottleRate
}

func (s *Server) delay(ctx context.Context) error {
	d := s.opts.Latency
	if s.opts.LatencyJitter > 0 {
		s.rngMu.Lock()
		d += time.Duration(s.rng.Int64N(int64(s.opts.LatencyJitter)))
		s.rngMu.Unlock()
	}
	if d <= 0 {
		return nil
	}
	return clock.Sleep(ctx, d)
}

// Stats returns the request counters of every operation.
func (s *Server) Stats() map[string]OpStats {
	m := make(map[string]OpStats, len(s.counters))
	for op, c := range s.counters {
		m[op] = OpStats{Requests: c.requests.Load(), Throttled: c.throttled.Load(), Errors: c.errors.Load()}
	}
	return m
}

// Requests is the number of requests op has received (throttled ones included).
func (s *Server) Requests(op string) int64 {
	if c := s.counters[op]; c != nil {
		return c.requests.Load()
	}
	return 0
}

// Throttled is the number of requests of op answered with ThrottlingException.
func (s *Server) Throttled(op string) int64 {
	if c := s.counters[op]; c != nil {
		return c.throttled.Load()
	}
	return 0
}

// ResetStats sets every counter back to zero.
func (s *Server) ResetStats() {
	for _, c := range s.counters {
		c.requests.Store(0)
		c.throttled.Store(0)
		c.errors.Store(0)
	}
}

// Start serves s on a new loopback listener (127.0.0.1, a free port) and
// returns its base URL, e.g. "http://127.0.0.1:41234", to use as the SDK's
// BaseEndpoint. Close stops it.
func (s *Server) Start() (string, error) { return s.ListenAndServe("127.0.0.1:0") }

// ListenAndServe serves s on addr in the background and returns the base URL.
func (s *Server) ListenAndServe(addr string) (string, error) {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("api: server already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.httpSrv = hs
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops a server started with Start or ListenAndServe.
func (s *Server) Close() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.httpSrv == nil {
		return nil
	}
	err := s.httpSrv.Close()
	s.httpSrv = nil
	return err
}

// ---- instance and ARNs ----

func (s *Server) instanceARN() string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", s.src.Region(), s.src.AccountID(), s.src.InstanceID())
}

// checkInstance accepts the instance id or the instance ARN.
func (s *Server) checkInstance(id string) *apiError {
	if id == "" {
		return invalidParam("InstanceId is required")
	}
	if id == s.src.InstanceID() || id == s.instanceARN() {
		return nil
	}
	return notFound("Instance not found: %s", id)
}

// arn returns given when set, otherwise the ARN Connect would give a
// resource of kind ("queue", "agent", "routing-profile", ...) and id.
func (s *Server) arn(given, kind, id string) string {
	if given != "" {
		return given
	}
	return s.instanceARN() + "/" + kind + "/" + id
}

func (s *Server) region() string { return s.src.Region() }

// idOf accepts an id or an ARN of a resource and returns the id.
func idOf(v string) string {
	if strings.HasPrefix(v, "arn:") {
		return connectreporting.IDFromARN(v)
	}
	return v
}

// modified is a resource's modification time (none when zero) in the
// instance's region.
func (s *Server) modified(t time.Time) modified {
	return modified{LastModifiedTime: ts(t), LastModifiedRegion: s.region()}
}
