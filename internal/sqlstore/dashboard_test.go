package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// The dashboard fixture is one morning of a London contact centre on
// 2026-03-29, the day clocks go forward (01:00 GMT becomes 02:00 BST), read
// at 10:00 UTC (11:00 BST).
var (
	dashNow    = time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC)
	dashLondon = mustZone("Europe/London")
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// hm is 2026-03-29 at h:m UTC.
func hm(h, m int) time.Time { return time.Date(2026, 3, 29, h, m, 0, 0, time.UTC) }

func dashEvent(id, typ string, at time.Time, agent, username, status, statusType string, since time.Time) connectreporting.AgentEvent {
	return connectreporting.AgentEvent{EventID: id, EventType: typ, EventTimestamp: at, AgentID: agent,
		AgentARN: "arn:aws:connect:eu-west-2:123456789012:instance/i/agent/" + agent, Username: username,
		StatusName: status, StatusType: statusType, StatusStartTimestamp: since, RoutingProfileID: "rp1",
		Raw: json.RawMessage(fmt.Sprintf(`{"EventId":%q}`, id))}
}

// dashContact is a contact queued at enq on queue/channel. agentAfter < 0
// means no agent took it; gone says whether it disconnected.
func dashContact(id, queue, queueName, channel string, enq time.Time, queueSecs int64, agentAfter bool, gone bool, talk, hold, acw int64) connectreporting.ContactRecord {
	c := connectreporting.ContactRecord{ContactID: id, InitialContactID: id, Channel: channel, InitiationMethod: "INBOUND",
		InitiationTimestamp: enq.Add(-30 * time.Second), EnqueueTimestamp: enq, QueueID: queue, QueueName: queueName,
		QueueARN:            "arn:aws:connect:eu-west-2:123456789012:instance/i/queue/" + queue,
		LastUpdateTimestamp: enq.Add(10 * time.Minute), Raw: json.RawMessage(fmt.Sprintf(`{"ContactId":%q}`, id))}
	if queueSecs >= 0 {
		c.QueueDurationSeconds = &queueSecs
	}
	if agentAfter {
		c.ConnectedToAgentTimestamp = enq.Add(time.Duration(queueSecs) * time.Second)
		c.DequeueTimestamp = c.ConnectedToAgentTimestamp
		c.AgentID, c.AgentUsername = "a1", "ann"
		c.AgentInteractionDurationSeconds, c.CustomerHoldDurationSeconds, c.AfterContactWorkDurationSeconds = &talk, &hold, &acw
	}
	if gone {
		c.DisconnectTimestamp = enq.Add(time.Duration(queueSecs+talk+hold) * time.Second)
	}
	return c
}

func fillDashboard(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	s.now = func() time.Time { return dashNow }
	_, err := s.SyncConfiguration(ctx, connectreporting.Configuration{
		ReadAt: hm(0, 0).Add(-24 * time.Hour),
		Users: []connectreporting.User{
			{ID: "a1", Username: "ann", FirstName: "Ann", LastName: "Smith", RoutingProfileID: "rp1"},
			{ID: "a2", Username: "bob", RoutingProfileID: "rp1"},
		},
		RoutingProfiles: []connectreporting.RoutingProfile{{ID: "rp1", Name: "Basic"}},
		Queues:          []connectreporting.Queue{{ID: "q1", Name: "Support", Type: "STANDARD"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	yesterday := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC) // 23:00 GMT on the 28th
	b := connectreporting.Batch{
		AgentEvents: []connectreporting.AgentEvent{
			dashEvent("e1", connectreporting.AgentEventLogin, yesterday, "a1", "ann", "Available", "ROUTABLE", yesterday),
			dashEvent("e2", connectreporting.AgentEventStateChange, hm(0, 30), "a1", "ann", "Break", "CUSTOM", hm(0, 30)),
			dashEvent("e3", connectreporting.AgentEventStateChange, hm(0, 45), "a1", "ann", "Available", "ROUTABLE", hm(0, 45)),
			dashEvent("e4", connectreporting.AgentEventLogin, hm(8, 0), "a2", "bob", "Available", "ROUTABLE", hm(8, 0)),
			dashEvent("e5", connectreporting.AgentEventLogout, hm(9, 0), "a2", "bob", "Offline", "OFFLINE", hm(9, 0)),
		},
		ContactRecords: []connectreporting.ContactRecord{
			// q1 VOICE: two handled before the clocks change (one within 20 s),
			// one abandoned and one still waiting after.
			dashContact("c1", "q1", "old-name", "VOICE", hm(0, 10), 15, true, true, 100, 20, 30),
			dashContact("c2", "q1", "old-name", "VOICE", hm(0, 50), 40, true, true, 200, 0, 40),
			dashContact("c3", "q1", "old-name", "VOICE", hm(1, 5), 50, false, true, 0, 0, 0),
			dashContact("c4", "q1", "old-name", "VOICE", hm(1, 20), -1, false, false, 0, 0, 0),
			dashContact("c5", "q1", "old-name", "CHAT", hm(9, 30), 5, true, true, 60, 0, 0),
			// q2 has no configuration row: its name comes from the records. Queued
			// exactly 20 s: not within the service level (Connect: less than).
			dashContact("c6", "q2", "Sales", "VOICE", hm(9, 45), 20, true, true, 90, 0, 10),
			// Yesterday in London: not today.
			dashContact("c7", "q1", "old-name", "VOICE", time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), 5, true, true, 10, 0, 0),
			// Outbound, never queued: in no queue figure.
			{ContactID: "c8", Channel: "VOICE", InitiationMethod: "OUTBOUND", InitiationTimestamp: hm(9, 0), LastUpdateTimestamp: hm(9, 5), Raw: json.RawMessage(`{"ContactId":"c8"}`)},
		},
		Rejected: []connectreporting.RejectedRecord{
			{Source: connectreporting.SourceCTR, SequenceNumber: "1", ReceivedAt: dashNow.Add(-25 * time.Hour), Error: "bad", Payload: []byte("x")},
			{Source: connectreporting.SourceCTR, SequenceNumber: "2", ReceivedAt: hm(9, 30), Error: "bad", Payload: []byte("y")},
		},
	}
	if _, err := s.StoreBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	q := func(at time.Time, queue, ch string, inQ, oldest, online, avail, onContact, acw float64) connectreporting.QueueSnapshot {
		return connectreporting.QueueSnapshot{SnapshotTime: at, QueueID: queue, Channel: ch, ContactsInQueue: f64(inQ),
			OldestContactAgeSeconds: f64(oldest), AgentsOnline: f64(online), AgentsAvailable: f64(avail),
			AgentsOnContact: f64(onContact), AgentsAfterContactWork: f64(acw), AgentsStaffed: f64(online)}
	}
	for _, snaps := range [][]connectreporting.QueueSnapshot{
		{q(hm(9, 58), "q1", "VOICE", 9, 99, 9, 9, 9, 9)},
		{q(hm(9, 59).Add(30*time.Second), "q1", "VOICE", 2, 45, 5, 1, 3, 1), q(hm(9, 59).Add(30*time.Second), "q3", "CHAT", 0, 0, 2, 2, 0, 0)},
	} {
		if err := s.StoreQueueSnapshots(ctx, snaps); err != nil {
			t.Fatal(err)
		}
	}
	err = s.StoreAgentSnapshots(ctx, []connectreporting.AgentSnapshot{
		{SnapshotTime: hm(9, 59), AgentID: "a1", Username: "ann", StatusName: "Available", StatusStartTimestamp: hm(0, 45), ContactCount: 1, ContactsByChannel: map[string]int{"VOICE": 1}},
		{SnapshotTime: hm(9, 59), AgentID: "a3", Username: "cat", StatusName: "Lunch", StatusStartTimestamp: hm(9, 30)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetCheckpoint(ctx, "historical", "queues", hm(9, 45)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStreamCheckpoint(ctx, "AgentEvents", "shardId-000000000000", "49590338271490256608559692538361571095921575989136588898"); err != nil {
		t.Fatal(err)
	}
}

func statsString(s connectreporting.QueueFigures) string {
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	return fmt.Sprintf("queued=%d answered=%d abandoned=%d left=%d handle=%g aht=%s within=%d/%ds sl=%s",
		s.ContactsQueued, s.ContactsAnswered, s.ContactsAbandoned, s.ContactsLeftQueue, s.HandleSeconds, f(s.AvgHandleSeconds),
		s.AnsweredWithinSL, s.SLThresholdSeconds, f(s.ServiceLevelPct))
}

func fptr(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func tptr(p *time.Time) string {
	if p == nil {
		return "nil"
	}
	return p.UTC().Format(time.RFC3339)
}

func wantLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestIntegrationDashboardWallboard: live figures from the snapshots and
// agent_state, today's from kpi_queue_day (contacts by initiation time, the
// service level "less than" the threshold).
func TestIntegrationDashboardWallboard(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := openIngestStore(t, dialect, Options{TimeZones: []*time.Location{dashLondon}})
			fillDashboard(t, s)
			wb, err := s.Wallboard(context.Background(), connectreporting.WallboardQuery{Now: dashNow, Location: dashLondon})
			if err != nil {
				t.Fatal(err)
			}
			if wb.Day != "2026-03-29" || !wb.DayStart.Equal(hm(0, 0)) || wb.TimeZone != "Europe/London" || wb.ServiceLevelSeconds != 20 {
				t.Errorf("day %s start %s zone %s sl %d", wb.Day, wb.DayStart, wb.TimeZone, wb.ServiceLevelSeconds)
			}
			var queues []string
			for _, q := range wb.Queues {
				queues = append(queues, fmt.Sprintf("%s %s %s | snap=%s inq=%s oldest=%s online=%s avail=%s oncontact=%s acw=%s | %s",
					q.QueueID, q.QueueName, q.Channel, tptr(q.SnapshotTime), fptr(q.ContactsInQueue), fptr(q.OldestContactAgeSeconds),
					fptr(q.AgentsOnline), fptr(q.AgentsAvailable), fptr(q.AgentsOnContact), fptr(q.AgentsAfterContactWork), statsString(q.Today)))
			}
			wantLines(t, "wallboard queues", queues,
				"q3 q3 CHAT | snap=2026-03-29T09:59:30Z inq=0 oldest=0 online=2 avail=2 oncontact=0 acw=0 | queued=0 answered=0 abandoned=0 left=0 handle=0 aht=- within=0/20s sl=-",
				"q2 Sales VOICE | snap=nil inq=nil oldest=nil online=nil avail=nil oncontact=nil acw=nil | queued=1 answered=1 abandoned=0 left=1 handle=100 aht=100.00 within=0/20s sl=0.00",
				"q1 Support CHAT | snap=nil inq=nil oldest=nil online=nil avail=nil oncontact=nil acw=nil | queued=1 answered=1 abandoned=0 left=1 handle=60 aht=60.00 within=1/20s sl=100.00",
				"q1 Support VOICE | snap=2026-03-29T09:59:30Z inq=2 oldest=45 online=5 avail=1 oncontact=3 acw=1 | queued=4 answered=2 abandoned=1 left=3 handle=390 aht=195.00 within=1/20s sl=33.33",
			)
			if got, want := statsString(wb.Total), "queued=6 answered=4 abandoned=1 left=5 handle=550 aht=137.50 within=2/20s sl=40.00"; got != want {
				t.Errorf("total %s, want %s", got, want)
			}
			// Live: 2 waiting (q3 none), the oldest 45 s; ann is available
			// (her contact count in agent_state is 0), bob logged out.
			if n := wb.Now; fptr(n.ContactsInQueue) != "2" || fptr(n.OldestContactAgeSeconds) != "45" || n.AgentsOnline != 1 || n.AgentsAvailable != 1 ||
				n.AgentsOnContact != 0 || n.AgentsOther != 0 || tptr(n.SnapshotTime) != "2026-03-29T09:59:30Z" {
				t.Errorf("now %+v", n)
			}
			// A threshold of 41 s: c2 (40 s) and c6 (20 s) are within it too.
			wb41, err := s.Wallboard(context.Background(), connectreporting.WallboardQuery{Now: dashNow, Location: dashLondon, ServiceLevelSeconds: 41})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := statsString(wb41.Total), "queued=6 answered=4 abandoned=1 left=5 handle=550 aht=137.50 within=4/41s sl=80.00"; got != want || wb41.ServiceLevelSeconds != 41 {
				t.Errorf("total at 41 s %s, want %s", got, want)
			}
			var agents []string
			for _, a := range wb.Agents {
				line := fmt.Sprintf("%s %s %q %q | %s %s since=%s count=%d last=%s %s rp=%s", a.AgentID, a.Username, a.FirstName, a.LastName,
					a.StatusName, a.StatusType, tptr(a.StatusSince), a.ContactCount, tptr(a.LastEventTime), a.LastEventType, a.RoutingProfile)
				if a.Snapshot != nil {
					line += fmt.Sprintf(" | snap %s %s since=%s count=%d %v", a.Snapshot.SnapshotTime.Format(time.RFC3339), a.Snapshot.StatusName,
						tptr(a.Snapshot.StatusSince), a.Snapshot.ContactCount, a.Snapshot.ContactsByChannel)
				}
				agents = append(agents, line)
			}
			wantLines(t, "wallboard agents", agents,
				`a1 ann "Ann" "Smith" | Available ROUTABLE since=2026-03-29T00:45:00Z count=0 last=2026-03-29T00:45:00Z STATE_CHANGE rp=Basic | snap 2026-03-29T09:59:00Z Available since=2026-03-29T00:45:00Z count=1 map[VOICE:1]`,
				`a2 bob "" "" | Offline OFFLINE since=2026-03-29T09:00:00Z count=0 last=2026-03-29T09:00:00Z LOGOUT rp=Basic`,
				`a3 cat "" "" |   since=nil count=0 last=nil  rp= | snap 2026-03-29T09:59:00Z Lunch since=2026-03-29T09:30:00Z count=0 map[]`,
			)
			h := wb.Health
			got := fmt.Sprintf("dialect=%s event=%s contact=%s qsnap=%s asnap=%s metric=%s rejected24h=%d lastrejected=%s",
				h.Dialect, tptr(h.LastAgentEvent), tptr(h.LastContact), tptr(h.LastQueueSnapshot), tptr(h.LastAgentSnapshot),
				tptr(h.LastIntervalMetric), h.RejectedLast24h, tptr(h.LastRejected))
			want := fmt.Sprintf("dialect=%s event=2026-03-29T09:00:00Z contact=2026-03-29T09:44:30Z qsnap=2026-03-29T09:59:30Z asnap=2026-03-29T09:59:00Z metric=nil rejected24h=1 lastrejected=2026-03-29T09:30:00Z", dialect)
			if got != want {
				t.Errorf("health\n got %s\nwant %s", got, want)
			}
			if len(h.PollCheckpoints) != 1 || h.PollCheckpoints[0] != (connectreporting.PollCheckpointStatus{Poller: "historical", Scope: "queues", Watermark: hm(9, 45), UpdatedAt: dashNow}) {
				t.Errorf("poll checkpoints %+v", h.PollCheckpoints)
			}
			if len(h.StreamCheckpoints) != 1 || h.StreamCheckpoints[0].Stream != "AgentEvents" || !h.StreamCheckpoints[0].UpdatedAt.Equal(dashNow) {
				t.Errorf("stream checkpoints %+v", h.StreamCheckpoints)
			}
		})
	}
}

func TestIntegrationDashboardEmpty(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := openIngestStore(t, dialect, Options{})
			wb, err := s.Wallboard(context.Background(), connectreporting.WallboardQuery{Now: dashNow})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(wb)
			for _, want := range []string{`"queues":[]`, `"agents":[]`, `"poll_checkpoints":[]`, `"last_agent_event":null`, `"time_zone":"UTC"`, `"service_level_pct":null`, `"service_level_seconds":20`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("empty wallboard lacks %s: %s", want, b)
				}
			}
		})
	}
}

// TestIntegrationDashboardIntervalMetrics: Connect's own figures come from
// kpi_connect_queue_interval, averages recomputed from their sums and counts.
func TestIntegrationDashboardIntervalMetrics(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openIngestStore(t, dialect, Options{TimeZones: []*time.Location{dashLondon}})
			fillDashboard(t, s)
			var ms []connectreporting.IntervalMetric
			add := func(slot int, name string, v float64) {
				start := hm(9, 0).Add(time.Duration(slot) * 15 * time.Minute)
				ms = append(ms, connectreporting.IntervalMetric{QueueID: "q1", Channel: "VOICE", IntervalStart: start, IntervalEnd: start.Add(15 * time.Minute), MetricName: name, Value: v})
			}
			for slot, handled := range []float64{2, 3} {
				add(slot, "CONTACTS_HANDLED", handled)
				add(slot, "AVG_HANDLE_TIME", 999) // the stored average is not used
				add(slot, "AVG_HANDLE_TIME__SUM", 100*handled+10)
				add(slot, "AVG_HANDLE_TIME__COUNT", handled)
				add(slot, "MAX_QUEUED_TIME", 12*handled)
			}
			if err := s.StoreIntervalMetrics(ctx, ms); err != nil {
				t.Fatal(err)
			}
			rows, err := s.IntervalMetrics(ctx, connectreporting.ReportQuery{From: hm(9, 0), To: hm(11, 0), Location: dashLondon, Period: 15 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				m := r.Metrics
				got = append(got, fmt.Sprintf("%s %s %s %s handled=%s aht=%s max=%s abandoned=%s", r.Local, r.LocalDate, r.QueueName, r.Channel,
					fptr(m["contacts_handled"]), fptr(m["avg_handle_seconds"]), fptr(m["max_queue_seconds"]), fptr(m["contacts_abandoned"])))
			}
			wantLines(t, "kpi_connect_queue_interval", got,
				"2026-03-29T10:00:00+01:00 2026-03-29 Support VOICE handled=2 aht=105 max=24 abandoned=nil",
				"2026-03-29T10:15:00+01:00 2026-03-29 Support VOICE handled=3 aht=103.33333333333333 max=36 abandoned=nil",
			)
			if _, err := s.IntervalMetrics(ctx, connectreporting.ReportQuery{From: hm(9, 0), To: hm(11, 0), Location: dashLondon}); !errors.Is(err, ErrBadReport) {
				t.Errorf("by day: %v", err)
			}
			h, err := s.Health(ctx, dashNow)
			if err != nil {
				t.Fatal(err)
			}
			if tptr(h.LastIntervalMetric) != "2026-03-29T09:15:00Z" {
				t.Errorf("last interval metric %s", tptr(h.LastIntervalMetric))
			}
		})
	}
}

func TestReportQueryChecked(t *testing.T) {
	s := openIngestStore(t, DialectSQLite, Options{})
	ctx := context.Background()
	for _, rq := range []connectreporting.ReportQuery{
		{From: hm(0, 0), To: hm(1, 0), Period: 7 * time.Minute},
		{From: hm(0, 0), To: hm(1, 0), Period: time.Hour}, // the views have 15 minutes and days
		{From: hm(1, 0), To: hm(1, 0), Period: 15 * time.Minute},
		{From: hm(0, 0), To: hm(0, 0).Add(MaxReportRange + time.Hour)},
	} {
		if _, err := s.QueueIntervals(ctx, rq); !errors.Is(err, ErrBadReport) {
			t.Errorf("%+v: %v", rq, err)
		}
	}
}
