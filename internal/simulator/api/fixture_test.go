package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

const (
	testInstance = "11111111-2222-3333-4444-555555555555"
	testRegion   = "eu-west-2"
	testAccount  = "123456789012"
)

// staticSource is a small, fixed contact centre for the tests.
type staticSource struct {
	now      time.Time
	users    []connectreporting.User
	levels   []connectreporting.HierarchyLevel
	groups   []connectreporting.HierarchyGroup
	rps      []connectreporting.RoutingProfile
	rpqs     []connectreporting.RoutingProfileQueue
	queues   []connectreporting.Queue
	statuses []connectreporting.AgentStatus
	snaps    []connectreporting.QueueSnapshot
	userData []UserData
	facts    []ContactFact
}

func (s *staticSource) InstanceID() string                                 { return testInstance }
func (s *staticSource) Region() string                                     { return testRegion }
func (s *staticSource) AccountID() string                                  { return testAccount }
func (s *staticSource) Now() time.Time                                     { return s.now }
func (s *staticSource) Users() []connectreporting.User                     { return s.users }
func (s *staticSource) HierarchyLevels() []connectreporting.HierarchyLevel { return s.levels }
func (s *staticSource) HierarchyGroups() []connectreporting.HierarchyGroup { return s.groups }
func (s *staticSource) RoutingProfiles() []connectreporting.RoutingProfile { return s.rps }
func (s *staticSource) RoutingProfileQueues() []connectreporting.RoutingProfileQueue {
	return s.rpqs
}
func (s *staticSource) Queues() []connectreporting.Queue                      { return s.queues }
func (s *staticSource) AgentStatuses() []connectreporting.AgentStatus         { return s.statuses }
func (s *staticSource) CurrentQueueMetrics() []connectreporting.QueueSnapshot { return s.snaps }
func (s *staticSource) CurrentUserData() []UserData                           { return s.userData }
func (s *staticSource) ContactFacts(start, end time.Time) []ContactFact {
	var out []ContactFact
	for _, f := range s.facts {
		if !f.Initiation.Before(start) && f.Initiation.Before(end) {
			out = append(out, f)
		}
	}
	return out
}

func fp(v float64) *float64 { return &v }

func queueID(i int) string { return fmt.Sprintf("q-%03d", i) }
func userID(i int) string  { return fmt.Sprintf("u-%03d", i) }

func arnOf(kind, id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/%s/%s", testRegion, testAccount, testInstance, kind, id)
}

// newFixture builds nUsers users, nQueues standard queues (plus two agent
// queues), three routing profiles (rp-i serves the queues whose index mod 3
// is i, on VOICE and CHAT), a two-level hierarchy and four agent statuses.
func newFixture(nUsers, nQueues int) *staticSource {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	s := &staticSource{now: now}
	s.levels = []connectreporting.HierarchyLevel{
		{ID: "lvl-1", ARN: arnOf("agent-group-level", "lvl-1"), Name: "Region", Level: 1},
		{ID: "lvl-2", ARN: arnOf("agent-group-level", "lvl-2"), Name: "Team", Level: 2},
	}
	s.groups = []connectreporting.HierarchyGroup{
		{ID: "g-eu", ARN: arnOf("agent-group", "g-eu"), Name: "Europe", LevelID: "1", Path: []string{"g-eu"}},
		{ID: "g-eu-a", ARN: arnOf("agent-group", "g-eu-a"), Name: "Team A", LevelID: "2", Path: []string{"g-eu", "g-eu-a"}},
		{ID: "g-eu-b", ARN: arnOf("agent-group", "g-eu-b"), Name: "Team B", LevelID: "2", Path: []string{"g-eu", "g-eu-b"}},
	}
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("rp-%d", i)
		s.rps = append(s.rps, connectreporting.RoutingProfile{ID: id, ARN: arnOf("routing-profile", id), Name: "Profile " + id,
			Concurrency: map[string]int{"VOICE": 1, "CHAT": 2}})
	}
	for i := 0; i < nQueues; i++ {
		id := queueID(i)
		s.queues = append(s.queues, connectreporting.Queue{ID: id, ARN: arnOf("queue", id), Name: "Queue " + id, Type: "STANDARD",
			Status: "ENABLED", MaxContacts: ptr(10 + i), HoursOfOperationID: "hoo-1", Description: "queue " + id})
		for _, ch := range []string{"VOICE", "CHAT"} {
			s.rpqs = append(s.rpqs, connectreporting.RoutingProfileQueue{RoutingProfileID: fmt.Sprintf("rp-%d", i%3), QueueID: id, Channel: ch, Priority: 1 + i%5, Delay: i % 7})
			s.snaps = append(s.snaps, connectreporting.QueueSnapshot{
				SnapshotTime: now, QueueID: id, QueueARN: arnOf("queue", id), Channel: ch,
				AgentsOnline: fp(float64(i%4 + 1)), AgentsAvailable: fp(1), AgentsOnContact: fp(float64(i % 3)), AgentsOnCall: fp(float64(i % 3)),
				AgentsAfterContactWork: fp(0), AgentsNonProductive: fp(0), AgentsError: fp(0), AgentsStaffed: fp(float64(i%4 + 1)),
				ContactsInQueue: fp(float64(i % 5)), ContactsScheduled: fp(0), OldestContactAgeSeconds: fp(float64(i%5) * 10),
				SlotsActive: fp(float64(i % 3)), SlotsAvailable: fp(2),
			})
		}
	}
	for i := 0; i < 2; i++ {
		id := fmt.Sprintf("aq-%d", i)
		s.queues = append(s.queues, connectreporting.Queue{ID: id, ARN: arnOf("queue", id), Name: "agent " + id, Type: "AGENT", Status: "ENABLED"})
	}
	s.statuses = []connectreporting.AgentStatus{
		{ID: "st-avail", ARN: arnOf("agent-state", "st-avail"), Name: "Available", Type: "ROUTABLE", State: "ENABLED", DisplayOrder: 1},
		{ID: "st-off", ARN: arnOf("agent-state", "st-off"), Name: "Offline", Type: "OFFLINE", State: "ENABLED", DisplayOrder: 2},
		{ID: "st-lunch", ARN: arnOf("agent-state", "st-lunch"), Name: "Lunch", Type: "CUSTOM", State: "ENABLED", DisplayOrder: 3},
		{ID: "st-train", ARN: arnOf("agent-state", "st-train"), Name: "Training", Type: "CUSTOM", State: "ENABLED", DisplayOrder: 4},
	}
	for i := 0; i < nUsers; i++ {
		id := userID(i)
		g := "g-eu-a"
		if i%2 == 1 {
			g = "g-eu-b"
		}
		s.users = append(s.users, connectreporting.User{ID: id, ARN: arnOf("agent", id), Username: "agent" + id,
			FirstName: "First" + id, LastName: "Last" + id, Email: id + "@example.com",
			RoutingProfileID: fmt.Sprintf("rp-%d", i%3), HierarchyGroupID: g, SecurityProfileIDs: []string{"sp-agent"},
			PhoneType: "SOFT_PHONE", AutoAccept: i%2 == 0, AfterContactWorkTimeLimit: 30})
	}
	// the first ten users are logged in; even ones hold a voice contact
	for i := 0; i < 10 && i < nUsers; i++ {
		d := UserData{UserID: userID(i), RoutingProfileID: fmt.Sprintf("rp-%d", i%3), HierarchyGroupID: s.users[i].HierarchyGroupID,
			StatusName: "Available", StatusARN: arnOf("agent-state", "st-avail"), StatusStart: now.Add(-time.Duration(i) * time.Minute),
			MaxSlots: map[string]int{"VOICE": 1, "CHAT": 2}, ActiveSlots: map[string]int{"VOICE": 0, "CHAT": 0}, AvailableSlots: map[string]int{"VOICE": 1, "CHAT": 2}}
		if i%2 == 0 {
			d.ActiveSlots["VOICE"], d.AvailableSlots["VOICE"] = 1, 0
			d.NextStatus = "Lunch"
			d.Contacts = []connectreporting.AgentContact{{ContactID: fmt.Sprintf("c-%d", i), InitialContactID: fmt.Sprintf("c-%d", i),
				Channel: "VOICE", InitiationMethod: "INBOUND", State: "CONNECTED", StateStartTimestamp: now.Add(-30 * time.Second),
				ConnectedToAgentTimestamp: now.Add(-30 * time.Second), QueueID: queueID(i), QueueARN: arnOf("queue", queueID(i))}}
		}
		s.userData = append(s.userData, d)
	}
	return s
}

// testClient is the real SDK client against srv, retrying like a patient
// production client but without the long default back-off.
func testClient(t testing.TB, url string, maxAttempts int) *connect.Client {
	t.Helper()
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			})
		},
	}
	cfg.HTTPClient = &http.Client{Transport: quietBodyClose{http.DefaultTransport.(*http.Transport).Clone()}}
	return connect.NewFromConfig(cfg, func(o *connect.Options) { o.BaseEndpoint = aws.String(url) })
}

// quietBodyClose works around a client-side race of aws-sdk-go-v2 with
// net/http (aws-sdk-go-v2#1825, #2737): when closing the SDK's request body
// returns an error after the body was sent, the transport's write loop
// closes the connection while the read loop is still reading a response
// larger than its buffer, and the call fails with "use of closed network
// connection" (then retries). The server has answered by then; only the
// client loses the answer. Request bodies here are closed quietly.
type quietBodyClose struct{ base http.RoundTripper }

type quietCloser struct{ io.Reader }

func (quietCloser) Close() error { return nil }

func (q quietBodyClose) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		r := *req
		r.Body = quietCloser{req.Body}
		req = &r
	}
	return q.base.RoundTrip(req)
}

// startServer serves a server for src on httptest and returns it with a client.
func startServer(t testing.TB, src Source, opts Options) (*Server, *connect.Client) {
	t.Helper()
	srv := New(src, opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, testClient(t, hs.URL, 3)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
