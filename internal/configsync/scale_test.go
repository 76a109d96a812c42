package configsync_test

import (
	"context"
	"fmt"
	"maps"
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
	"github.com/connect-reporting/connect-reporting/internal/dbtest"
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
// 200 routing profiles makes exactly these calls; a re-sync with nothing
// changed the same but no ListRoutingProfileQueues and no DescribeUser; a
// sync after three users changed describes those three only and stores the
// changed email. The store starts with the details of 9,975 users, as the
// syncs that filled the emails of an instance this size leave them (10,000
// DescribeUser calls through the SDK would make this test minutes long
// under -race; TestEmailsFilledWithinBudget fills an empty store), one of
// them read at an older LastModifiedTime: the first sync describes the 25
// others and that one, and stores every email. At Connect's default quotas
// (2/s, burst 5 for every one of these operations) the calls other than
// DescribeUser take at least 97.5 s on the first sync (200
// ListRoutingProfileQueues) and 7.5 s on the re-sync (20 SearchUsers
// pages): within the 3-minute and 1-minute targets. DescribeUser stops at
// DetailBudget.
func TestCallCountsAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 users")
	}
	src := connectapitest.NewStatic(10000, 1000, 200)
	env := connectapitest.Start(t, src, api.Options{})
	c := env.Client(connectapi.Options{})
	st := polltest.OpenStore(t, "sqlite")
	seedDetails(t, st, src)
	s := &configsync.Syncer{API: c, Store: st}
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := succeeded(c)
	base := map[string]int64{
		api.OpSearchUsers: 20, api.OpListUsers: 10, api.OpSearchQueues: 2, api.OpSearchRoutingProfiles: 1, api.OpSearchUserHierarchyGroups: 1,
		api.OpSearchAgentStatuses: 1, api.OpDescribeUserHierarchyStructure: 1,
	}
	sameCalls(t, "first sync", first, with(base, api.OpListRoutingProfileQueues, 200, api.OpDescribeUser, 26))
	for table, want := range map[string]int{"connect_user": 10000, "queue": 1000, "routing_profile": 200, "routing_profile_queue": 3000, "connect_user_detail": 10000} {
		if n := count(t, st.DB(), "SELECT COUNT(*) FROM "+table+" WHERE "+currentRows(table)); n != want {
			t.Errorf("%s: %d current rows, want %d", table, n, want)
		}
	}
	if n := count(t, st.DB(), "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL AND email = user_id || '@example.com'"); n != 10000 {
		t.Errorf("%d users with their email, want 10000", n)
	}
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := calls(c, first)
	sameCalls(t, "re-sync", again, base)
	if ch := s.LastSync().Changes; sum(ch.Inserted)+sum(ch.Updated)+sum(ch.Deleted) != 0 {
		t.Fatalf("re-sync changed %+v", ch)
	}
	changeThreeUsers(t, src)
	before := succeeded(c)
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameCalls(t, "sync after 3 users changed", calls(c, before), with(base, api.OpDescribeUser, 3))
	if ch := s.LastSync().Changes; ch.Updated[connectreporting.ConfigKindUsers] != 2 || sum(ch.Inserted)+sum(ch.Deleted) != 0 {
		t.Errorf("changes %+v, want 2 users updated", ch.Updated)
	}
	_, rows := dbtest.Rows(t, st.DB(), "SELECT user_id, email, first_name FROM connect_user WHERE user_id IN ('u-00007', 'u-00042', 'u-00100') ORDER BY user_id, valid_from")
	if got, want := fmt.Sprint(rows), "[[u-00007 u-00007@example.com Firstu-00007] [u-00007 new.address@example.com Firstu-00007] "+
		"[u-00042 u-00042@example.com Firstu-00042] [u-00042 u-00042@example.com Renamed] [u-00100 u-00100@example.com Firstu-00100]]"; got != want {
		t.Errorf("user history rows\n got %s\nwant %s", got, want)
	}
	def := connectapi.NewLimiter(nil)
	delete(first, api.OpDescribeUser)
	if d := timeAtQuota(def, first); d != 97500*time.Millisecond || d > 3*time.Minute {
		t.Errorf("first sync at the default quotas: %v", d)
	}
	if d := timeAtQuota(def, again); d != 7500*time.Millisecond || d > time.Minute {
		t.Errorf("re-sync at the default quotas: %v", d)
	}
}

// seedDetails stores the detail of every user but every 400th (u-00000,
// u-00400, ...), as DescribeUser gives it; u-00001's was read before its
// last modification.
func seedDetails(t *testing.T, st connectreporting.ConfigStore, src *connectapitest.Static) {
	var users []connectreporting.User
	for i, u := range src.Users() {
		if u.ID == "u-00001" {
			u.Email, u.LastModified = "old@example.com", u.LastModified.Add(-time.Hour)
		}
		if i%400 != 0 {
			users = append(users, u)
		}
	}
	storeDetails(t, st, users)
}

// changeThreeUsers moves the LastModifiedTime of three users: u-00007 has a
// new email (DescribeUser tells), u-00042 a new first name (SearchUsers
// tells), u-00100 a change the store does not keep.
func changeThreeUsers(t *testing.T, src *connectapitest.Static) {
	t.Helper()
	src.Mu.Lock()
	defer src.Mu.Unlock()
	at := connectapitest.Modified.Add(time.Hour)
	for i := range src.UserList {
		u := &src.UserList[i]
		switch u.ID {
		case "u-00007":
			u.Email = "new.address@example.com"
		case "u-00042":
			u.FirstName = "Renamed"
		case "u-00100":
		default:
			continue
		}
		u.LastModified = at
	}
}

// with returns a copy of m with the given operations and counts added.
func with(m map[string]int64, kv ...any) map[string]int64 {
	out := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = int64(kv[i+1].(int))
	}
	return out
}

// currentRows is the condition for the current rows of table.
func currentRows(table string) string {
	if table == "connect_user_detail" {
		return "1 = 1"
	}
	return "valid_to IS NULL"
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
// the client's default Limiter, into SQLite, and reports both durations and
// the emails the first sync described within DefaultDetailBudget. Before
// the re-sync every user's detail is stored as the later syncs that finish
// the fill would leave it (at 2/s, 10,000 DescribeUser calls take 83
// minutes), so the re-sync is the steady state: no DescribeUser call.
// CONFIG_BENCH_SIZE=users,queues,profiles sets the size (default
// 1000,100,20; the README's figure is 10000,1000,200 with -benchtime 1x);
// CONFIG_BENCH_DELAY the client's Delay (DELAY; default 0).
func BenchmarkConfigSyncAtQuotas(b *testing.B) {
	size := benchSize(b)
	var delay time.Duration
	if v := os.Getenv("CONFIG_BENCH_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("CONFIG_BENCH_DELAY: %v", err)
		}
		delay = d
	}
	src := connectapitest.NewStatic(size[0], size[1], size[2])
	env := connectapitest.Start(b, src, api.Options{Quotas: true})
	var first, again time.Duration
	var described int
	for range b.N {
		c := env.Client(connectapi.Options{Limiter: connectapi.NewLimiter(nil), MaxBackoff: 20 * time.Second, Delay: delay})
		st := polltest.OpenStore(b, "sqlite")
		s := &configsync.Syncer{API: c, Store: st}
		time.Sleep(5 * time.Second) // let the server's buckets fill again
		start := time.Now()
		if err := s.Poll(context.Background()); err != nil {
			b.Fatal(err)
		}
		first += time.Since(start)
		described += s.LastSync().Described
		storeDetails(b, st, src.Users())
		before := succeeded(c)
		start = time.Now()
		if err := s.Poll(context.Background()); err != nil {
			b.Fatal(err)
		}
		again += time.Since(start)
		if n := calls(c, before)[api.OpDescribeUser]; n != 0 {
			b.Fatalf("re-sync: %d DescribeUser calls", n)
		}
		b.Logf("%v, delay %v: first sync %v (calls %v), re-sync %v (calls %v), throttled attempts %d", size, delay, first, before, again, calls(c, before), c.Throttled())
	}
	b.ReportMetric(first.Seconds()/float64(b.N), "first-s/op")
	b.ReportMetric(float64(described)/float64(b.N), "emails-first/op")
	b.ReportMetric(again.Seconds()/float64(b.N), "resync-s/op")
}

// benchSize reads CONFIG_BENCH_SIZE (default 1000,100,20).
func benchSize(b *testing.B) []int {
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
	return size
}

// storeDetails stores the details of users as DescribeUser gives them.
func storeDetails(tb testing.TB, st connectreporting.ConfigStore, users []connectreporting.User) {
	tb.Helper()
	all := make([]connectreporting.UserDetail, len(users))
	for i, u := range users {
		all[i] = connectreporting.UserDetail{UserID: u.ID, Email: u.Email, LastModified: u.LastModified, ReadAt: u.LastModified}
	}
	if err := st.SaveUserDetails(context.Background(), all, nil); err != nil {
		tb.Fatal(err)
	}
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
	s := &configsync.Syncer{API: c, Store: st, Margin: time.Second}
	// 30 ListRoutingProfileQueues at 10/s take 2.9 s; the reads get 1.5 s
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
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

// TestEmailsFilledWithinBudget: with DescribeUser at 20/s and a 1 s
// DetailBudget, a sync of 60 new users describes at most the budget's worth
// (burst 1 + 20/s); the following syncs
// describe the rest, nobody twice, until every email is stored; then a sync
// describes nobody.
func TestEmailsFilledWithinBudget(t *testing.T) {
	src := connectapitest.NewStatic(60, 5, 2)
	env := connectapitest.Start(t, src, api.Options{})
	c := env.Client(connectapi.Options{Limiter: connectapi.NewLimiter(map[string]connectapi.Quota{
		"*": {Rate: 1000, Burst: 100}, api.OpDescribeUser: {Rate: 20, Burst: 1}})})
	st := polltest.OpenStore(t, "sqlite")
	s := &configsync.Syncer{API: c, Store: st, DetailBudget: time.Second}
	total := 0
	for run := 1; ; run++ {
		if err := s.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		ls := s.LastSync()
		total += ls.Described
		t.Logf("sync %d: %d described, %d pending, %v", run, ls.Described, ls.EmailsPending, ls.Duration)
		if ls.Described > 22 || ls.Described+ls.EmailsPending != 60-total+ls.Described {
			t.Fatalf("sync %d: %d described, %d pending (%d before)", run, ls.Described, ls.EmailsPending, total-ls.Described)
		}
		if n := count(t, st.DB(), "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL AND email = user_id || '@example.com'"); n != total {
			t.Fatalf("sync %d: %d emails stored, %d described", run, n, total)
		}
		if ls.EmailsPending == 0 {
			break
		}
		if run == 10 || ls.Described == 0 {
			t.Fatalf("sync %d: no progress (%d described in all)", run, total)
		}
	}
	if total != 60 || c.Limiter().Stats()[api.OpDescribeUser].Succeeded != 60 {
		t.Fatalf("%d described, %d DescribeUser calls; want 60", total, c.Limiter().Stats()[api.OpDescribeUser].Succeeded)
	}
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ls := s.LastSync(); ls.Described+ls.EmailsPending != 0 || sum(ls.Changes.Updated) != 0 {
		t.Fatalf("after the fill: %+v", ls)
	}
	checkCurrent(t, st, src)
}
