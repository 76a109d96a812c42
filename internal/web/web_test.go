package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
	"github.com/connect-reporting/connect-reporting/internal/web"
)

var (
	now    = time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC) // 11:00 BST
	london = mustZone("Europe/London")
)

// Names that would run script if the page put them in as HTML.
const (
	evilQueue = `<script>alert("q")</script>`
	evilAgent = `<img src=x onerror=alert(1)>`
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func at(h, m int) time.Time { return time.Date(2026, 3, 29, h, m, 0, 0, time.UTC) }

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

// contact is a handled (agent true) or abandoned contact queued at enq.
func contact(id, queue, channel string, enq time.Time, queueSecs int64, agent bool, talk, acw int64) connectreporting.ContactRecord {
	c := connectreporting.ContactRecord{ContactID: id, Channel: channel, InitiationMethod: "INBOUND",
		InitiationTimestamp: enq.Add(-10 * time.Second), EnqueueTimestamp: enq, QueueID: queue,
		QueueDurationSeconds: i64(queueSecs), LastUpdateTimestamp: enq.Add(5 * time.Minute),
		DisconnectTimestamp: enq.Add(time.Duration(queueSecs+talk) * time.Second),
		Raw:                 json.RawMessage(fmt.Sprintf(`{"ContactId":%q}`, id))}
	if agent {
		c.ConnectedToAgentTimestamp = enq.Add(time.Duration(queueSecs) * time.Second)
		c.AgentID = "a1"
		c.AgentInteractionDurationSeconds, c.CustomerHoldDurationSeconds, c.AfterContactWorkDurationSeconds = i64(talk), i64(0), i64(acw)
	}
	return c
}

func event(id, typ string, ts time.Time, agent, user, status, stype string) connectreporting.AgentEvent {
	return connectreporting.AgentEvent{EventID: id, EventType: typ, EventTimestamp: ts, AgentID: agent, Username: user,
		StatusName: status, StatusType: stype, StatusStartTimestamp: ts, RoutingProfileID: "rp1",
		Raw: json.RawMessage(fmt.Sprintf(`{"EventId":%q}`, id))}
}

// openStore returns a SQLite store holding one morning: queue q1 (named
// evilQueue) with 3 VOICE contacts today (2 handled, one within 20 s, 1
// abandoned), a live snapshot (4 in queue, oldest 75 s, 6 online, 2
// available), agents evilAgent (Available, on one contact) and "bob" (Break).
func openStore(t testing.TB) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "web.db"), sqlstore.Options{TimeZones: []*time.Location{london, time.UTC}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	_, err = s.SyncConfiguration(ctx, connectreporting.Configuration{ReadAt: at(0, 0),
		Queues:          []connectreporting.Queue{{ID: "q1", Name: evilQueue, Type: "STANDARD"}},
		Users:           []connectreporting.User{{ID: "a1", Username: evilAgent, FirstName: "Eve", RoutingProfileID: "rp1"}, {ID: "a2", Username: "bob"}},
		RoutingProfiles: []connectreporting.RoutingProfile{{ID: "rp1", Name: "Front line"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.StoreBatch(ctx, connectreporting.Batch{
		AgentEvents: []connectreporting.AgentEvent{
			event("e1", connectreporting.AgentEventLogin, at(8, 0), "a1", evilAgent, "Available", "ROUTABLE"),
			event("e2", connectreporting.AgentEventLogin, at(8, 30), "a2", "bob", "Available", "ROUTABLE"),
			event("e3", connectreporting.AgentEventStateChange, at(9, 50), "a2", "bob", "Break", "CUSTOM"),
			// Bob's last evidence: a heartbeat at 10:00 (his break is 10 minutes).
			func() connectreporting.AgentEvent {
				e := event("e4", connectreporting.AgentEventHeartBeat, at(10, 0), "a2", "bob", "Break", "CUSTOM")
				e.StatusStartTimestamp = at(9, 50)
				return e
			}(),
		},
		ContactRecords: []connectreporting.ContactRecord{
			contact("c1", "q1", "VOICE", at(9, 0), 10, true, 200, 40),
			contact("c2", "q1", "VOICE", at(9, 20), 45, true, 300, 60),
			contact("c3", "q1", "VOICE", at(9, 40), 30, false, 0, 0),
		},
		Rejected: []connectreporting.RejectedRecord{{Source: connectreporting.SourceCTR, SequenceNumber: "9", ReceivedAt: at(9, 30), Error: "bad json", Payload: []byte("{")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.StoreQueueSnapshots(ctx, []connectreporting.QueueSnapshot{{SnapshotTime: at(9, 59), QueueID: "q1", Channel: "VOICE",
		ContactsInQueue: f64(4), OldestContactAgeSeconds: f64(75), AgentsOnline: f64(6), AgentsAvailable: f64(2), AgentsOnContact: f64(3), AgentsAfterContactWork: f64(1)}})
	if err != nil {
		t.Fatal(err)
	}
	err = s.StoreAgentSnapshots(ctx, []connectreporting.AgentSnapshot{{SnapshotTime: at(9, 59), AgentID: "a1", StatusName: "Available", ContactCount: 1, ContactsByChannel: map[string]int{"VOICE": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newHandler(r web.Reader, logs io.Writer) http.Handler {
	if logs == nil {
		logs = io.Discard
	}
	return web.New(r, web.Options{Location: london, Zones: []*time.Location{time.UTC}, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
}

func get(t *testing.T, h http.Handler, target string) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestWallboardJSON(t *testing.T) {
	h := newHandler(openStore(t), nil)
	res, body := get(t, h, "/api/wallboard")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json; charset=utf-8" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, headers %v: %s", res.StatusCode, res.Header, body)
	}
	// JSON escapes markup: nothing in the body is HTML.
	if bytes.ContainsAny(body, "<>") {
		t.Errorf("body holds raw < or >: %s", body)
	}
	var wb connectreporting.Wallboard
	if err := json.Unmarshal(body, &wb); err != nil {
		t.Fatal(err)
	}
	if wb.TimeZone != "Europe/London" || wb.Day != "2026-03-29" || len(wb.Queues) != 1 || len(wb.Agents) != 2 {
		t.Fatalf("wallboard %+v", wb)
	}
	q := wb.Queues[0]
	if q.QueueName != evilQueue || *q.ContactsInQueue != 4 || *q.OldestContactAgeSeconds != 75 || q.Today.ContactsQueued != 3 || q.Today.ContactsAnswered != 2 ||
		q.Today.ContactsAbandoned != 1 || *q.Today.AvgHandleSeconds != 300 || fmt.Sprintf("%.2f", *q.Today.ServiceLevelPct) != "33.33" || q.Today.SLThresholdSeconds != 20 {
		t.Errorf("queue %+v today %+v", q, q.Today)
	}
	if a := wb.Agents[0]; a.Username != evilAgent || a.StatusName != "Available" || a.RoutingProfile != "Front line" || a.Snapshot == nil || a.Snapshot.ContactCount != 1 {
		t.Errorf("agent %+v", a)
	}
	if wb.Health.RejectedLast24h != 1 || wb.Health.LastQueueSnapshot == nil {
		t.Errorf("health %+v", wb.Health)
	}
	// The shape the page reads.
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	if n := wb.Now; *n.ContactsInQueue != 4 || *n.OldestContactAgeSeconds != 75 || n.AgentsOnline != 2 || n.AgentsAvailable != 1 || n.AgentsOther != 1 {
		t.Errorf("now %+v", n)
	}
	if tot := wb.Total; tot.ContactsQueued != 3 || tot.AnsweredWithinSL != 1 || fmt.Sprintf("%.2f", *tot.ServiceLevelPct) != "33.33" || *tot.AvgHandleSeconds != 300 {
		t.Errorf("total %+v", tot)
	}
	for _, k := range []string{"generated_at", "time_zone", "day", "day_start", "service_level_seconds", "now", "queues", "total", "agents", "health"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("wallboard lacks %q", k)
		}
	}
	queue := raw["queues"].([]any)[0].(map[string]any)
	for _, k := range []string{"queue_id", "queue_name", "channel", "snapshot_time", "contacts_in_queue", "oldest_contact_age_seconds", "agents_online", "agents_available", "agents_on_contact", "agents_after_contact_work", "today"} {
		if _, ok := queue[k]; !ok {
			t.Errorf("queue lacks %q", k)
		}
	}

	// Another report zone: the day starts at 00:00 UTC, not 00:00 GMT... and
	// the contacts of the day are the same ones.
	if _, body = get(t, h, "/api/wallboard?tz=UTC"); !strings.Contains(string(body), `"day":"2026-03-29","day_start":"2026-03-29T00:00:00Z"`) ||
		!strings.Contains(string(body), `"total":{"contacts_queued":3`) {
		t.Errorf("UTC: %s", body)
	}
}

func TestReports(t *testing.T) {
	h := newHandler(openStore(t), nil)
	res, body := get(t, h, "/api/reports/queue-intervals?from=2026-03-29&period=15")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	var rep struct {
		Report              string                              `json:"report"`
		TimeZone            string                              `json:"time_zone"`
		From                time.Time                           `json:"from"`
		To                  time.Time                           `json:"to"`
		PeriodMinutes       int                                 `json:"period_minutes"`
		ServiceLevelSeconds int                                 `json:"service_level_seconds"`
		Rows                []connectreporting.QueueIntervalRow `json:"rows"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	// The 29th in London starts at 00:00 GMT. Contacts count in the interval
	// of their initiation (10 s before they queued): 08:59:50, 09:19:50 and
	// 09:39:50 UTC, that is 09:45, 10:15 and 10:30 BST.
	if rep.Report != "queue-intervals" || rep.TimeZone != "Europe/London" || !rep.From.Equal(at(0, 0)) || !rep.To.Equal(at(23, 0)) ||
		rep.PeriodMinutes != 15 || rep.ServiceLevelSeconds != 20 || len(rep.Rows) != 3 ||
		rep.Rows[0].Local != "2026-03-29T09:45:00+01:00" || rep.Rows[0].ContactsAnswered != 1 || rep.Rows[0].AnsweredWithinSL != 1 ||
		rep.Rows[1].Local != "2026-03-29T10:15:00+01:00" || rep.Rows[1].ContactsAnswered != 1 || *rep.Rows[1].AvgHandleSeconds != 360 ||
		rep.Rows[2].Local != "2026-03-29T10:30:00+01:00" || rep.Rows[2].ContactsAbandoned != 1 || rep.Rows[2].LocalDate != "2026-03-29" {
		t.Errorf("report %s", body)
	}

	res, body = get(t, h, "/api/reports/agent-status?from=2026-03-29&to=2026-03-29&period=15")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"period_minutes":0`) ||
		!strings.Contains(string(body), `{"local_date":"2026-03-29","agent_id":"a2","username":"bob","status_name":"Break","status_type":"CUSTOM","seconds":600}`) {
		t.Errorf("agent status %d %s", res.StatusCode, body)
	}
	res, body = get(t, h, "/api/reports/agent-days?from=2026-03-29")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"agent_id":"a1","username":"\u003cimg src=x onerror=alert(1)\u003e","contacts_handled":2,"handle_seconds":600`) {
		t.Errorf("agent days %d %s", res.StatusCode, body)
	}
	res, body = get(t, h, "/api/reports/agent-timeline?from=2026-03-29")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `{"agent_id":"a2","username":"bob","status_name":"Break","status_type":"CUSTOM","start":"2026-03-29T09:50:00Z","end":"2026-03-29T10:00:00Z","open":true}`) {
		t.Errorf("agent timeline %d %s", res.StatusCode, body)
	}
	res, body = get(t, h, "/api/reports/interval-metrics?from=2026-03-29&period=day")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"rows":[]`) || !strings.Contains(string(body), `"period_minutes":15`) {
		t.Errorf("interval metrics %d %s", res.StatusCode, body)
	}
}

func TestErrors(t *testing.T) {
	var logs bytes.Buffer
	h := newHandler(openStore(t), &logs)
	for _, c := range []struct {
		target string
		status int
		msg    string
	}{
		{"/api/wallboard?tz=Mars/Olympus_Mons", 400, `time zone \"Mars/Olympus_Mons\": the reports have Europe/London, UTC (add a zone to TIME_ZONE`},
		{"/api/wallboard?tz=Local", 400, "add a zone to TIME_ZONE"},
		{"/api/reports/queue-intervals?period=60", 400, "want 15 (minutes) or day"},
		{"/api/reports/queue-intervals?period=7", 400, "period"},
		{"/api/reports/queue-intervals?from=yesterday", 400, "from: want a date"},
		{"/api/reports/queue-intervals?from=2026-03-29&to=2026-03-01", 400, "from must be before to"},
		{"/api/reports/queue-intervals?from=2026-01-01&to=2026-03-29", 400, "range longer than 62 days"},
		{"/api/wallboard?sl=0", 400, "want whole seconds from 1 to 3600"},
		{"/api/reports/queue-intervals?sl=20.5", 400, "want whole seconds"},
		{"/api/reports/queue-intervals?format=xml", 400, "want json or csv"},
		{"/api/nothing", 404, ""},
		{"/static/", 404, ""},
	} {
		res, body := get(t, h, c.target)
		if res.StatusCode != c.status || !strings.Contains(string(body), c.msg) {
			t.Errorf("%s: %d %s", c.target, res.StatusCode, body)
		}
		if c.status == 400 && res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s: content type %s", c.target, res.Header.Get("Content-Type"))
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/wallboard", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
	if !strings.Contains(logs.String(), "status=400") {
		t.Errorf("requests not logged: %s", logs.String())
	}
}

// failing is a Reader whose database is gone.
type failing struct{}

var errGone = errors.New("dial tcp 10.0.0.1:5432: connection refused (password=secret)")

func (failing) Wallboard(context.Context, connectreporting.WallboardQuery) (connectreporting.Wallboard, error) {
	return connectreporting.Wallboard{}, errGone
}
func (failing) QueueIntervals(context.Context, connectreporting.ReportQuery) ([]connectreporting.QueueIntervalRow, error) {
	return nil, errGone
}
func (failing) IntervalMetrics(context.Context, connectreporting.ReportQuery) ([]connectreporting.IntervalMetricRow, error) {
	return nil, errGone
}
func (failing) AgentStatusDays(context.Context, connectreporting.ReportQuery) ([]connectreporting.AgentStatusDay, error) {
	return nil, errGone
}
func (failing) AgentDays(context.Context, connectreporting.ReportQuery) ([]connectreporting.AgentDayRow, error) {
	return nil, errGone
}
func (failing) AgentTimeline(context.Context, connectreporting.ReportQuery) ([]connectreporting.AgentStatusSpan, error) {
	return nil, errGone
}
func (failing) Health(context.Context, time.Time) (connectreporting.Health, error) {
	return connectreporting.Health{}, errGone
}

func TestDatabaseDown(t *testing.T) {
	var logs bytes.Buffer
	h := newHandler(failing{}, &logs)
	for target, status := range map[string]int{"/healthz": 503, "/api/wallboard": 500, "/api/reports/agent-status": 500} {
		res, body := get(t, h, target)
		if res.StatusCode != status || strings.Contains(string(body), "secret") || !strings.Contains(string(body), `"error"`) {
			t.Errorf("%s: %d %s", target, res.StatusCode, body)
		}
	}
	if !strings.Contains(logs.String(), "connection refused") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("failure not logged: %s", logs.String())
	}
}

func TestHealthz(t *testing.T) {
	res, body := get(t, newHandler(openStore(t), nil), "/healthz")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), `{"status":"ok","health":{"checked_at":"2026-03-29T10:00:00Z","dialect":"sqlite"`) ||
		!strings.Contains(string(body), `"rejected_last_24h":1`) {
		t.Errorf("%d %s", res.StatusCode, body)
	}
}

func TestPageAndAssets(t *testing.T) {
	h := newHandler(openStore(t), nil)
	res, body := get(t, h, "/")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), `<script src="static/app.js" defer></script>`) || !strings.Contains(string(body), `id="queues-body"`) {
		t.Fatalf("page: %d %s", res.StatusCode, body)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", res.Header)
	}
	// No inline script or style (the CSP forbids them) and nothing from elsewhere.
	if strings.Contains(string(body), "<script>") || strings.Contains(string(body), "style=") || strings.Contains(string(body), "://") {
		t.Errorf("page has inline code or remote references")
	}
	for path, ctype := range map[string]string{"/static/app.js": "text/javascript", "/static/app.css": "text/css"} {
		res, body := get(t, h, path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) || len(body) < 1000 {
			t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	// The script never parses data as HTML.
	_, js := get(t, h, "/static/app.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(string(js), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	res, body = get(t, h, "/api/config")
	if res.StatusCode != http.StatusOK || string(body) != `{"time_zone":"Europe/London","time_zones":["Europe/London","UTC"],"refresh_seconds":5,"service_level_seconds":20,"max_report_days":62,"today":"2026-03-29","now":"2026-03-29T10:00:00Z","simulated":false,"clock_rate":1}`+"\n" {
		t.Errorf("config: %s", body)
	}
}
