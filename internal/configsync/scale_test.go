package configsync_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/configsync"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/connectapi/connectapitest"
	"github.com/connect-reporting/connect-reporting/internal/polltest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// calls returns the operations a client completed since before (one per
// answered call, however many attempts it took).
func calls(c *connectapi.Client, before map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for op, st := range c.Limiter().Stats() {
		if n := st.Succeeded - before[op]; n > 0 {
			out[op] = n
		}
	}
	return out
}

func succeeded(c *connectapi.Client) map[string]int64 { return calls(c, nil) }

// timeAtQuota is the least time the calls take at the quotas of l: each
// operation has its own token bucket, so the slowest one decides. A
// bucket starts full (Burst calls at once), then refills at Rate a second.
func timeAtQuota(l *connectapi.Limiter, calls map[string]int64) time.Duration {
	var worst float64
	for op, n := range calls {
		q := l.Quota(op)
		worst = math.Max(worst, float64(n-int64(q.Burst))/q.Rate)
	}
	return time.Duration(worst * float64(time.Second))
}

func sameCalls(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: API calls\n got %v\nwant %v", what, got, want)
	}
}

// TestCallCountsAtScale: a first sync of 10,000 users, 1,000 queues and
// 200 routing profiles makes exactly these calls, and a re-sync with
// nothing changed the same but no ListRoutingProfileQueues. At Connect's
// default quotas (2/s, burst 5 for every one of these operations) that is
// at least 97.5 s for the first sync (200 ListRoutingProfileQueues) and
// 7.5 s for the re-sync (20 SearchUsers pages): within the 3-minute and
// 1-minute targets.
func TestCallCountsAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 users")
	}
	src := connectapitest.NewStatic(10000, 1000, 200)
	env := connectapitest.Start(t, src, api.Options{})
	c := env.Client(connectapi.Options{})
	st := polltest.OpenStore(t, "sqlite")
	s := &configsync.Syncer{API: c, Store: st}
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := succeeded(c)
	sameCalls(t, "first sync", first, map[string]int64{
		api.OpSearchUsers: 20, api.OpSearchQueues: 2, api.OpSearchRoutingProfiles: 1, api.OpSearchUserHierarchyGroups: 1,
		api.OpSearchAgentStatuses: 1, api.OpDescribeUserHierarchyStructure: 1, api.OpListRoutingProfileQueues: 200,
	})
	for table, want := range map[string]int{"connect_user": 10000, "queue": 1000, "routing_profile": 200, "routing_profile_queue": 3000} {
		if n := count(t, st.DB(), "SELECT COUNT(*) FROM "+table+" WHERE valid_to IS NULL"); n != want {
			t.Errorf("%s: %d current rows, want %d", table, n, want)
		}
	}
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := calls(c, first)
	sameCalls(t, "re-sync", again, map[string]int64{
		api.OpSearchUsers: 20, api.OpSearchQueues: 2, api.OpSearchRoutingProfiles: 1, api.OpSearchUserHierarchyGroups: 1,
		api.OpSearchAgentStatuses: 1, api.OpDescribeUserHierarchyStructure: 1,
	})
	if ch := s.LastSync().Changes; sum(ch.Inserted)+sum(ch.Updated)+sum(ch.Deleted) != 0 {
		t.Fatalf("re-sync changed %+v", ch)
	}
	def := connectapi.NewLimiter(nil)
	if d := timeAtQuota(def, first); d != 97500*time.Millisecond || d > 3*time.Minute {
		t.Errorf("first sync at the default quotas: %v", d)
	}
	if d := timeAtQuota(def, again); d != 7500*time.Millisecond || d > time.Minute {
		t.Errorf("re-sync at the default quotas: %v", d)
	}
}

// TestQueuesListedOnlyForModifiedProfiles: the queues of a routing profile
// are listed again only when its LastModifiedTime moved past the previous
// sync's, or when the last full listing is older than FullRefresh; the
// stored rows of the others are kept as they are.
func TestQueuesListedOnlyForModifiedProfiles(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			src := connectapitest.NewStatic(30, 40, 12)
			env := connectapitest.Start(t, src, api.Options{})
			c := env.Client(connectapi.Options{})
			st := polltest.OpenStore(t, dialect)
			clock := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
			s := &configsync.Syncer{API: c, Store: st, Now: func() time.Time { return clock }}
			lists := func(want int) {
				t.Helper()
				before := c.Limiter().Stats()[api.OpListRoutingProfileQueues].Succeeded
				if err := s.Poll(context.Background()); err != nil {
					t.Fatal(err)
				}
				n := c.Limiter().Stats()[api.OpListRoutingProfileQueues].Succeeded - before
				if n != int64(want) || s.LastSync().QueueLists != want {
					t.Fatalf("%d ListRoutingProfileQueues calls (QueueLists %d), want %d", n, s.LastSync().QueueLists, want)
				}
				checkCurrent(t, st, src)
			}
			lists(12)
			clock = clock.Add(time.Hour)
			lists(0)
			if ch := s.LastSync().Changes; sum(ch.Inserted)+sum(ch.Updated)+sum(ch.Deleted) != 0 {
				t.Fatalf("unchanged sync changed %+v", ch)
			}

			// profile 3 gets a new priority and a newer LastModifiedTime
			src.Mu.Lock()
			var changed connectreporting.RoutingProfileQueue
			for i := range src.RPQs {
				if src.RPQs[i].RoutingProfileID == src.RPs[3].ID {
					src.RPQs[i].Priority = 42
					changed = src.RPQs[i]
					break
				}
			}
			src.RPs[3].LastModified = clock.Add(-time.Minute)
			src.Mu.Unlock()
			clock = clock.Add(time.Hour)
			lists(1)
			if ch := s.LastSync().Changes; ch.Updated[connectreporting.ConfigKindRoutingProfileQueues] != 1 || sum(ch.Inserted)+sum(ch.Deleted) != 0 {
				t.Fatalf("changes %+v", ch)
			}
			if n := count(t, st.DB(), "SELECT COUNT(*) FROM routing_profile_queue WHERE routing_profile_id = "+ph(st, 1)+" AND queue_id = "+ph(st, 2)+
				" AND channel = "+ph(st, 3), changed.RoutingProfileID, changed.QueueID, changed.Channel); n != 2 {
				t.Fatalf("changed queue has %d history rows, want 2", n)
			}
			clock = clock.Add(time.Hour)
			lists(0) // the new mark covers profile 3 now

			// a profile deleted: its queue rows are closed without a call
			src.Mu.Lock()
			gone := src.RPs[5].ID
			src.RPs = append(src.RPs[:5], src.RPs[6:]...)
			var kept []connectreporting.RoutingProfileQueue
			for _, q := range src.RPQs {
				if q.RoutingProfileID != gone {
					kept = append(kept, q)
				}
			}
			src.RPQs = kept
			src.Mu.Unlock()
			clock = clock.Add(time.Hour)
			lists(0)

			// past FullRefresh every profile's queues are listed again
			clock = clock.Add(configsync.DefaultFullRefresh)
			lists(11)
		})
	}
}

// BenchmarkConfigSyncAtQuotas runs a first sync and an unchanged re-sync
// against the simulated API in quota mode (Connect's default quotas), with
// the client's default Limiter, into SQLite, and reports both durations.
// CONFIG_BENCH_SIZE=users,queues,profiles sets the size (default
// 1000,100,20; the README's figure is 10000,1000,200 with -benchtime 1x).
func BenchmarkConfigSyncAtQuotas(b *testing.B) {
	size := []int{1000, 100, 20}
	if v := os.Getenv("CONFIG_BENCH_SIZE"); v != "" {
		parts := strings.Split(v, ",")
		for i := range min(len(parts), 3) {
			n, err := strconv.Atoi(strings.TrimSpace(parts[i]))
			if err != nil {
				b.Fatalf("CONFIG_BENCH_SIZE: %v", err)
			}
			size[i] = n
		}
	}
	src := connectapitest.NewStatic(size[0], size[1], size[2])
	env := connectapitest.Start(b, src, api.Options{Quotas: true})
	var first, again time.Duration
	for range b.N {
		c := env.Client(connectapi.Options{Limiter: connectapi.NewLimiter(nil), MaxBackoff: 20 * time.Second})
		s := &configsync.Syncer{API: c, Store: polltest.OpenStore(b, "sqlite")}
		time.Sleep(5 * time.Second) // let the server's buckets fill again
		start := time.Now()
		if err := s.Poll(context.Background()); err != nil {
			b.Fatal(err)
		}
		first += time.Since(start)
		before := succeeded(c)
		start = time.Now()
		if err := s.Poll(context.Background()); err != nil {
			b.Fatal(err)
		}
		again += time.Since(start)
		b.Logf("%v: first sync %v (calls %v), re-sync %v (calls %v), throttled attempts %d", size, first, before, again, calls(c, before), c.Throttled())
	}
	b.ReportMetric(first.Seconds()/float64(b.N), "first-s/op")
	b.ReportMetric(again.Seconds()/float64(b.N), "resync-s/op")
}

// TestDeadlineLeavesQueuesUntouched: a deadline too short to list every
// routing profile's queues leaves that kind untouched and saves no mark;
// the other kinds are synced; the next sync lists every profile again.
func TestDeadlineLeavesQueuesUntouched(t *testing.T) {
	src := connectapitest.NewStatic(40, 30, 30)
	env := connectapitest.Start(t, src, api.Options{})
	slow := connectapi.NewLimiter(map[string]connectapi.Quota{"*": {Rate: 1000, Burst: 100}, api.OpListRoutingProfileQueues: {Rate: 10, Burst: 1}})
	c := env.Client(connectapi.Options{Limiter: slow})
	st := polltest.OpenStore(t, "sqlite")
	s := &configsync.Syncer{API: c, Store: st, Margin: 100 * time.Millisecond}
	// 30 ListRoutingProfileQueues at 10/s take 2.9 s; the reads get 1.4 s
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := s.Poll(ctx); err == nil {
		t.Fatal("no error")
	}
	if f := s.LastSync().Failed; len(f) != 1 || f[0] != connectreporting.ConfigKindRoutingProfileQueues {
		t.Fatalf("failed kinds %v", f)
	}
	if n := count(t, st.DB(), "SELECT COUNT(*) FROM routing_profile_queue"); n != 0 {
		t.Fatalf("%d routing profile queue rows from a partial read", n)
	}
	if n := count(t, st.DB(), "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL"); n != 40 {
		t.Fatalf("users not synced: %d", n)
	}
	if _, ok, err := st.Checkpoint(context.Background(), configsync.Poller, configsync.ScopeQueuesModified); ok || err != nil {
		t.Fatalf("a mark was saved after a partial read (%v)", err)
	}
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.LastSync().QueueLists; n != 30 {
		t.Fatalf("next sync listed %d profiles' queues, want 30", n)
	}
	checkCurrent(t, st, src)
}
