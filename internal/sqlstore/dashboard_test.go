package sqlstore

import (
	"context"
	"encoding/json"
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

func statsString(s connectreporting.DayStats) string {
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	return fmt.Sprintf("offered=%d handled=%d abandoned=%d waiting=%d handle=%g aht=%s in20=%d sl=%s",
		s.Offered, s.Handled, s.Abandoned, s.InQueue, s.HandleSeconds, f(s.AverageHandleSeconds), s.AnsweredInThreshold, f(s.ServiceLevel))
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

func TestIntegrationDashboardWallboard(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := openIngestStore(t, dialect, Options{})
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
				"q3 q3 CHAT | snap=2026-03-29T09:59:30Z inq=0 oldest=0 online=2 avail=2 oncontact=0 acw=0 | offered=0 handled=0 abandoned=0 waiting=0 handle=0 aht=- in20=0 sl=-",
				"q2 Sales VOICE | snap=nil inq=nil oldest=nil online=nil avail=nil oncontact=nil acw=nil | offered=1 handled=1 abandoned=0 waiting=0 handle=100 aht=100.00 in20=0 sl=0.00",
				"q1 Support CHAT | snap=nil inq=nil oldest=nil online=nil avail=nil oncontact=nil acw=nil | offered=1 handled=1 abandoned=0 waiting=0 handle=60 aht=60.00 in20=1 sl=100.00",
				"q1 Support VOICE | snap=2026-03-29T09:59:30Z inq=2 oldest=45 online=5 avail=1 oncontact=3 acw=1 | offered=4 handled=2 abandoned=1 waiting=1 handle=390 aht=195.00 in20=1 sl=33.33",
			)
			if got, want := statsString(wb.Total), "offered=6 handled=4 abandoned=1 waiting=1 handle=550 aht=137.50 in20=2 sl=40.00"; got != want {
				t.Errorf("total %s, want %s", got, want)
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
			for _, want := range []string{`"queues":[]`, `"agents":[]`, `"poll_checkpoints":[]`, `"last_agent_event":null`, `"time_zone":"UTC"`, `"service_level":null`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("empty wallboard lacks %s: %s", want, b)
				}
			}
		})
	}
}

func intervalLines(rows []connectreporting.QueueIntervalRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s-%s %s %s | %s", r.Local, r.IntervalStart.Format("15:04"), r.IntervalEnd.Format("15:04"),
			r.QueueName, r.Channel, statsString(r.Stats)))
	}
	return out
}

func TestIntegrationDashboardQueueIntervals(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openIngestStore(t, dialect, Options{})
			fillDashboard(t, s)
			// The whole local day of 2026-03-29: 23 hours.
			day := connectreporting.ReportQuery{From: hm(0, 0), To: time.Date(2026, 3, 29, 23, 0, 0, 0, time.UTC), Location: dashLondon, Now: dashNow}
			hourly := day
			hourly.Period = time.Hour
			rows, err := s.QueueIntervals(ctx, hourly)
			if err != nil {
				t.Fatal(err)
			}
			wantLines(t, "hourly", intervalLines(rows),
				"2026-03-29T00:00:00Z 00:00-01:00 Support VOICE | offered=2 handled=2 abandoned=0 waiting=0 handle=390 aht=195.00 in20=1 sl=50.00",
				// 01:00 UTC is 02:00 BST: the hour 01:00-02:00 local never was.
				"2026-03-29T02:00:00+01:00 01:00-02:00 Support VOICE | offered=2 handled=0 abandoned=1 waiting=1 handle=0 aht=- in20=0 sl=0.00",
				"2026-03-29T10:00:00+01:00 09:00-10:00 Sales VOICE | offered=1 handled=1 abandoned=0 waiting=0 handle=100 aht=100.00 in20=0 sl=0.00",
				"2026-03-29T10:00:00+01:00 09:00-10:00 Support CHAT | offered=1 handled=1 abandoned=0 waiting=0 handle=60 aht=60.00 in20=1 sl=100.00",
			)
			quarter := day
			quarter.Period = 15 * time.Minute
			quarter.To = hm(2, 0)
			if rows, err = s.QueueIntervals(ctx, quarter); err != nil {
				t.Fatal(err)
			}
			wantLines(t, "15 minutes", intervalLines(rows),
				"2026-03-29T00:00:00Z 00:00-00:15 Support VOICE | offered=1 handled=1 abandoned=0 waiting=0 handle=150 aht=150.00 in20=1 sl=100.00",
				"2026-03-29T00:45:00Z 00:45-01:00 Support VOICE | offered=1 handled=1 abandoned=0 waiting=0 handle=240 aht=240.00 in20=0 sl=0.00",
				"2026-03-29T02:00:00+01:00 01:00-01:15 Support VOICE | offered=1 handled=0 abandoned=1 waiting=0 handle=0 aht=- in20=0 sl=0.00",
				"2026-03-29T02:15:00+01:00 01:15-01:30 Support VOICE | offered=1 handled=0 abandoned=0 waiting=1 handle=0 aht=- in20=0 sl=-",
			)
			// Days in Go agree with the wallboard's aggregate in SQL.
			if rows, err = s.QueueIntervals(ctx, day); err != nil {
				t.Fatal(err)
			}
			wb, err := s.Wallboard(ctx, connectreporting.WallboardQuery{Now: dashNow, Location: dashLondon})
			if err != nil {
				t.Fatal(err)
			}
			var fromWallboard []string
			for _, q := range wb.Queues {
				if q.Today.Offered > 0 {
					fromWallboard = append(fromWallboard, fmt.Sprintf("2026-03-29T00:00:00Z 00:00-23:00 %s %s | %s", q.QueueName, q.Channel, statsString(q.Today)))
				}
			}
			wantLines(t, "daily report vs wallboard", intervalLines(rows), fromWallboard...)
		})
	}
}

func TestIntegrationDashboardClocksGoBack(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openIngestStore(t, dialect, Options{})
			// 2026-10-25: 02:00 BST (01:00 UTC) becomes 01:00 GMT; 01:30 local happens twice.
			at := func(h, m int) time.Time { return time.Date(2026, 10, 25, h, m, 0, 0, time.UTC) }
			_, err := s.StoreBatch(ctx, connectreporting.Batch{ContactRecords: []connectreporting.ContactRecord{
				dashContact("d1", "q1", "Support", "VOICE", at(0, 30), 10, true, true, 60, 0, 0),                                      // 01:30 BST
				dashContact("d2", "q1", "Support", "VOICE", at(1, 30), 30, true, true, 30, 0, 0),                                      // 01:30 GMT
				dashContact("d3", "q1", "Support", "VOICE", at(23, 30), 5, true, true, 10, 0, 0),                                      // 23:30 GMT
				dashContact("d4", "q1", "Support", "VOICE", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), 5, true, true, 10, 0, 0), // 00:30 BST
			}})
			if err != nil {
				t.Fatal(err)
			}
			// The local day is 25 hours: 23:00 UTC on the 24th to 00:00 UTC on the 26th.
			rq := connectreporting.ReportQuery{From: time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC),
				Location: dashLondon, Period: time.Hour}
			rows, err := s.QueueIntervals(ctx, rq)
			if err != nil {
				t.Fatal(err)
			}
			wantLines(t, "hourly on the 25-hour day", intervalLines(rows),
				"2026-10-25T00:00:00+01:00 23:00-00:00 Support VOICE | offered=1 handled=1 abandoned=0 waiting=0 handle=10 aht=10.00 in20=1 sl=100.00",
				"2026-10-25T01:00:00+01:00 00:00-01:00 Support VOICE | offered=1 handled=1 abandoned=0 waiting=0 handle=60 aht=60.00 in20=1 sl=100.00",
				"2026-10-25T01:00:00Z 01:00-02:00 Support VOICE | offered=1 handled=1 abandoned=0 waiting=0 handle=30 aht=30.00 in20=0 sl=0.00",
				"2026-10-25T23:00:00Z 23:00-00:00 Support VOICE | offered=1 handled=1 abandoned=0 waiting=0 handle=10 aht=10.00 in20=1 sl=100.00",
			)
			rq.Period = 0
			if rows, err = s.QueueIntervals(ctx, rq); err != nil {
				t.Fatal(err)
			}
			wantLines(t, "the 25-hour day", intervalLines(rows),
				"2026-10-25T00:00:00+01:00 23:00-00:00 Support VOICE | offered=4 handled=4 abandoned=0 waiting=0 handle=110 aht=27.50 in20=3 sl=75.00")
			if d := rows[0].IntervalEnd.Sub(rows[0].IntervalStart); d != 25*time.Hour {
				t.Errorf("day lasts %s", d)
			}
		})
	}
}

func TestIntegrationDashboardIntervalMetricsRollUp(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openIngestStore(t, dialect, Options{})
			fillDashboard(t, s)
			var ms []connectreporting.IntervalMetric
			add := func(slot int, name string, v float64) {
				start := hm(9, 0).Add(time.Duration(slot) * 15 * time.Minute)
				ms = append(ms, connectreporting.IntervalMetric{QueueID: "q1", Channel: "VOICE", IntervalStart: start, IntervalEnd: start.Add(15 * time.Minute), MetricName: name, Value: v})
			}
			// Four quarters of 10:00-11:00 BST (slots 0-3), one before, one after.
			handled := []float64{2, 3, 0, 5, 7, 1}
			handle := []float64{200, 330, 0, 400, 700, 50}
			maxQ := []float64{12, 40, 0, 33, 99, 1}
			sl := []float64{50, 100, 0, 80, 0, 0} // percent of those removed from queue, below
			removed := []float64{2, 3, 0, 5, 0, 1}
			for i, slot := range []int{0, 1, 2, 3, -1, 4} {
				add(slot, "CONTACTS_HANDLED", handled[i])
				add(slot, "SUM_HANDLE_TIME", handle[i])
				if handled[i] > 0 {
					add(slot, "AVG_HANDLE_TIME", handle[i]/handled[i])
				}
				add(slot, "AVG_HANDLE_TIME__SUM", handle[i])
				add(slot, "AVG_HANDLE_TIME__COUNT", handled[i])
				add(slot, "MAX_QUEUED_TIME", maxQ[i])
				if removed[i] > 0 {
					add(slot, "SERVICE_LEVEL_20", sl[i])
				}
				add(slot, "SERVICE_LEVEL_20__SUM", sl[i]*removed[i])
				add(slot, "SERVICE_LEVEL_20__COUNT", removed[i])
			}
			if err := s.StoreIntervalMetrics(ctx, ms); err != nil {
				t.Fatal(err)
			}
			rows, err := s.IntervalMetrics(ctx, connectreporting.ReportQuery{From: hm(9, 0), To: hm(11, 0), Location: dashLondon, Period: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				m := r.Metrics
				got = append(got, fmt.Sprintf("%s %s %s n=%d handled=%g sum=%g aht=%g max=%g sl20=%g metrics=%d", r.Local, r.QueueName, r.Channel, r.SourceCount,
					m["CONTACTS_HANDLED"], m["SUM_HANDLE_TIME"], m["AVG_HANDLE_TIME"], m["MAX_QUEUED_TIME"], m["SERVICE_LEVEL_20"], len(m)))
			}
			// 10:00 BST: AHT 930/10 = 93 (the mean of the stored averages would
			// be 96.67), SL 800/10 = 80 (not 76.67).
			wantLines(t, "hourly roll-up", got,
				"2026-03-29T10:00:00+01:00 Support VOICE n=4 handled=10 sum=930 aht=93 max=40 sl20=80 metrics=9",
				"2026-03-29T11:00:00+01:00 Support VOICE n=1 handled=1 sum=50 aht=50 max=1 sl20=0 metrics=9",
			)
			h, err := s.Health(ctx, dashNow)
			if err != nil {
				t.Fatal(err)
			}
			if tptr(h.LastIntervalMetric) != "2026-03-29T10:00:00Z" {
				t.Errorf("last interval metric %s", tptr(h.LastIntervalMetric))
			}
		})
	}
}

func TestIntegrationDashboardAgentStatusDays(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := openIngestStore(t, dialect, Options{})
			fillDashboard(t, s)
			rows, err := s.AgentStatusDays(context.Background(), connectreporting.ReportQuery{
				From: time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 29, 23, 0, 0, 0, time.UTC), Location: dashLondon, Now: dashNow})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, fmt.Sprintf("%s %s %s %s %s %g", r.Day, r.AgentID, r.Username, r.StatusName, r.StatusType, r.Seconds))
			}
			// Ann's login at 23:00 GMT is cut at midnight; her open interval
			// ends at now (10:00 UTC); Bob's logout opens Offline until now.
			wantLines(t, "time in status", got,
				"2026-03-28 a1 ann Available ROUTABLE 3600",
				"2026-03-29 a1 ann Available ROUTABLE 35100",
				"2026-03-29 a1 ann Break CUSTOM 900",
				"2026-03-29 a2 bob Available ROUTABLE 3600",
				"2026-03-29 a2 bob Offline OFFLINE 3600",
			)
		})
	}
}

func TestBucket(t *testing.T) {
	kolkata := mustZone("Asia/Kolkata")
	for _, c := range []struct {
		at     time.Time
		loc    *time.Location
		period time.Duration
		want   string
	}{
		{hm(0, 59), dashLondon, time.Hour, "2026-03-29T00:00:00Z/1h0m0s"},
		{hm(1, 0), dashLondon, time.Hour, "2026-03-29T02:00:00+01:00/1h0m0s"},
		{hm(1, 44), dashLondon, 30 * time.Minute, "2026-03-29T02:30:00+01:00/30m0s"},
		{hm(12, 0), dashLondon, 0, "2026-03-29T00:00:00Z/23h0m0s"},
		{time.Date(2026, 10, 25, 12, 0, 0, 0, time.UTC), dashLondon, 0, "2026-10-25T00:00:00+01:00/25h0m0s"},
		// Half-hour offset: hours are local hours.
		{time.Date(2026, 3, 29, 10, 10, 0, 0, time.UTC), kolkata, time.Hour, "2026-03-29T15:00:00+05:30/1h0m0s"},
		{time.Date(2026, 3, 29, 10, 10, 0, 0, time.UTC), kolkata, 15 * time.Minute, "2026-03-29T15:30:00+05:30/15m0s"},
		{time.Date(2026, 3, 29, 10, 10, 59, 999, time.UTC), time.UTC, 15 * time.Minute, "2026-03-29T10:00:00Z/15m0s"},
	} {
		start, end := Bucket(c.at, c.loc, c.period)
		if got := start.In(c.loc).Format(time.RFC3339) + "/" + end.Sub(start).String(); got != c.want {
			t.Errorf("Bucket(%s, %s, %s) = %s, want %s", c.at, c.loc, c.period, got, c.want)
		}
	}
}

func TestReportQueryChecked(t *testing.T) {
	s := openIngestStore(t, DialectSQLite, Options{})
	ctx := context.Background()
	for _, rq := range []connectreporting.ReportQuery{
		{From: hm(0, 0), To: hm(1, 0), Period: 7 * time.Minute},
		{From: hm(1, 0), To: hm(1, 0), Period: time.Hour},
		{From: hm(0, 0), To: hm(0, 0).Add(MaxReportRange + time.Hour)},
	} {
		if _, err := s.QueueIntervals(ctx, rq); err == nil || !strings.Contains(err.Error(), ErrBadReport.Error()) {
			t.Errorf("%+v: %v", rq, err)
		}
	}
}
