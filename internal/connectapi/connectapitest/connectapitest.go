// Package connectapitest runs the real Connect SDK client of package
// connectapi against the simulated Connect API (internal/simulator/api) on a
// loopback server, for the tests of connectapi and of the pollers. It also
// offers Static, a mutable api.Source of any size, and a Recorder of the
// requests the server received.
package connectapitest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// Env is a simulated Connect API on loopback.
type Env struct {
	Server   *api.Server
	URL      string
	Recorder *Recorder
	Source   api.Source
}

// Start serves src with opts on an httptest server closed when t ends.
func Start(t testing.TB, src api.Source, opts api.Options) *Env {
	t.Helper()
	return StartWrapped(t, src, opts, nil)
}

// StartWrapped is Start with the server's handler wrapped by wrap (a test's
// own request recorder), when not nil.
func StartWrapped(t testing.TB, src api.Source, opts api.Options, wrap func(http.Handler) http.Handler) *Env {
	t.Helper()
	srv := api.New(src, opts)
	rec := &Recorder{}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(h)
	}
	hs := httptest.NewServer(rec.Wrap(h))
	t.Cleanup(hs.Close)
	return &Env{Server: srv, URL: hs.URL, Recorder: rec, Source: src}
}

// AWSConfig is an SDK configuration with static test credentials.
func AWSConfig(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
	}
}

// FastLimiter is a Limiter that lets tests run fast (1000/s for everything).
func FastLimiter() *connectapi.Limiter {
	fast := connectapi.Quota{Rate: 1000, Burst: 100}
	return connectapi.NewLimiter(map[string]connectapi.Quota{
		"*": fast, connectapi.OpGetCurrentMetricData: fast, connectapi.OpGetMetricData: fast, connectapi.OpGetMetricDataV2: fast,
	})
}

// Client returns a connectapi.Client on the env through BaseEndpoint.
// opts.InstanceID defaults to the source's; a zero MaxBackoff becomes 50ms,
// a zero MaxAttempts 20 and a nil Limiter FastLimiter().
func (e *Env) Client(opts connectapi.Options) *connectapi.Client {
	if opts.InstanceID == "" {
		opts.InstanceID = e.Source.InstanceID()
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 50 * time.Millisecond
	}
	if opts.Limiter == nil {
		opts.Limiter = FastLimiter()
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 20 // 30% injected throttling: 0.3^20 never happens
	}
	if opts.Endpoint == "" {
		opts.Endpoint = e.URL
	}
	return connectapi.New(AWSConfig(e.Source.Region()), opts)
}

// Recorder records the time and operation of every request.
type Recorder struct {
	mu    sync.Mutex
	times map[string][]time.Time
}

// Wrap returns h recording its requests.
func (r *Recorder) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		op := Operation(req.Method, req.URL.Path)
		r.mu.Lock()
		if r.times == nil {
			r.times = map[string][]time.Time{}
		}
		r.times[op] = append(r.times[op], time.Now())
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	})
}

// Times returns the arrival times of op's requests, in order.
func (r *Recorder) Times(op string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]time.Time(nil), r.times[op]...)
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// Ops lists the operations seen.
func (r *Recorder) Ops() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for op := range r.times {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// Reset forgets every request.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.times = nil
	r.mu.Unlock()
}

// MaxOverQuota returns the largest excess of requests over what a token
// bucket of quota q allows in any window of times: for every i <= j the
// count j-i+1 against Burst + Rate*(t_j - t_i). Zero means the quota held.
func MaxOverQuota(times []time.Time, q connectapi.Quota) float64 {
	worst := 0.0
	for i := range times {
		for j := i; j < len(times); j++ {
			allowed := float64(q.Burst) + q.Rate*times[j].Sub(times[i]).Seconds()
			if over := float64(j-i+1) - allowed; over > worst {
				worst = over
			}
		}
	}
	return worst
}

// Operation names the Connect operation of a request path.
func Operation(method, path string) string {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case strings.HasPrefix(path, "/metrics/current/"):
		return api.OpGetCurrentMetricData
	case strings.HasPrefix(path, "/metrics/userdata/"):
		return api.OpGetCurrentUserData
	case strings.HasPrefix(path, "/metrics/historical/"):
		return api.OpGetMetricData
	case path == "/metrics/data":
		return api.OpGetMetricDataV2
	case seg[0] == "users-summary":
		return api.OpListUsers
	case seg[0] == "users":
		return api.OpDescribeUser
	case seg[0] == "user-hierarchy-groups-summary":
		return api.OpListUserHierarchyGroups
	case seg[0] == "user-hierarchy-groups":
		return api.OpDescribeUserHierarchyGroup
	case seg[0] == "user-hierarchy-structure":
		return api.OpDescribeUserHierarchyStructure
	case seg[0] == "routing-profiles-summary":
		return api.OpListRoutingProfiles
	case seg[0] == "routing-profiles" && len(seg) == 4 && seg[3] == "queues":
		return api.OpListRoutingProfileQueues
	case seg[0] == "queues-summary":
		return api.OpListQueues
	case seg[0] == "queues":
		return api.OpDescribeQueue
	case seg[0] == "agent-status":
		return api.OpListAgentStatuses
	}
	if op, ok := searchOps[path]; ok {
		return op
	}
	return method + " " + path
}

var searchOps = map[string]string{
	"/search-users": api.OpSearchUsers, "/search-queues": api.OpSearchQueues, "/search-routing-profiles": api.OpSearchRoutingProfiles,
	"/search-user-hierarchy-groups": api.OpSearchUserHierarchyGroups, "/search-agent-statuses": api.OpSearchAgentStatuses,
}

// ---- Static source ----

// Static is a static, mutable api.Source. Lock Mu around changes while a
// server reads it.
type Static struct {
	Mu sync.RWMutex

	Instance, RegionName, Account string
	Clock                         time.Time

	UserList     []connectreporting.User
	Levels       []connectreporting.HierarchyLevel
	Groups       []connectreporting.HierarchyGroup
	RPs          []connectreporting.RoutingProfile
	RPQs         []connectreporting.RoutingProfileQueue
	QueueList    []connectreporting.Queue
	Statuses     []connectreporting.AgentStatus
	Snaps        []connectreporting.QueueSnapshot
	UserDataList []api.UserData
}

var _ api.Source = (*Static)(nil)

func (s *Static) InstanceID() string { return s.Instance }
func (s *Static) Region() string     { return s.RegionName }
func (s *Static) AccountID() string  { return s.Account }
func (s *Static) Now() time.Time     { s.Mu.RLock(); defer s.Mu.RUnlock(); return s.Clock }

func (s *Static) Users() []connectreporting.User {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]connectreporting.User(nil), s.UserList...)
}

// User finds one user (api.UserFinder: DescribeUser without copying every user).
func (s *Static) User(id string) (connectreporting.User, bool) {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	for _, u := range s.UserList {
		if u.ID == id {
			u.SecurityProfileIDs = append([]string(nil), u.SecurityProfileIDs...)
			return u, true
		}
	}
	return connectreporting.User{}, false
}

func (s *Static) HierarchyLevels() []connectreporting.HierarchyLevel {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]connectreporting.HierarchyLevel(nil), s.Levels...)
}
func (s *Static) HierarchyGroups() []connectreporting.HierarchyGroup {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]connectreporting.HierarchyGroup(nil), s.Groups...)
}
func (s *Static) RoutingProfiles() []connectreporting.RoutingProfile {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]connectreporting.RoutingProfile(nil), s.RPs...)
}
func (s *Static) RoutingProfileQueues() []connectreporting.RoutingProfileQueue {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]connectreporting.RoutingProfileQueue(nil), s.RPQs...)
}
func (s *Static) Queues() []connectreporting.Queue {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]connectreporting.Queue(nil), s.QueueList...)
}
func (s *Static) AgentStatuses() []connectreporting.AgentStatus {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]connectreporting.AgentStatus(nil), s.Statuses...)
}
func (s *Static) CurrentQueueMetrics() []connectreporting.QueueSnapshot {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]connectreporting.QueueSnapshot(nil), s.Snaps...)
}
func (s *Static) CurrentUserData() []api.UserData {
	s.Mu.RLock()
	defer s.Mu.RUnlock()
	return append([]api.UserData(nil), s.UserDataList...)
}
func (s *Static) ContactFacts(start, end time.Time) []api.ContactFact { return nil }

// ARN returns the ARN of a resource of kind and id in the instance.
func (s *Static) ARN(kind, id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/%s/%s", s.RegionName, s.Account, s.Instance, kind, id)
}

func fp(v float64) *float64 { return &v }

// NewStatic builds an instance of users agents (every second one logged
// in, with a contact every third), queues STANDARD queues (plus two AGENT
// queues), rps routing profiles (profile i serves the queues j with
// j%rps == i on VOICE, CHAT and TASK, and agent k has profile k%rps), a
// three-level hierarchy and four agent statuses. Every queue has a snapshot
// per channel with distinct values. Every resource was last modified
// Modified, two days before the clock.
func NewStatic(users, queues, rps int) *Static {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	s := &Static{Instance: "11111111-2222-3333-4444-555555555555", RegionName: "eu-west-2", Account: "123456789012", Clock: now}
	leaves := s.addHierarchy()
	s.Statuses = []connectreporting.AgentStatus{
		{ID: "st-avail", ARN: s.ARN("agent-state", "st-avail"), Name: "Available", Type: "ROUTABLE", State: "ENABLED", DisplayOrder: 1},
		{ID: "st-off", ARN: s.ARN("agent-state", "st-off"), Name: "Offline", Type: "OFFLINE", State: "ENABLED", DisplayOrder: 2},
		{ID: "st-lunch", ARN: s.ARN("agent-state", "st-lunch"), Name: "Lunch", Type: "CUSTOM", State: "ENABLED", DisplayOrder: 3},
		{ID: "st-break", ARN: s.ARN("agent-state", "st-break"), Name: "Break", Type: "CUSTOM", State: "ENABLED", DisplayOrder: 4},
	}
	for i := 0; i < rps; i++ {
		id := fmt.Sprintf("rp-%04d", i)
		s.RPs = append(s.RPs, connectreporting.RoutingProfile{ID: id, ARN: s.ARN("routing-profile", id), Name: "Profile " + id,
			Description: "profile " + id, Concurrency: map[string]int{"VOICE": 1, "CHAT": 2 + i%2, "TASK": 1}})
	}
	s.addQueues(queues, rps)
	for i := 0; i < users; i++ {
		s.addUser(i, queues, rps, leaves)
	}
	(&connectreporting.Configuration{Users: s.UserList, HierarchyGroups: s.Groups, RoutingProfiles: s.RPs,
		Queues: s.QueueList, AgentStatuses: s.Statuses}).SetLastModified(Modified)
	return s
}

// addHierarchy adds three levels (2 regions, 2 sites each, 3 teams each)
// and returns the teams' ids.
func (s *Static) addHierarchy() (leaves []string) {
	s.Levels = []connectreporting.HierarchyLevel{
		{ID: "lvl-1", ARN: s.ARN("agent-group-level", "lvl-1"), Name: "Region", Level: 1},
		{ID: "lvl-2", ARN: s.ARN("agent-group-level", "lvl-2"), Name: "Site", Level: 2},
		{ID: "lvl-3", ARN: s.ARN("agent-group-level", "lvl-3"), Name: "Team", Level: 3},
	}
	for r := 0; r < 2; r++ {
		rid := fmt.Sprintf("g-%d", r)
		s.Groups = append(s.Groups, connectreporting.HierarchyGroup{ID: rid, ARN: s.ARN("agent-group", rid), Name: "Region " + rid, LevelID: "1", Path: []string{rid}})
		for st := 0; st < 2; st++ {
			sid := fmt.Sprintf("%s-%d", rid, st)
			s.Groups = append(s.Groups, connectreporting.HierarchyGroup{ID: sid, ARN: s.ARN("agent-group", sid), Name: "Site " + sid, LevelID: "2", Path: []string{rid, sid}})
			for tm := 0; tm < 3; tm++ {
				tid := fmt.Sprintf("%s-%d", sid, tm)
				s.Groups = append(s.Groups, connectreporting.HierarchyGroup{ID: tid, ARN: s.ARN("agent-group", tid), Name: "Team " + tid, LevelID: "3", Path: []string{rid, sid, tid}})
				leaves = append(leaves, tid)
			}
		}
	}
	return leaves
}

// addQueues adds the standard queues, with their routing-profile queues
// and one snapshot a channel, then two agent queues.
func (s *Static) addQueues(queues, rps int) {
	chans := []string{"VOICE", "CHAT", "TASK"}
	for i := 0; i < queues; i++ {
		id := fmt.Sprintf("q-%04d", i)
		s.QueueList = append(s.QueueList, connectreporting.Queue{ID: id, ARN: s.ARN("queue", id), Name: "Queue " + id, Type: "STANDARD",
			Status: "ENABLED", MaxContacts: func(n int) *int { return &n }(10 + i), HoursOfOperationID: "hoo-1", Description: "queue " + id})
		for c, ch := range chans {
			if rps > 0 {
				s.RPQs = append(s.RPQs, connectreporting.RoutingProfileQueue{RoutingProfileID: s.RPs[i%rps].ID, QueueID: id, Channel: ch, Priority: 1 + i%5, Delay: i % 7})
			}
			v := float64(i*3 + c)
			s.Snaps = append(s.Snaps, connectreporting.QueueSnapshot{
				SnapshotTime: s.Clock, QueueID: id, QueueARN: s.ARN("queue", id), Channel: ch,
				AgentsOnline: fp(v), AgentsAvailable: fp(v + 1), AgentsOnContact: fp(v + 2), AgentsOnCall: fp(v + 3),
				AgentsAfterContactWork: fp(v + 4), AgentsNonProductive: fp(v + 5), AgentsError: fp(v + 6), AgentsStaffed: fp(v + 7),
				ContactsInQueue: fp(v + 8), ContactsScheduled: fp(v + 9), OldestContactAgeSeconds: fp(v + 10),
				SlotsActive: fp(v + 11), SlotsAvailable: fp(v + 12),
			})
		}
	}
	for i := 0; i < 2; i++ {
		id := fmt.Sprintf("aq-%d", i)
		s.QueueList = append(s.QueueList, connectreporting.Queue{ID: id, ARN: s.ARN("queue", id), Name: "agent " + id, Type: "AGENT", Status: "ENABLED"})
	}
}

// addUser adds user i and, for every other user when there are routing
// profiles, its current user data.
func (s *Static) addUser(i, queues, rps int, leaves []string) {
	now := s.Clock
	id := fmt.Sprintf("u-%05d", i)
	u := connectreporting.User{ID: id, ARN: s.ARN("agent", id), Username: "agent" + id,
		FirstName: "First" + id, LastName: "Last" + id, Email: id + "@example.com",
		HierarchyGroupID: leaves[i%len(leaves)], SecurityProfileIDs: []string{"sp-agent"},
		PhoneType: "SOFT_PHONE", AutoAccept: i%2 == 0, AfterContactWorkTimeLimit: 30}
	if rps > 0 {
		u.RoutingProfileID = s.RPs[i%rps].ID
	}
	s.UserList = append(s.UserList, u)
	if i%2 == 1 || rps == 0 {
		return
	}
	st := s.Statuses[(i/2)%len(s.Statuses)]
	d := api.UserData{UserID: id, RoutingProfileID: u.RoutingProfileID, HierarchyGroupID: u.HierarchyGroupID,
		StatusName: st.Name, StatusARN: st.ARN, StatusStart: now.Add(-time.Duration(i) * time.Second),
		MaxSlots: map[string]int{"VOICE": 1, "CHAT": 2, "TASK": 1}, ActiveSlots: map[string]int{"VOICE": 0, "CHAT": 0, "TASK": 0},
		AvailableSlots: map[string]int{"VOICE": 1, "CHAT": 2, "TASK": 1}}
	if i%3 == 0 && queues > 0 {
		q := s.QueueList[i%queues]
		for k, ch := range []string{"VOICE", "CHAT"}[:1+(i/2)%2] {
			d.Contacts = append(d.Contacts, connectreporting.AgentContact{ContactID: fmt.Sprintf("c-%d-%d", i, k), Channel: ch,
				InitiationMethod: "INBOUND", State: "CONNECTED", StateStartTimestamp: now.Add(-30 * time.Second),
				ConnectedToAgentTimestamp: now.Add(-30 * time.Second), QueueID: q.ID, QueueARN: q.ARN})
		}
	}
	s.UserDataList = append(s.UserDataList, d)
}

// Modified is when NewStatic's resources were last modified.
var Modified = time.Date(2025, 3, 8, 12, 0, 0, 0, time.UTC)

// Context returns a context ending after d or with t.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
