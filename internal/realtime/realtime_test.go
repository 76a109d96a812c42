package realtime_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/connectapi/connectapitest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/polltest"
	"github.com/connect-reporting/connect-reporting/internal/realtime"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(pgtest.Main(m))
}

func nf(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

func eqf(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// checkQueues compares queue_realtime_snapshot and queue_realtime_current
// with the source's snapshots.
func checkQueues(t *testing.T, db *sql.DB, want []connectreporting.QueueSnapshot, rounds int) {
	t.Helper()
	for _, table := range []string{"queue_realtime_snapshot", "queue_realtime_current"} {
		rows, err := db.Query(`SELECT queue_id, channel, queue_arn, agents_online, agents_available, agents_on_contact, agents_on_call,
			agents_after_contact_work, agents_non_productive, agents_error, agents_staffed, contacts_in_queue, contacts_scheduled,
			oldest_contact_age_seconds, slots_active, slots_available FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		byKey := map[string]connectreporting.QueueSnapshot{}
		for _, w := range want {
			byKey[w.QueueID+"/"+w.Channel] = w
		}
		for rows.Next() {
			var q, ch, arn string
			var v [13]sql.NullFloat64
			dest := []any{&q, &ch, &arn}
			for i := range v {
				dest = append(dest, &v[i])
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			k := q + "/" + ch
			got[k]++
			if table == "queue_realtime_snapshot" && rounds > 1 {
				continue // older rounds hold older values: counted only
			}
			w, ok := byKey[k]
			if !ok {
				t.Fatalf("%s: unexpected row %s", table, k)
			}
			wv := []*float64{w.AgentsOnline, w.AgentsAvailable, w.AgentsOnContact, w.AgentsOnCall, w.AgentsAfterContactWork,
				w.AgentsNonProductive, w.AgentsError, w.AgentsStaffed, w.ContactsInQueue, w.ContactsScheduled,
				w.OldestContactAgeSeconds, w.SlotsActive, w.SlotsAvailable}
			for i := range v {
				if !eqf(nf(v[i]), wv[i]) {
					t.Fatalf("%s %s: column %d = %v, want %v", table, k, i, nf(v[i]), wv[i])
				}
			}
			if arn != w.QueueARN {
				t.Fatalf("%s %s: arn %s", table, k, arn)
			}
		}
		rows.Close()
		n := rounds
		if table == "queue_realtime_current" {
			n = 1
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d queue/channel keys, want %d", table, len(got), len(want))
		}
		for k, c := range got {
			if c != n {
				t.Fatalf("%s: %s has %d rows, want %d", table, k, c, n)
			}
		}
	}
}

func checkAgents(t *testing.T, db *sql.DB, want []api.UserData) {
	t.Helper()
	rows, err := db.Query(`SELECT agent_id, status_name, status_arn, routing_profile_id, contact_count FROM agent_realtime_current`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	byID := map[string]api.UserData{}
	for _, d := range want {
		byID[d.UserID] = d
	}
	n := 0
	for rows.Next() {
		var id, st, starn, rp string
		var cc int
		if err := rows.Scan(&id, &st, &starn, &rp, &cc); err != nil {
			t.Fatal(err)
		}
		n++
		d, ok := byID[id]
		if !ok || d.StatusName != st || d.StatusARN != starn || d.RoutingProfileID != rp || len(d.Contacts) != cc {
			t.Fatalf("agent %s: %s %s %s %d, want %+v", id, st, starn, rp, cc, d)
		}
	}
	if n != len(want) {
		t.Fatalf("%d agents stored, want %d", n, len(want))
	}
}

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPollMatchesSimulatorTruth: the simulated contact centre at a fixed
// time, 30% of the API calls throttled: the stored snapshots equal what the
// source reports, on SQLite and PostgreSQL.
func TestPollMatchesSimulatorTruth(t *testing.T) {
	for _, dialect := range polltest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			cfg := simulator.DefaultConfig(3, 80, 5)
			sim, err := simulator.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.RunUntil(cfg.Start.Add(10*time.Hour + 17*time.Minute)); err != nil {
				t.Fatal(err)
			}
			env := connectapitest.Start(t, sim, api.Options{ThrottleRate: 0.3, Seed: 11})
			c := env.Client(connectapi.Options{})
			st := polltest.OpenStore(t, dialect)
			p := &realtime.Poller{API: c, Store: st}
			for range 2 { // a repeated round at the same time changes nothing
				if err := p.Poll(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			want := sim.CurrentQueueMetrics()
			agents := sim.CurrentUserData()
			if len(agents) == 0 || len(want) == 0 {
				t.Fatalf("simulator idle: %d agents, %d snapshots", len(agents), len(want))
			}
			checkQueues(t, st.DB(), want, 1)
			checkAgents(t, st.DB(), agents)
			if n := count(t, st.DB(), "SELECT COUNT(*) FROM agent_realtime_snapshot"); n != len(agents) {
				t.Fatalf("%d agent snapshot rows", n)
			}
			lr := p.LastRound()
			if !lr.SnapshotTime.Equal(sim.Now()) || lr.Queues != len(want) || lr.Agents != len(agents) {
				t.Fatalf("last round %+v, sim now %v", lr, sim.Now())
			}
			if c.Throttled() == 0 {
				t.Error("nothing throttled")
			}
			// a later round adds rows
			if err := sim.RunUntil(sim.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := p.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkQueues(t, st.DB(), sim.CurrentQueueMetrics(), 2)
			checkAgents(t, st.DB(), sim.CurrentUserData())
		})
	}
}

// TestPollPastOnePage: 250 agents (125 logged in), 150 queues, 120 routing
// profiles, 30% throttled: nothing lost.
func TestPollPastOnePage(t *testing.T) {
	src := connectapitest.NewStatic(250, 150, 120)
	env := connectapitest.Start(t, src, api.Options{ThrottleRate: 0.3, Seed: 12})
	st := polltest.OpenStore(t, "sqlite")
	p := &realtime.Poller{API: env.Client(connectapi.Options{}), Store: st}
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := src.CurrentQueueMetrics()
	if len(want) != 450 {
		t.Fatalf("fixture has %d snapshots", len(want))
	}
	checkQueues(t, st.DB(), want, 1)
	checkAgents(t, st.DB(), src.CurrentUserData())
}

// countingStore counts rounds.
type countingStore struct {
	mu     sync.Mutex
	rounds []time.Time
}

func (s *countingStore) StoreQueueSnapshots(ctx context.Context, q []connectreporting.QueueSnapshot) error {
	s.mu.Lock()
	s.rounds = append(s.rounds, time.Now())
	s.mu.Unlock()
	return nil
}
func (s *countingStore) StoreAgentSnapshots(context.Context, []connectreporting.AgentSnapshot) error {
	return nil
}

// TestPollLoopsUntilDeadlineLessMargin: a 3 s deadline, Delay 500ms and
// Margin 1s give rounds at about 0, 0.5, 1.0 and 1.5 s, and Poll returns
// before the margin starts (2 s).
func TestPollLoopsUntilDeadlineLessMargin(t *testing.T) {
	src := connectapitest.NewStatic(20, 10, 3)
	env := connectapitest.Start(t, src, api.Options{})
	st := &countingStore{}
	p := &realtime.Poller{API: env.Client(connectapi.Options{}), Store: st, Delay: 500 * time.Millisecond, Margin: time.Second}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	// Rounds start at 0, 0.5, 1.0 and 1.5 s; none starts inside the last
	// second. A loaded machine (CI under -race) may fit fewer rounds in, never
	// more, and a round that started before the margin may end inside it, but
	// Poll always returns before the deadline.
	if n := len(st.rounds); n < 2 || n > 4 {
		t.Errorf("%d rounds, want 2 to 4 (4 on an idle machine)", n)
	}
	if el >= 3*time.Second {
		t.Errorf("Poll returned after %v, past the deadline", el)
	}
	for i, r := range st.rounds {
		if off := r.Sub(start); off >= 3*time.Second {
			t.Errorf("round %d stored at %v, past the deadline", i, off)
		}
	}
	// without a deadline: one round
	st.rounds = nil
	if err := p.Poll(context.Background()); err != nil || len(st.rounds) != 1 {
		t.Fatalf("no deadline: %d rounds, %v", len(st.rounds), err)
	}
	// Loop: until cancelled
	st.rounds = nil
	p.Loop, p.Delay = true, 100*time.Millisecond
	lctx, lcancel := context.WithCancel(context.Background())
	time.AfterFunc(550*time.Millisecond, lcancel)
	if err := p.Poll(lctx); err != nil {
		t.Fatal(err)
	}
	if n := len(st.rounds); n < 2 || n > 7 {
		t.Errorf("loop: %d rounds in 550ms at 100ms, want 2 to 7 (about 6 on an idle machine)", n)
	}
}

// TestPollFailsWhenAPIFails: a round that cannot read reports an error.
func TestPollFailsWhenAPIFails(t *testing.T) {
	src := connectapitest.NewStatic(2, 2, 1)
	env := connectapitest.Start(t, src, api.Options{})
	c := env.Client(connectapi.Options{InstanceID: "no-such-instance"})
	p := &realtime.Poller{API: c, Store: &countingStore{}}
	if err := p.Poll(context.Background()); err == nil {
		t.Fatal("no error")
	}
}

// BenchmarkSnapshot: one full real-time snapshot of 1,000 queues (3,000
// queue/channel snapshots) and 2,000 agents against the simulated API
// enforcing the default quotas, through the default (quota-sized) Limiter,
// stored in SQLite. Reports wall time per snapshot.
func BenchmarkSnapshot(b *testing.B) {
	cfg := simulator.Config{Seed: 5, Agents: 2000, NumQueues: 1000}
	for i := 0; i < 100; i++ { // 100 profiles of 10 queues each
		rc := simulator.RoutingProfileConfig{Name: fmt.Sprintf("Profile %03d", i), Concurrency: map[string]int{"VOICE": 1, "CHAT": 2, "TASK": 1}}
		for j := 0; j < 10; j++ {
			rc.Queues = append(rc.Queues, simulator.RoutingQueueConfig{Queue: fmt.Sprintf("Queue %04d", i*10+j), Priority: 1})
		}
		cfg.RoutingProfiles = append(cfg.RoutingProfiles, rc)
	}
	for i := 0; i < 1000; i++ {
		cfg.Queues = append(cfg.Queues, simulator.QueueConfig{Name: fmt.Sprintf("Queue %04d", i)})
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.RunUntil(sim.Now().Add(11 * time.Hour)); err != nil {
		b.Fatal(err)
	}
	env := connectapitest.Start(b, sim, api.Options{Quotas: true})
	c := env.Client(connectapi.Options{Limiter: connectapi.NewLimiter(nil), MaxBackoff: 2 * time.Second})
	st := polltest.OpenStore(b, "sqlite")
	p := &realtime.Poller{API: c, Store: st, Refresh: time.Hour}
	ctx := context.Background()
	if err := p.Round(ctx); err != nil { // lists queues and profiles once
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Round(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	lr := p.LastRound()
	b.ReportMetric(float64(lr.Queues), "queue_snapshots")
	b.ReportMetric(float64(lr.Agents), "agent_snapshots")
	b.ReportMetric(float64(env.Server.Throttled(api.OpGetCurrentMetricData)+env.Server.Throttled(api.OpGetCurrentUserData)), "server_throttles")
}

// TestPollDeadlineInsideMargin: a deadline that leaves no time past the
// margin polls nothing, and says so instead of returning success.
func TestPollDeadlineInsideMargin(t *testing.T) {
	type noAPI struct{ realtime.API }
	type noStore struct{ connectreporting.SnapshotStore }
	p := &realtime.Poller{API: noAPI{}, Store: noStore{}, Margin: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := p.Poll(ctx)
	if err == nil || !strings.Contains(err.Error(), "leaves no time for a round") {
		t.Fatalf("Poll = %v, want an error saying no round fitted", err)
	}
}
