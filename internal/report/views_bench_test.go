package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// benchStart is the first day of the generated history.
var benchStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// benchCentre is the shape of a generated contact centre. Every agent works
// 07:00-16:00 UTC (offset by its number in seconds): 18 half-hour statuses
// a day (Available, a Break every three hours), events evenly spread over
// the shift from a LOGIN to a LOGOUT; contacts arrive evenly from 07:00 for
// 13.7 hours, every 17th abandoned; each queue and channel has 12
// GetMetricDataV2 metrics per 15-minute interval.
type benchCentre struct {
	agents, days, queues int
	contactsPerDay       int
	// eventsPerAgentDay agent_event rows per agent and day (0: none; the
	// views read agent_status_interval and agent_state, not agent_event).
	eventsPerAgentDay int
}

// monthCentre is the month of a 200-agent centre of BenchmarkViewsPostgres.
func monthCentre(days int) benchCentre {
	return benchCentre{agents: 200, days: days, queues: 8, contactsPerDay: 13000}
}

// largeCentre is issue 12's centre: 1,000 agents, 2.5 M contacts and 26 M
// agent events in 90 days.
func largeCentre(days int) benchCentre {
	return benchCentre{agents: 1000, days: days, queues: 20, contactsPerDay: 27800, eventsPerAgentDay: 289}
}

// String names the centre; it is also the marker a reused database keeps.
func (c benchCentre) String() string {
	return fmt.Sprintf("a%d_d%d_q%d_c%d_e%d", c.agents, c.days, c.queues, c.contactsPerDay, c.eventsPerAgentDay)
}

// statements returns the set-based INSERTs (generate_series, no ingest, no
// raw) that load days [from, to) of the centre.
func (c benchCentre) statements(from, to int) []string {
	day0 := benchStart.Format(time.RFC3339)
	// Contacts arrive every step seconds from 07:00 (13.7 hours a day).
	step := strconv.FormatFloat(49400.0/float64(c.contactsPerDay), 'f', 4, 64)
	stmts := []string{
		fmt.Sprintf(`INSERT INTO contact_record (contact_id, channel, initiation_method, initiation_timestamp,
    enqueue_timestamp, dequeue_timestamp, connected_to_agent_timestamp, disconnect_timestamp, last_update_timestamp,
    queue_id, queue_name, agent_id, queue_duration_seconds, agent_interaction_duration_seconds,
    customer_hold_duration_seconds, after_contact_work_duration_seconds, number_of_holds)
SELECT 'c-' || d || '-' || i,
    CASE i %% 10 WHEN 0 THEN 'CHAT' WHEN 1 THEN 'TASK' ELSE 'VOICE' END, 'INBOUND', t, t + interval '10 seconds',
    t + interval '10 seconds' + (i * 37 %% 90) * interval '1 second',
    CASE WHEN i %% 17 <> 0 THEN t + interval '10 seconds' + (i * 37 %% 90) * interval '1 second' END,
    t + interval '10 minutes', t + interval '11 minutes',
    'q' || i %% %[5]d, 'Queue ' || i %% %[5]d, CASE WHEN i %% 17 <> 0 THEN 'a' || i %% %[6]d END, i * 37 %% 90,
    CASE WHEN i %% 17 <> 0 THEN 200 + i %% 300 END, CASE WHEN i %% 17 <> 0 THEN i %% 40 END,
    CASE WHEN i %% 17 <> 0 THEN 30 + i %% 60 END, CASE WHEN i %% 17 <> 0 THEN i %% 2 END
FROM generate_series(%[1]d, %[2]d - 1) d, generate_series(1, %[4]d) i,
    LATERAL (SELECT timestamptz '%[3]s' + d * interval '1 day' + interval '7 hours' + i * interval '%[7]s seconds' AS t) x`,
			from, to, day0, c.contactsPerDay, c.queues, c.agents, step),
		fmt.Sprintf(`INSERT INTO agent_status_interval (agent_id, start_timestamp, status_name, status_type, end_timestamp, duration_seconds, unbounded)
SELECT 'a' || a, t, CASE WHEN s %% 6 = 5 THEN 'Break' ELSE 'Available' END,
    CASE WHEN s %% 6 = 5 THEN 'CUSTOM' ELSE 'ROUTABLE' END, t + interval '30 minutes', 1800, 0
FROM generate_series(%[1]d, %[2]d - 1) d, generate_series(0, %[4]d - 1) a, generate_series(0, 17) s,
    LATERAL (SELECT timestamptz '%[3]s' + d * interval '1 day' + interval '7 hours' + s * interval '30 minutes' + a * interval '1 second' AS t) x`,
			from, to, day0, c.agents),
		fmt.Sprintf(`INSERT INTO queue_interval_metric (queue_id, channel, interval_start, metric_name, interval_end, value, updated_at)
SELECT 'q' || q, c, t, m, t + interval '15 minutes', (q + n) %% 7, now()
FROM generate_series(%[1]d * 96, %[2]d * 96 - 1) n, generate_series(0, %[4]d - 1) q, unnest(ARRAY['VOICE', 'CHAT', 'TASK']) c,
    unnest(ARRAY['CONTACTS_QUEUED', 'CONTACTS_HANDLED', 'CONTACTS_ABANDONED', 'SUM_HANDLE_TIME', 'SUM_HOLD_TIME',
        'SUM_AFTER_CONTACT_WORK_TIME', 'AVG_HANDLE_TIME__SUM', 'AVG_HANDLE_TIME__COUNT', 'SUM_CONTACTS_ANSWERED_IN_20',
        'SERVICE_LEVEL_20__COUNT', 'MAX_QUEUED_TIME', 'AVG_QUEUE_ANSWER_TIME__SUM']) m,
    LATERAL (SELECT timestamptz '%[3]s' + n * interval '15 minutes' AS t) x`, from, to, day0, c.queues),
	}
	if c.eventsPerAgentDay > 0 {
		stmts = append(stmts, c.eventStatement(from, to))
	}
	return stmts // in the order of loadTables
}

// eventStatement loads the agent events of days [from, to): per agent and
// day a LOGIN, STATE_CHANGEs and a LOGOUT evenly over the shift, each
// carrying the status (and its start) the status intervals hold, so the
// intervals are what ingest would derive from these events.
func (c benchCentre) eventStatement(from, to int) string {
	n := c.eventsPerAgentDay - 1
	return fmt.Sprintf(`INSERT INTO agent_event (event_id, event_type, event_timestamp, agent_id, agent_arn, username,
    status_name, status_type, status_start_timestamp, routing_profile_id, contact_count)
SELECT 'e-' || d || '-' || a || '-' || k, CASE WHEN k = 0 THEN 'LOGIN' WHEN k = %[5]d THEN 'LOGOUT' ELSE 'STATE_CHANGE' END, t,
    'a' || a, 'arn:aws:connect:us-east-1:111122223333:instance/bench/agent/a' || a, 'agent' || a,
    CASE WHEN s %% 6 = 5 THEN 'Break' ELSE 'Available' END, CASE WHEN s %% 6 = 5 THEN 'CUSTOM' ELSE 'ROUTABLE' END,
    timestamptz '%[3]s' + d * interval '1 day' + interval '7 hours' + s * interval '30 minutes' + a * interval '1 second',
    'rp' || a %% 10, k %% 2
FROM generate_series(%[1]d, %[2]d - 1) d, generate_series(0, %[4]d - 1) a, generate_series(0, %[5]d) k,
    LATERAL (SELECT LEAST(k * 18 / %[5]d, 17) AS s) y,
    LATERAL (SELECT timestamptz '%[3]s' + d * interval '1 day' + interval '7 hours' + a * interval '1 second'
        + k * (interval '9 hours' / %[5]d) AS t) x`, from, to, benchStart.Format(time.RFC3339), c.agents, n)
}

// agentStateStatement ends every agent logged out after the last day.
func (c benchCentre) agentStateStatement() string {
	return fmt.Sprintf(`INSERT INTO agent_state (agent_id, username, status_name, status_type, status_start_timestamp, last_event_timestamp, last_event_type)
SELECT 'a' || a, 'agent' || a, 'Offline', 'OFFLINE', timestamptz '%[2]s' + %[1]d * interval '1 day', timestamptz '%[2]s' + %[1]d * interval '1 day', 'LOGOUT'
FROM generate_series(0, %[3]d - 1) a`, c.days, benchStart.Format(time.RFC3339), c.agents)
}

// loadTables are the tables the generator fills, in the order of the
// statements of benchCentre.statements.
var loadTables = []string{"contact_record", "agent_status_interval", "queue_interval_metric", "agent_event"}

// load fills an empty, migrated database with the centre, then lets the
// store keep report_interval (which computes the agent status days of every
// new day: no RebuildStatusDays needed) and the contact and metric rollups
// (RebuildRollups) and ANALYZEs. agent_event, the bulk of it, loads on one
// connection while the other tables load on another; each table's
// secondary indexes are dropped for its load and built again after it
// (twice as fast as keeping them up to date).
func (c benchCentre) load(tb testing.TB, s *sqlstore.Store) {
	tb.Helper()
	ctx := context.Background()
	perTable := map[string][]string{}
	for from := 0; from < c.days; from += 10 {
		for i, q := range c.statements(from, min(from+10, c.days)) {
			perTable[loadTables[i]] = append(perTable[loadTables[i]], q)
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- bulkLoad(ctx, s.DB(), "agent_event", perTable["agent_event"]) }()
	go func() {
		for _, t := range loadTables[:3] {
			if err := bulkLoad(ctx, s.DB(), t, perTable[t]); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for range 2 {
		if err := <-errs; err != nil {
			tb.Fatal(err)
		}
	}
	for _, q := range []string{c.agentStateStatement(), "ANALYZE"} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.PrepareReports(ctx); err != nil {
		tb.Fatal(err)
	}
	// Loaded behind the store's back: build the report rollups.
	if err := s.RebuildRollups(ctx, time.Time{}, time.Time{}); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
}

// bulkLoad runs stmts, which fill table, on one connection with the
// table's indexes other than its constraints' dropped, then builds them.
func bulkLoad(ctx context.Context, db *sql.DB, table string, stmts []string) error {
	if len(stmts) == 0 {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() AND tablename = $1
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`, table)
	if err != nil {
		return err
	}
	var drop, build []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return err
		}
		drop, build = append(drop, "DROP INDEX "+name), append(build, def)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	all := append(append(append([]string{"SET maintenance_work_mem = '256MB'"}, drop...), stmts...), build...)
	for _, q := range all {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
	}
	return nil
}

// generateCentre loads c into a fresh database dropped when b ends.
func generateCentre(b *testing.B, c benchCentre) *sqlstore.Store {
	b.Helper()
	s, err := sqlstore.Open(context.Background(), pgtest.DSN(b), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	c.load(b, s)
	return s
}

// BenchmarkViewsPostgres measures a one-day and a one-month query of each
// KPI view on PostgreSQL holding a month (30 days) of a 200-agent centre,
// and the one-day queries over 7 and 30 days of history (they should not
// grow). Run:
//
//	go test -run '^$' -bench 'ViewsPostgres$' -benchtime 3x ./internal/report/
func BenchmarkViewsPostgres(b *testing.B) {
	for _, days := range []int{7, 30} {
		benchViews(b, generateCentre(b, monthCentre(days)), days)
	}
}

// scaleEnv gates BenchmarkViewsPostgresScale: its load takes minutes.
const scaleEnv = "SCALE_BENCH"

// BenchmarkViewsPostgresScale is BenchmarkViewsPostgres at the size of
// issue 12: 1,000 agents, 30 and 90 days of history (26 M agent events and
// 2.5 M contacts at 90 days). It runs only with SCALE_BENCH=1. The loaded
// databases are kept (named after the centre, see scaleStore) and reused
// by later runs. Run:
//
//	SCALE_BENCH=1 go test -run '^$' -bench ViewsPostgresScale -benchtime 5x -timeout 60m ./internal/report/
func BenchmarkViewsPostgresScale(b *testing.B) {
	if os.Getenv(scaleEnv) == "" {
		b.Skipf("set %s=1 to load 90 days of a 1,000-agent centre (minutes; kept for later runs)", scaleEnv)
	}
	for _, days := range []int{30, 90} {
		benchViews(b, scaleStore(b, largeCentre(days)), days)
	}
}

// scaleStore opens the database named after c on the test server, loading
// it first unless an earlier run loaded it completely (report_setting
// holds the marker, written last). It is kept after the benchmark.
func scaleStore(b *testing.B, c benchCentre) *sqlstore.Store {
	b.Helper()
	ctx := context.Background()
	admin := pgtest.AdminURL(b)
	name := "scale_bench_" + c.String()
	dsn := admin + "/" + name
	if !loaded(ctx, dsn, c) {
		adm, err := sql.Open("pgx", admin+"/postgres")
		if err != nil {
			b.Fatal(err)
		}
		defer adm.Close()
		for _, q := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
			if _, err := adm.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		c.load(b, s)
		if _, err := s.DB().ExecContext(ctx, `INSERT INTO report_setting (name, value, updated_at) VALUES ('scale_bench', $1, now())`, c.String()); err != nil {
			b.Fatal(err)
		}
		s.Close()
		b.Logf("loaded %s in %s", name, time.Since(start).Round(time.Second))
	}
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// loaded reports whether the database at dsn holds the complete centre c.
func loaded(ctx context.Context, dsn string, c benchCentre) bool {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return false
	}
	defer db.Close()
	var v string
	err = db.QueryRowContext(ctx, "SELECT value FROM report_setting WHERE name = 'scale_bench'").Scan(&v)
	return err == nil && v == c.String()
}

// benchViews runs the one-day queries of every KPI view (the same day,
// benchStart + 15 days, whatever the longer history) and, with a month or
// more of history, the first month's queries.
func benchViews(b *testing.B, s *sqlstore.Store, days int) {
	day := benchStart.AddDate(0, 0, min(15, days/2))
	first, last := benchStart.Format(time.DateOnly), benchStart.AddDate(0, 0, 29).Format(time.DateOnly)
	for _, v := range []string{"kpi_queue_interval", "kpi_queue_day", "kpi_agent_status_day", "kpi_agent_day", "kpi_connect_queue_interval"} {
		benchQuery(b, s, fmt.Sprintf("history=%dd/%s/day", days, v),
			fmt.Sprintf("SELECT * FROM %s WHERE time_zone = 'UTC' AND local_date = '%s'", v, day.Format(time.DateOnly)))
		if days >= 30 {
			benchQuery(b, s, fmt.Sprintf("history=%dd/%s/month", days, v),
				fmt.Sprintf("SELECT * FROM %s WHERE time_zone = 'UTC' AND local_date BETWEEN '%s' AND '%s'", v, first, last))
		}
	}
	contacts := "SELECT * FROM kpi_contact WHERE initiation_timestamp >= '%s' AND initiation_timestamp < '%s'"
	benchQuery(b, s, fmt.Sprintf("history=%dd/kpi_contact/day", days),
		fmt.Sprintf(contacts, day.Format(time.RFC3339), day.AddDate(0, 0, 1).Format(time.RFC3339)))
	if days >= 30 {
		benchQuery(b, s, fmt.Sprintf("history=%dd/kpi_contact/month", days),
			fmt.Sprintf(contacts, benchStart.Format(time.RFC3339), benchStart.AddDate(0, 0, 30).Format(time.RFC3339)))
		// What a BI tool sends over a month of the row view (Power BI
		// DirectQuery, Grafana): an aggregate, not the 390,000 rows.
		benchQuery(b, s, fmt.Sprintf("history=%dd/kpi_contact/month-summary", days),
			fmt.Sprintf(contactSummary, benchStart.Format(time.RFC3339), benchStart.AddDate(0, 0, 30).Format(time.RFC3339)))
	}
}

// contactSummary totals a range of kpi_contact per queue and channel.
const contactSummary = `SELECT queue_id, channel, COUNT(*) AS contacts, SUM(queued) AS queued,
	SUM(answered) AS answered, SUM(abandoned) AS abandoned, SUM(handle_seconds) AS handle_seconds,
	MAX(queue_seconds) AS max_queue_seconds
FROM kpi_contact WHERE initiation_timestamp >= '%s' AND initiation_timestamp < '%s'
GROUP BY queue_id, channel`

func benchQuery(b *testing.B, s *sqlstore.Store, name, q string) {
	b.Run(name, func(b *testing.B) {
		ctx := context.Background()
		rowsSeen := 0
		for b.Loop() {
			rows, err := s.DB().QueryContext(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			rows.Close()
			rowsSeen = n
		}
		if rowsSeen == 0 {
			b.Fatalf("%s: no rows", q)
		}
		b.ReportMetric(float64(rowsSeen), "rows")
	})
}
