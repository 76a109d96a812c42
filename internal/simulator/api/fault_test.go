package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

func TestThrottledCallsSucceedThroughSDKRetries(t *testing.T) {
	src := newFixture(250, 150)
	srv := New(src, Options{ThrottleRate: 0.3, Seed: 42})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	c := testClient(t, url, 12)

	for round := 0; round < 10; round++ {
		p := connect.NewListUsersPaginator(c, &connect.ListUsersInput{InstanceId: aws.String(testInstance)})
		n := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			n += len(out.UserSummaryList)
		}
		if n != 250 {
			t.Fatalf("round %d: %d users", round, n)
		}
		_, err := c.GetCurrentMetricData(ctx(t), &connect.GetCurrentMetricDataInput{InstanceId: aws.String(testInstance),
			Filters:        &types.Filters{Queues: []string{queueID(1)}},
			CurrentMetrics: []types.CurrentMetric{{Name: types.CurrentMetricNameAgentsOnline, Unit: types.UnitCount}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	st := srv.Stats()
	users, gcmd := st[OpListUsers], st[OpGetCurrentMetricData]
	if users.Throttled == 0 || gcmd.Throttled == 0 {
		t.Fatalf("nothing throttled: %+v %+v", users, gcmd)
	}
	if users.Requests-users.Throttled != 30 || gcmd.Requests-gcmd.Throttled != 10 {
		t.Errorf("successful requests: %+v %+v", users, gcmd)
	}
	frac := float64(users.Throttled+gcmd.Throttled) / float64(users.Requests+gcmd.Requests)
	if frac < 0.15 || frac > 0.45 {
		t.Errorf("throttled fraction %.2f, want about 0.3", frac)
	}
}

func TestThrottleIsDeterministic(t *testing.T) {
	run := func() []int {
		srv := New(newFixture(1, 1), Options{ThrottleRate: 0.3, Seed: 7})
		var codes []int
		for i := 0; i < 50; i++ {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/users-summary/"+testInstance, nil))
			codes = append(codes, rec.Code)
			if rec.Code == http.StatusTooManyRequests && rec.Header().Get("X-Amzn-ErrorType") != ErrThrottling {
				t.Fatalf("429 without ThrottlingException: %v", rec.Header())
			}
		}
		return codes
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d vs %d", i, a[i], b[i])
		}
	}
}

func TestQuotas(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	srv := New(newFixture(3, 3), Options{Quotas: true, Clock: clock})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := testClient(t, hs.URL, 1) // no retries: see the throttling

	describe := func() error {
		_, err := c.DescribeQueue(ctx(t), &connect.DescribeQueueInput{InstanceId: aws.String(testInstance), QueueId: aws.String("q-001")})
		return err
	}
	current := func() error {
		_, err := c.GetCurrentMetricData(ctx(t), &connect.GetCurrentMetricDataInput{InstanceId: aws.String(testInstance),
			Filters:        &types.Filters{Queues: []string{queueID(1)}},
			CurrentMetrics: []types.CurrentMetric{{Name: types.CurrentMetricNameAgentsOnline, Unit: types.UnitCount}}})
		return err
	}
	describeUser := func() error {
		_, err := c.DescribeUser(ctx(t), &connect.DescribeUserInput{InstanceId: aws.String(testInstance), UserId: aws.String(userID(1))})
		return err
	}
	searchUsers := func() error {
		_, err := c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: aws.String(testInstance)})
		return err
	}
	// served counts the requests of op the server answered (not throttled).
	served := func(op string) int64 { st := srv.Stats()[op]; return st.Requests - st.Throttled }
	untilThrottled := func(t *testing.T, call func() error) {
		t.Helper()
		var te *types.ThrottlingException
		for i := 0; i < 50; i++ {
			if err := call(); errors.As(err, &te) {
				return
			}
		}
		t.Fatal("never throttled")
	}
	for _, tc := range []struct {
		name  string
		op    string
		call  func() error
		burst int64
		rate  int64
	}{
		{"DescribeQueue 2/s burst 5", OpDescribeQueue, describe, 5, 2},
		{"GetCurrentMetricData 5/s burst 8", OpGetCurrentMetricData, current, 8, 5},
		{"SearchUsers 2/s burst 5", OpSearchUsers, searchUsers, 5, 2},
		{"DescribeUser 2/s burst 5", OpDescribeUser, describeUser, 5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			untilThrottled(t, tc.call)
			if got := served(tc.op); got != tc.burst {
				t.Fatalf("served %d before throttling, want the burst %d", got, tc.burst)
			}
			advance(time.Second)
			untilThrottled(t, tc.call)
			if got := served(tc.op) - tc.burst; got != tc.rate {
				t.Fatalf("served %d a second later, want %d", got, tc.rate)
			}
		})
	}
	// other operations have their own buckets
	if _, err := c.ListUsers(ctx(t), &connect.ListUsersInput{InstanceId: aws.String(testInstance)}); err != nil {
		t.Fatal(err)
	}
}

func TestLatency(t *testing.T) {
	_, c := startServer(t, newFixture(1, 1), Options{Latency: 50 * time.Millisecond, LatencyJitter: 10 * time.Millisecond, Seed: 1})
	start := time.Now()
	if _, err := c.ListQueues(ctx(t), &connect.ListQueuesInput{InstanceId: aws.String(testInstance)}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered in %v", d)
	}
}

func TestUnknownOperation(t *testing.T) {
	srv := New(newFixture(1, 1), Options{})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/users/"+testInstance+"/u-000", nil))
	if rec.Code != http.StatusNotFound || rec.Header().Get("X-Amzn-ErrorType") != ErrUnknownOperation {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}
