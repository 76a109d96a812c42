package configsync_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/configsync"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/connectapi/connectapitest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/polltest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(pgtest.Main(m))
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func ph(s *sqlstore.Store, n int) string {
	if s.Dialect() == sqlstore.DialectPostgres {
		return "$" + string(rune('0'+n))
	}
	return "?"
}

// checkCurrent compares the current rows with the source.
func checkCurrent(t *testing.T, st *sqlstore.Store, src *connectapitest.Static) {
	t.Helper()
	db := st.DB()
	var std int
	for _, q := range src.Queues() {
		if q.Type != "AGENT" {
			std++
		}
	}
	for table, want := range map[string]int{
		"connect_user": len(src.Users()), "queue": std, "routing_profile": len(src.RoutingProfiles()),
		"routing_profile_queue": len(src.RoutingProfileQueues()), "hierarchy_group": len(src.HierarchyGroups()),
		"hierarchy_level": len(src.HierarchyLevels()), "agent_status": len(src.AgentStatuses()),
	} {
		if n := count(t, db, "SELECT COUNT(*) FROM "+table+" WHERE valid_to IS NULL"); n != want {
			t.Errorf("%s: %d current rows, want %d", table, n, want)
		}
	}
	for _, u := range src.Users() {
		var user, first, last, email, rp, grp string
		err := db.QueryRow("SELECT username, first_name, last_name, COALESCE(email, ''), routing_profile_id, hierarchy_group_id FROM connect_user WHERE valid_to IS NULL AND user_id = "+ph(st, 1), u.ID).
			Scan(&user, &first, &last, &email, &rp, &grp)
		if err != nil {
			t.Fatalf("user %s: %v", u.ID, err)
		}
		// the email comes from DescribeUser
		if user != u.Username || first != u.FirstName || last != u.LastName || email != u.Email || rp != u.RoutingProfileID || grp != u.HierarchyGroupID {
			t.Fatalf("user %s: %s %s %s %s %s %s, want %+v", u.ID, user, first, last, email, rp, grp, u)
		}
	}
	for _, q := range src.Queues() {
		if q.Type == "AGENT" {
			continue
		}
		var name, desc, status, hoo string
		var maxc sql.NullInt64
		err := db.QueryRow("SELECT name, description, status, hours_of_operation_id, max_contacts FROM queue WHERE valid_to IS NULL AND queue_id = "+ph(st, 1), q.ID).
			Scan(&name, &desc, &status, &hoo, &maxc)
		if err != nil {
			t.Fatalf("queue %s: %v", q.ID, err)
		}
		if name != q.Name || desc != q.Description || status != q.Status || hoo != q.HoursOfOperationID || int(maxc.Int64) != *q.MaxContacts {
			t.Fatalf("queue %s: %s %s %s %s %v, want %+v", q.ID, name, desc, status, hoo, maxc, q)
		}
	}
	for _, r := range src.RoutingProfiles() {
		var name, desc, conc string
		err := db.QueryRow("SELECT name, description, concurrency FROM routing_profile WHERE valid_to IS NULL AND routing_profile_id = "+ph(st, 1), r.ID).Scan(&name, &desc, &conc)
		if want, _ := json.Marshal(r.Concurrency); err != nil || name != r.Name || desc != r.Description || conc != string(want) {
			t.Fatalf("routing profile %s: %s %s %s %v, want %+v", r.ID, name, desc, conc, err, r)
		}
	}
	for _, q := range src.RoutingProfileQueues() {
		var prio, delay int
		err := db.QueryRow("SELECT priority, delay FROM routing_profile_queue WHERE valid_to IS NULL AND routing_profile_id = "+ph(st, 1)+
			" AND queue_id = "+ph(st, 2)+" AND channel = "+ph(st, 3), q.RoutingProfileID, q.QueueID, q.Channel).Scan(&prio, &delay)
		if err != nil || prio != q.Priority || delay != q.Delay {
			t.Fatalf("routing profile queue %+v: %d %d %v", q, prio, delay, err)
		}
	}
	for _, g := range src.HierarchyGroups() {
		var name, level, l1 string
		err := db.QueryRow("SELECT name, level_id, level1_group_id FROM hierarchy_group WHERE valid_to IS NULL AND hierarchy_group_id = "+ph(st, 1), g.ID).Scan(&name, &level, &l1)
		if err != nil || name != g.Name || level != g.LevelID || l1 != g.Path[0] {
			t.Fatalf("group %s: %s %s %s %v, want %+v", g.ID, name, level, l1, err, g)
		}
	}
}

// TestSyncMatchesSourceAndKeepsHistory: 250 users, 150 queues, 120 routing
// profiles (past every page and filter size), 30% of the calls throttled;
// then a queue renamed, a user deleted and one added.
func TestSyncMatchesSourceAndKeepsHistory(t *testing.T) {
	for _, dialect := range polltest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			src := connectapitest.NewStatic(250, 150, 120)
			env := connectapitest.Start(t, src, api.Options{ThrottleRate: 0.3, Seed: 21})
			c := env.Client(connectapi.Options{})
			st := polltest.OpenStore(t, dialect)
			clock := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
			s := &configsync.Syncer{API: c, Store: st, Now: func() time.Time { return clock }}
			if err := s.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkCurrent(t, st, src)
			if c.Throttled() == 0 {
				t.Error("nothing throttled")
			}
			// unchanged: a second sync changes nothing
			clock = clock.Add(time.Hour)
			if err := s.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			if ch := s.LastSync().Changes; sum(ch.Inserted)+sum(ch.Updated)+sum(ch.Deleted) != 0 {
				t.Fatalf("unchanged sync changed %+v", ch)
			}
			// change the source
			src.Mu.Lock()
			src.QueueList[3].Name = "Renamed queue"
			renamed := src.QueueList[3].ID
			deleted := src.UserList[7].ID
			src.UserList = append(src.UserList[:7], src.UserList[8:]...)
			added := src.UserList[0]
			added.ID, added.ARN, added.Username = "u-new", src.ARN("agent", "u-new"), "newbie"
			src.UserList = append(src.UserList, added)
			src.Mu.Unlock()
			clock = clock.Add(time.Hour)
			if err := s.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkCurrent(t, st, src)
			db := st.DB()
			if n := count(t, db, "SELECT COUNT(*) FROM queue WHERE queue_id = "+ph(st, 1), renamed); n != 2 {
				t.Errorf("renamed queue has %d rows", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM queue WHERE valid_to IS NOT NULL AND name <> 'Renamed queue' AND queue_id = "+ph(st, 1), renamed); n != 1 {
				t.Errorf("renamed queue: %d closed rows with the old name", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL AND user_id = "+ph(st, 1), deleted); n != 0 {
				t.Errorf("deleted user still current")
			}
			if n := count(t, db, "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NOT NULL AND user_id = "+ph(st, 1), deleted); n != 1 {
				t.Errorf("deleted user: %d closed rows", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL AND user_id = 'u-new'"); n != 1 {
				t.Errorf("added user: %d current rows", n)
			}
			ch := s.LastSync().Changes
			if ch.Updated["queues"]+ch.Updated["queue"] == 0 && sum(ch.Updated) != 1 {
				t.Logf("changes %+v", ch)
			}
		})
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// failingQueues is the real client with SearchQueues failing.
type failingQueues struct{ *connectapi.Client }

func (failingQueues) SearchQueues(context.Context) ([]connectreporting.Queue, error) {
	return nil, errors.New("boom")
}

// TestFailedListingLeavesKindUntouched: a kind whose read fails is passed
// as nil, so its rows stay; the others are synced; Poll errs.
func TestFailedListingLeavesKindUntouched(t *testing.T) {
	src := connectapitest.NewStatic(20, 10, 3)
	env := connectapitest.Start(t, src, api.Options{})
	st := polltest.OpenStore(t, "sqlite")
	s := &configsync.Syncer{API: env.Client(connectapi.Options{}), Store: st}
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.Mu.Lock()
	src.UserList = src.UserList[:10]
	src.Mu.Unlock()
	s.API = failingQueues{env.Client(connectapi.Options{})}
	if err := s.Poll(context.Background()); err == nil {
		t.Fatal("no error")
	}
	if n := count(t, st.DB(), "SELECT COUNT(*) FROM queue WHERE valid_to IS NULL"); n != 10 {
		t.Errorf("queues: %d current rows, want 10 untouched", n)
	}
	if n := count(t, st.DB(), "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL"); n != 10 {
		t.Errorf("users: %d current rows, want 10", n)
	}
	if f := s.LastSync().Failed; len(f) != 1 || f[0] != connectreporting.ConfigKindQueues {
		t.Errorf("failed kinds %v", f)
	}
}
