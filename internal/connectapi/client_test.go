package connectapi_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/connectapi/connectapitest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

func ctx(t *testing.T) context.Context { return connectapitest.Context(t, 60*time.Second) }

func TestInstanceARNOf(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:connect:eu-west-2:123456789012:instance/abc/queue/q1": "arn:aws:connect:eu-west-2:123456789012:instance/abc",
		"arn:aws:connect:eu-west-2:123456789012:instance/abc":          "arn:aws:connect:eu-west-2:123456789012:instance/abc",
		"abc": "", "arn:aws:connect:eu-west-2:1:instance/": "",
	} {
		if got := connectapi.InstanceARNOf(in); got != want {
			t.Errorf("InstanceARNOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOldestContactAgeSeconds(t *testing.T) {
	if got := connectapi.OldestContactAgeSeconds(42000, false); got != 42 {
		t.Errorf("ungrouped 42000 ms = %v s", got)
	}
	if got := connectapi.OldestContactAgeSeconds(42, true); got != 42 {
		t.Errorf("grouped 42 s = %v s", got)
	}
}

func TestInstanceARNDerivedAndGiven(t *testing.T) {
	src := connectapitest.NewStatic(3, 2, 1)
	env := connectapitest.Start(t, src, api.Options{})
	want := fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", src.RegionName, src.Account, src.Instance)
	c := env.Client(connectapi.Options{})
	got, err := c.InstanceARN(ctx(t))
	if err != nil || got != want {
		t.Fatalf("derived %q, %v; want %q", got, err, want)
	}
	// an instance ARN as the instance id
	c = env.Client(connectapi.Options{InstanceID: want})
	if c.InstanceID != src.Instance {
		t.Fatalf("InstanceID %q", c.InstanceID)
	}
	if _, _, err := c.ListQueues(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.InstanceARN(ctx(t)); got != want {
		t.Fatalf("given %q", got)
	}
}

// TestEndpointFromEnvironment: the standard endpoint configuration
// (AWS_ENDPOINT_URL_CONNECT) reaches the simulator through the SDK's
// default configuration chain.
func TestEndpointFromEnvironment(t *testing.T) {
	src := connectapitest.NewStatic(3, 2, 1)
	env := connectapitest.Start(t, src, api.Options{})
	t.Setenv("AWS_ENDPOINT_URL_CONNECT", env.URL)
	t.Setenv("AWS_REGION", src.RegionName)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	cfg, err := config.LoadDefaultConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	c := connectapi.New(cfg, connectapi.Options{InstanceID: src.Instance})
	qs, _, err := c.ListQueues(ctx(t))
	if err != nil || len(qs) != 2 {
		t.Fatalf("%d queues, %v", len(qs), err)
	}
}

func sortedQueues(qs []connectreporting.QueueSnapshot) {
	sort.Slice(qs, func(i, j int) bool {
		if qs[i].QueueID != qs[j].QueueID {
			return qs[i].QueueID < qs[j].QueueID
		}
		return qs[i].Channel < qs[j].Channel
	})
}

// TestCurrentQueueSnapshotsComplete: 150 queues x 3 channels (more than
// one filter chunk and many pages), 30% of the calls throttled: every
// snapshot arrives with the source's values.
func TestCurrentQueueSnapshotsComplete(t *testing.T) {
	src := connectapitest.NewStatic(10, 150, 3)
	env := connectapitest.Start(t, src, api.Options{ThrottleRate: 0.3, Seed: 7})
	c := env.Client(connectapi.Options{})
	qs, _, err := c.ListQueues(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 150 {
		t.Fatalf("%d standard queues", len(qs))
	}
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	got, err := c.CurrentQueueSnapshots(ctx(t), ids)
	if err != nil {
		t.Fatal(err)
	}
	want := src.CurrentQueueMetrics()
	sortedQueues(got)
	sortedQueues(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d snapshots, want %d; first got %+v want %+v", len(got), len(want), got[0], want[0])
	}
	if env.Server.Throttled(api.OpGetCurrentMetricData) == 0 || c.Throttled() == 0 {
		t.Errorf("nothing throttled")
	}
	// 2 chunks (100 + 50 queues) x 3 channels: 300 + 150 results, 3 + 2 pages
	st := env.Server.Stats()[api.OpGetCurrentMetricData]
	if n := st.Requests - st.Throttled; n < 5 || n > 6 {
		t.Errorf("%d successful GetCurrentMetricData calls, want 5: %+v %+v", n, st, c.Limiter().Stats())
	}
}

// TestCurrentAgentSnapshotsComplete: 500 agents of which 250 logged in,
// 120 routing profiles (two filter chunks), 30% throttled.
func TestCurrentAgentSnapshotsComplete(t *testing.T) {
	src := connectapitest.NewStatic(500, 20, 120)
	env := connectapitest.Start(t, src, api.Options{ThrottleRate: 0.3, Seed: 8})
	c := env.Client(connectapi.Options{})
	rps, _, err := c.ListRoutingProfiles(ctx(t))
	if err != nil || len(rps) != 120 {
		t.Fatalf("%d routing profiles, %v", len(rps), err)
	}
	ids := make([]string, len(rps))
	for i, r := range rps {
		ids[i] = r.ID
	}
	got, err := c.CurrentAgentSnapshots(ctx(t), ids)
	if err != nil {
		t.Fatal(err)
	}
	truth := src.CurrentUserData()
	if len(got) != len(truth) || len(got) != 250 {
		t.Fatalf("%d agent snapshots, want %d", len(got), len(truth))
	}
	byID := map[string]connectreporting.AgentSnapshot{}
	for _, a := range got {
		byID[a.AgentID] = a
	}
	for _, d := range truth {
		a, ok := byID[d.UserID]
		if !ok {
			t.Fatalf("agent %s missing", d.UserID)
		}
		want := connectreporting.AgentSnapshot{AgentID: d.UserID, AgentARN: src.ARN("agent", d.UserID), StatusName: d.StatusName,
			StatusARN: d.StatusARN, StatusStartTimestamp: d.StatusStart, RoutingProfileID: d.RoutingProfileID, ContactCount: len(d.Contacts)}
		for _, ct := range d.Contacts {
			if want.ContactsByChannel == nil {
				want.ContactsByChannel = map[string]int{}
			}
			want.ContactsByChannel[ct.Channel]++
		}
		if !reflect.DeepEqual(a, want) {
			t.Fatalf("agent %s:\n got %+v\nwant %+v", d.UserID, a, want)
		}
	}
	// by agent id too: 500 ids in 5 chunks
	uids := make([]string, 0, 500)
	for _, u := range src.Users() {
		uids = append(uids, u.ID)
	}
	got2, err := c.CurrentAgentSnapshotsByAgent(ctx(t), uids)
	if err != nil || len(got2) != 250 {
		t.Fatalf("by agent: %d, %v", len(got2), err)
	}
}

// TestConfigurationReadsComplete: every Search past one page, 30%
// throttled, each answer equal to the source but for what the operation
// does not give (a user's email and LastModifiedTime).
func TestConfigurationReadsComplete(t *testing.T) {
	src := connectapitest.NewStatic(1250, 650, 120)
	env := connectapitest.Start(t, src, api.Options{ThrottleRate: 0.3, Seed: 9})
	c := env.Client(connectapi.Options{})
	users, err := c.SearchUsers(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wantUsers := src.Users()
	for i := range wantUsers {
		wantUsers[i].Email, wantUsers[i].LastModified = "", time.Time{}
	}
	checkSame(t, "users", users, wantUsers)
	qs, err := c.SearchQueues(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var std []connectreporting.Queue
	for _, q := range src.Queues() {
		if q.Type != "AGENT" {
			std = append(std, q)
		}
	}
	checkSame(t, "queues", qs, std)
	rps, err := c.SearchRoutingProfiles(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, "routing profiles", rps, src.RoutingProfiles())
	rpids := make([]string, len(rps))
	for i, r := range rps {
		rpids[i] = r.ID
	}
	rpq, err := c.RoutingProfileQueues(ctx(t), rpids)
	if err != nil {
		t.Fatal(err)
	}
	var all []connectreporting.RoutingProfileQueue
	for _, id := range rpids {
		all = append(all, rpq[id]...)
	}
	if want := src.RoutingProfileQueues(); len(all) != len(want) {
		t.Fatalf("%d routing profile queues, want %d", len(all), len(want))
	}
	groups, err := c.SearchHierarchyGroups(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, "hierarchy groups", groups, src.HierarchyGroups())
	levels, err := c.HierarchyLevels(ctx(t))
	if err != nil || !reflect.DeepEqual(levels, src.HierarchyLevels()) {
		t.Fatalf("levels %+v, %v", levels, err)
	}
	sts, err := c.SearchAgentStatuses(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wantSts := src.AgentStatuses()
	slices.SortFunc(wantSts, func(a, b connectreporting.AgentStatus) int { return strings.Compare(a.ID, b.ID) }) // Search answers in id order
	checkSame(t, "agent statuses", sts, wantSts)
	if c.Throttled() == 0 {
		t.Error("nothing throttled")
	}
	// every page full: 1250 users are 3 pages of 500, 650 queues 2
	for op, want := range map[string]int64{api.OpSearchUsers: 3, api.OpSearchQueues: 2, api.OpSearchRoutingProfiles: 1, api.OpSearchUserHierarchyGroups: 1} {
		if got := c.Limiter().Stats()[op].Succeeded; got != want {
			t.Errorf("%s: %d calls, want %d", op, got, want)
		}
	}
}

// checkSame compares got with want, both in id order.
func checkSame[T any](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s %d:\n got %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

func TestDescribeSkipsDeletedAndStopsOnError(t *testing.T) {
	src := connectapitest.NewStatic(5, 2, 2)
	env := connectapitest.Start(t, src, api.Options{})
	c := env.Client(connectapi.Options{})
	got, err := c.RoutingProfileQueues(ctx(t), []string{"rp-0000", "nope", "rp-0001"})
	if err != nil || len(got) != 2 {
		t.Fatalf("%v, %v", got, err)
	}
	// a cancelled context is an error, not an empty result
	cctx, cancel := context.WithCancel(ctx(t))
	cancel()
	if _, err := c.RoutingProfileQueues(cctx, []string{"rp-0000"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestDescribeUsers: DescribeUser gives each user's email and
// LastModifiedTime (30% of the calls throttled); a user that does not
// exist is left out.
func TestDescribeUsers(t *testing.T) {
	src := connectapitest.NewStatic(40, 2, 2)
	env := connectapitest.Start(t, src, api.Options{ThrottleRate: 0.3, Seed: 4})
	c := env.Client(connectapi.Options{})
	ids := []string{"gone"}
	want := map[string]connectreporting.UserDetail{}
	for _, u := range src.Users() {
		ids = append(ids, u.ID)
		want[u.ID] = connectreporting.UserDetail{UserID: u.ID, Email: u.Email, LastModified: connectapitest.Modified}
	}
	got, err := c.DescribeUsers(ctx(t), ids)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("DescribeUsers = %v, %v\nwant %v", got, err, want)
	}
	if n := c.Limiter().Stats()[api.OpDescribeUser].Succeeded; n != 40 || c.Throttled() == 0 {
		t.Errorf("%d DescribeUser calls answered, %d throttled attempts", n, c.Throttled())
	}
}

// TestLimiterWaitPastDeadline: a call the quota would start only after the
// context's deadline fails at once with an error that is
// context.DeadlineExceeded, so a caller with a time budget can tell it from
// a failure.
func TestLimiterWaitPastDeadline(t *testing.T) {
	l := connectapi.NewLimiter(map[string]connectapi.Quota{api.OpDescribeUser: {Rate: 0.5, Burst: 1}})
	c, cancel := context.WithTimeout(ctx(t), 500*time.Millisecond)
	defer cancel()
	if err := l.Wait(c, api.OpDescribeUser); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := l.Wait(c, api.OpDescribeUser)
	if !errors.Is(err, context.DeadlineExceeded) || c.Err() != nil || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("second wait: %v after %v (ctx %v)", err, time.Since(start), c.Err())
	}
}

// TestLimiterHoldsQuotaAcrossClients: two clients sharing one Limiter at
// the default quotas, against a server enforcing the same quotas, run
// concurrently: the arrival times never exceed a quota, and the server
// throttles (almost) nothing.
func TestLimiterHoldsQuotaAcrossClients(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~10s")
	}
	src := connectapitest.NewStatic(40, 300, 24)
	env := connectapitest.Start(t, src, api.Options{Quotas: true})
	lim := connectapi.NewLimiter(nil)
	c1 := env.Client(connectapi.Options{Limiter: lim})
	c2 := env.Client(connectapi.Options{Limiter: lim})
	qids := make([]string, 0, 300)
	for _, q := range src.Queues()[:300] {
		qids = append(qids, q.ID)
	}
	rpids := make([]string, 0, 24)
	for _, rp := range src.RoutingProfiles() {
		rpids = append(rpids, rp.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, c := range []*connectapi.Client{c1, c2} {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 2 {
				if _, err := c.CurrentQueueSnapshots(ctx(t), qids); err != nil { // 9 pages each
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := c.RoutingProfileQueues(ctx(t), rpids[:12]); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, op := range []string{api.OpGetCurrentMetricData, api.OpListRoutingProfileQueues} {
		times := env.Recorder.Times(op)
		q := lim.Quota(op)
		// a token costs at most one request in flight of network jitter
		if over := connectapitest.MaxOverQuota(times, q); over > 1 {
			t.Errorf("%s: %d requests exceed quota %+v by %.2f", op, len(times), q, over)
		}
		t.Logf("%s: %d requests, quota %+v, server throttled %d", op, len(times), q, env.Server.Throttled(op))
		if th := env.Server.Throttled(op); th > 2 {
			t.Errorf("%s: server throttled %d", op, th)
		}
	}
	if n := len(env.Recorder.Times(api.OpGetCurrentMetricData)); n < 36 {
		t.Errorf("only %d GetCurrentMetricData requests", n)
	}
}

// TestDelayPacesConfigCalls: Delay spaces configuration calls, not metric calls.
func TestDelayPacesConfigCalls(t *testing.T) {
	src := connectapitest.NewStatic(6, 2, 5)
	env := connectapitest.Start(t, src, api.Options{})
	c := env.Client(connectapi.Options{Delay: 100 * time.Millisecond})
	start := time.Now()
	if _, err := c.RoutingProfileQueues(ctx(t), []string{"rp-0000", "rp-0001", "rp-0002", "rp-0003", "rp-0004"}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Errorf("5 paced calls took %v", el)
	}
	start = time.Now()
	for range 5 {
		if _, err := c.CurrentQueueSnapshots(ctx(t), []string{"q-0000"}); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el > 300*time.Millisecond {
		t.Errorf("metric calls paced: %v", el)
	}
}

// TestThrottleExhaustsAttempts: with every call throttled the error is a
// throttle after MaxAttempts attempts.
func TestThrottleExhaustsAttempts(t *testing.T) {
	src := connectapitest.NewStatic(1, 1, 1)
	env := connectapitest.Start(t, src, api.Options{ThrottleRate: 1})
	c := env.Client(connectapi.Options{MaxAttempts: 3, MaxBackoff: time.Millisecond})
	_, _, err := c.ListUsers(ctx(t))
	if !connectapi.IsThrottle(err) {
		t.Fatalf("err %v", err)
	}
	if n := env.Server.Requests(api.OpListUsers); n != 3 {
		t.Errorf("%d attempts", n)
	}
	if c.Throttled() != 3 || c.Limiter().Stats()[api.OpListUsers].Throttled != 3 {
		t.Errorf("throttles counted %d", c.Throttled())
	}
}
