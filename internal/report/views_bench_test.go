package report_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// benchStart is the first day of the generated history.
var benchStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// generateCentre fills a PostgreSQL store directly (generate_series, no
// ingest, no raw) with days of a 200-agent centre on 8 queues: 13,000
// contacts a day, each agent 18 half-hour statuses a day (Available, a
// break every three hours), and 12 GetMetricDataV2 metrics per queue,
// channel and 15-minute interval. Then it lets the store keep
// report_interval and ANALYZEs.
func generateCentre(b *testing.B, dsn string, days int) *sqlstore.Store {
	b.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	day0 := benchStart.Format(time.RFC3339)
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
    'q' || i %% 8, 'Queue ' || i %% 8, CASE WHEN i %% 17 <> 0 THEN 'a' || i %% 200 END, i * 37 %% 90,
    CASE WHEN i %% 17 <> 0 THEN 200 + i %% 300 END, CASE WHEN i %% 17 <> 0 THEN i %% 40 END,
    CASE WHEN i %% 17 <> 0 THEN 30 + i %% 60 END, CASE WHEN i %% 17 <> 0 THEN i %% 2 END
FROM generate_series(0, %[1]d - 1) d, generate_series(1, 13000) i,
    LATERAL (SELECT timestamptz '%[2]s' + d * interval '1 day' + interval '7 hours' + i * interval '3.8 seconds' AS t) x`, days, day0),
		fmt.Sprintf(`INSERT INTO agent_status_interval (agent_id, start_timestamp, status_name, status_type, end_timestamp, duration_seconds, unbounded)
SELECT 'a' || a, t, CASE WHEN s %% 6 = 5 THEN 'Break' ELSE 'Available' END,
    CASE WHEN s %% 6 = 5 THEN 'CUSTOM' ELSE 'ROUTABLE' END, t + interval '30 minutes', 1800, 0
FROM generate_series(0, %[1]d - 1) d, generate_series(0, 199) a, generate_series(0, 17) s,
    LATERAL (SELECT timestamptz '%[2]s' + d * interval '1 day' + interval '7 hours' + s * interval '30 minutes' + a * interval '1 second' AS t) x`, days, day0),
		fmt.Sprintf(`INSERT INTO agent_state (agent_id, username, status_name, status_type, status_start_timestamp, last_event_timestamp, last_event_type)
SELECT 'a' || a, 'agent' || a, 'Offline', 'OFFLINE', timestamptz '%[2]s' + %[1]d * interval '1 day', timestamptz '%[2]s' + %[1]d * interval '1 day', 'LOGOUT'
FROM generate_series(0, 199) a`, days, day0),
		fmt.Sprintf(`INSERT INTO queue_interval_metric (queue_id, channel, interval_start, metric_name, interval_end, value, updated_at)
SELECT 'q' || q, c, t, m, t + interval '15 minutes', (q + n) %% 7, now()
FROM generate_series(0, %[1]d * 96 - 1) n, generate_series(0, 7) q, unnest(ARRAY['VOICE', 'CHAT', 'TASK']) c,
    unnest(ARRAY['CONTACTS_QUEUED', 'CONTACTS_HANDLED', 'CONTACTS_ABANDONED', 'SUM_HANDLE_TIME', 'SUM_HOLD_TIME',
        'SUM_AFTER_CONTACT_WORK_TIME', 'AVG_HANDLE_TIME__SUM', 'AVG_HANDLE_TIME__COUNT', 'SUM_CONTACTS_ANSWERED_IN_20',
        'SERVICE_LEVEL_20__COUNT', 'MAX_QUEUED_TIME', 'AVG_QUEUE_ANSWER_TIME__SUM']) m,
    LATERAL (SELECT timestamptz '%[2]s' + n * interval '15 minutes' AS t) x`, days, day0),
	}
	for _, q := range stmts {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.PrepareReports(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkViewsPostgres measures a one-day and a one-month query of each
// KPI view on PostgreSQL holding a month (30 days) of a 200-agent centre,
// and the one-day time-in-status query over 7 and 30 days of history
// (it should not grow). Run:
//
//	go test -run '^$' -bench ViewsPostgres -benchtime 3x ./internal/report/
func BenchmarkViewsPostgres(b *testing.B) {
	for _, days := range []int{7, 30} {
		s := generateCentre(b, pgtest.DSN(b), days)
		mid := benchStart.AddDate(0, 0, days/2).Format(time.DateOnly)
		last := benchStart.AddDate(0, 0, days-1).Format(time.DateOnly)
		first := benchStart.Format(time.DateOnly)
		for _, v := range []string{"kpi_queue_interval", "kpi_queue_day", "kpi_agent_status_day", "kpi_agent_day", "kpi_connect_queue_interval"} {
			benchQuery(b, s, fmt.Sprintf("history=%dd/%s/day", days, v),
				fmt.Sprintf("SELECT * FROM %s WHERE time_zone = 'UTC' AND local_date = '%s'", v, mid))
			if days == 30 {
				benchQuery(b, s, fmt.Sprintf("history=%dd/%s/month", days, v),
					fmt.Sprintf("SELECT * FROM %s WHERE time_zone = 'UTC' AND local_date BETWEEN '%s' AND '%s'", v, first, last))
			}
		}
		dayStart := benchStart.AddDate(0, 0, days/2)
		benchQuery(b, s, fmt.Sprintf("history=%dd/kpi_contact/day", days),
			fmt.Sprintf("SELECT * FROM kpi_contact WHERE initiation_timestamp >= '%s' AND initiation_timestamp < '%s'",
				dayStart.Format(time.RFC3339), dayStart.AddDate(0, 0, 1).Format(time.RFC3339)))
	}
}

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
