package sqlstore

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// TestIntegrationKPIViewsHandMade stores hand-made records whose KPI values
// are known and reads them back from the views on every dialect (SQL
// Server with MSSQL_DSN): "less than" the threshold (19 s and 5 s are
// within 20 s, 20 s is not), abandons without
// callbacks, transfers, the 25-hour day of a fall-back, a status cut at
// local midnight, and an open status that ends at the last heartbeat
// (a heartbeat not stored as a row), whatever the order of delivery.
func TestIntegrationKPIViewsHandMade(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	i64 := func(v int64) *int64 { return &v }
	ev := func(id, typ, local, status, stype, start string) connectreporting.AgentEvent {
		e := connectreporting.AgentEvent{EventID: id, EventType: typ, EventTimestamp: at(local), AgentID: "a1", Username: "ann",
			StatusName: status, StatusType: stype}
		if start != "" {
			e.StatusStartTimestamp = at(start)
		}
		return e
	}
	available := ev("e1", "STATE_CHANGE", "2024-11-03 23:30:00", "Available", "ROUTABLE", "2024-11-03 23:30:00")
	brk := ev("e2", "STATE_CHANGE", "2024-11-04 00:20:00", "Break", "CUSTOM", "2024-11-04 00:20:00")
	beat := ev("e3", "HEART_BEAT", "2024-11-04 00:50:00", "Break", "CUSTOM", "2024-11-04 00:20:00")
	contact := func(id, method string, queue int64, agent bool) connectreporting.ContactRecord {
		init := at("2024-11-03 10:00:05")
		c := connectreporting.ContactRecord{ContactID: id, Channel: "VOICE", InitiationMethod: method, InitiationTimestamp: init,
			QueueID: "q1", QueueName: "Sales", EnqueueTimestamp: init.Add(5 * time.Second), QueueDurationSeconds: i64(queue),
			DequeueTimestamp: init.Add(time.Duration(5+queue) * time.Second), DisconnectTimestamp: init.Add(10 * time.Minute),
			LastUpdateTimestamp: init.Add(11 * time.Minute)}
		if agent {
			c.AgentID, c.ConnectedToAgentTimestamp = "a1", c.DequeueTimestamp
			c.AgentInteractionDurationSeconds, c.CustomerHoldDurationSeconds = i64(100), i64(10)
			c.AfterContactWorkDurationSeconds, c.NumberOfHolds = i64(20), i64(1)
		}
		return c
	}
	transferred := contact("c5", "INBOUND", 5, true)
	transferred.NextContactID = "c6"
	contacts := []connectreporting.ContactRecord{contact("c1", "INBOUND", 19, true), contact("c2", "INBOUND", 20, true),
		contact("c3", "INBOUND", 30, false), contact("c4", "CALLBACK", 40, false), transferred}

	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openIngestStore(t, dialect, Options{TimeZones: []*time.Location{ny}})
			for _, b := range []connectreporting.Batch{
				{AgentEvents: []connectreporting.AgentEvent{beat, brk}},
				{AgentEvents: []connectreporting.AgentEvent{available, brk}, ContactRecords: contacts},
				{AgentEvents: []connectreporting.AgentEvent{available}, ContactRecords: contacts[:2]},
			} {
				if _, err := s.StoreBatch(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			zone := "'America/New_York'"
			checkScalars(t, s, "SELECT COUNT(*) FROM report_interval WHERE time_zone = "+zone+" AND local_date = '2024-11-03'", 100)
			checkScalars(t, s, `SELECT contacts_queued, contacts_answered, contacts_handled, contacts_abandoned, contacts_left_queue,
    answered_within_sl, sl_threshold_seconds, service_level_pct, abandonment_rate_pct, callbacks, transferred_out,
    max_queue_seconds, avg_answer_seconds, avg_handle_seconds, avg_hold_seconds
FROM kpi_queue_interval WHERE time_zone = `+zone+` AND local_date = '2024-11-03'`,
				5, 3, 3, 1, 5, 2, 20, 40, 20, 1, 1, 40, (19.0+20+5)/3, 130, 10)
			checkScalars(t, s, "SELECT contacts_queued, service_level_pct FROM kpi_queue_day WHERE time_zone = "+zone+" AND local_date = '2024-11-03'", 5, 40)
			checkScalars(t, s, "SELECT seconds FROM kpi_agent_status_day WHERE time_zone = "+zone+" AND local_date = '2024-11-03' AND status_name = 'Available'", 1800)
			checkScalars(t, s, "SELECT seconds FROM kpi_agent_status_day WHERE time_zone = "+zone+" AND local_date = '2024-11-04' AND status_name = 'Available'", 1200)
			checkScalars(t, s, "SELECT seconds FROM kpi_agent_status_day WHERE time_zone = "+zone+" AND local_date = '2024-11-04' AND status_name = 'Break'", 1800)
			checkScalars(t, s, `SELECT contacts_handled, handle_seconds, available_seconds, occupancy_pct
FROM kpi_agent_day WHERE time_zone = `+zone+` AND local_date = '2024-11-03'`, 3, 390, 1800, 100*390.0/1800)
		})
	}
}

// checkScalars runs q, which returns one row, and compares its columns.
func checkScalars(t *testing.T, s *Store, q string, want ...float64) {
	t.Helper()
	got := make([]any, len(want))
	ptrs := make([]any, len(want))
	for i := range got {
		ptrs[i] = &got[i]
	}
	if err := s.DB().QueryRow(q).Scan(ptrs...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	for i, w := range want {
		var f float64
		switch v := got[i].(type) {
		case []byte:
			fmt.Sscan(string(v), &f)
		case string:
			fmt.Sscan(v, &f)
		default:
			fmt.Sscan(fmt.Sprint(v), &f)
		}
		if math.Abs(f-w) > 1e-6 {
			t.Errorf("%s\ncolumn %d: %v, want %v", q, i+1, got[i], w)
		}
	}
}
