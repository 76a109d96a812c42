package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore/storetest"
)

// statusDaysFromIntervals is kpi_agent_status_day as migration 00006
// defined it (every interval cut at day bounds when queried): the truth the
// rollup must give.
const statusDaysFromIntervals = `SELECT p.time_zone, p.local_date, p.agent_id, MAX(st.username), p.status_name, MAX(p.status_type),
    SUM(EXTRACT(EPOCH FROM (LEAST(p.stop, p.day_end) - GREATEST(p.start_timestamp, p.day_start))))::double precision
FROM (
    SELECT d.time_zone, d.local_date, d.day_start, d.day_end, s.agent_id, s.status_name, s.status_type,
        s.start_timestamp, COALESCE(s.end_timestamp, a.last_event_timestamp) AS stop
    FROM report_interval d
    JOIN agent_status_interval s ON s.start_timestamp < d.day_end
    LEFT JOIN agent_state a ON a.agent_id = s.agent_id
    WHERE d.interval_start = d.day_start AND COALESCE(s.end_timestamp, a.last_event_timestamp) > d.day_start
) p
LEFT JOIN agent_state st ON st.agent_id = p.agent_id
GROUP BY p.time_zone, p.local_date, p.agent_id, p.status_name
ORDER BY 1, 2, 3, 5`

const (
	qStatusDayView   = "SELECT time_zone, local_date, agent_id, username, status_name, status_type, seconds FROM kpi_agent_status_day ORDER BY 1, 2, 3, 5"
	qStatusDayRollup = "SELECT time_zone, local_date, agent_id, status_name, status_type, seconds FROM agent_status_day ORDER BY 1, 2, 3, 4"
)

// statusDayEvents generates agents' events over three days around the
// 2026-03-08 daylight saving change of America/New_York: statuses of 5
// minutes to 6 hours, some of 30 hours, logouts and logins again, heartbeats;
// the last agent never logs out (its status stays open).
func statusDayEvents(rng *rand.Rand, agents int) []connectreporting.AgentEvent {
	var out []connectreporting.AgentEvent
	statuses := []string{"Available", "Break", "Lunch", "Training", "Available"}
	n := 0
	for a := range agents {
		agent := fmt.Sprintf("agent-%02d", a)
		ts := time.Date(2026, 3, 7, 16, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(7200)) * time.Second)
		end := ts.Add(72 * time.Hour)
		start := ts
		emit := func(typ, status string, newStatus bool) {
			n++
			if newStatus {
				start = ts
			}
			out = append(out, storetest.AgentEvent(fmt.Sprintf("%08x-0000-4000-8000-%012d", rng.Uint32(), n), typ, ts, agent, status, start))
		}
		emit(connectreporting.AgentEventLogin, "Available", true)
		for ts.Before(end) {
			step := time.Duration(300+rng.IntN(6*3600)) * time.Second
			if rng.IntN(15) == 0 {
				step = 30 * time.Hour
			}
			ts = ts.Add(step).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
			switch r := rng.IntN(10); {
			case r == 0 && a != agents-1:
				emit(connectreporting.AgentEventLogout, "Offline", true)
				ts = ts.Add(time.Duration(60+rng.IntN(3600)) * time.Second)
				emit(connectreporting.AgentEventLogin, "Available", true)
			case r < 3:
				emit(connectreporting.AgentEventHeartBeat, statuses[0], false)
			default:
				emit(connectreporting.AgentEventStateChange, statuses[rng.IntN(len(statuses))], true)
			}
		}
	}
	return out
}

func storeEvents(t *testing.T, s *Store, evs []connectreporting.AgentEvent) {
	t.Helper()
	if _, err := s.StoreBatch(context.Background(), connectreporting.Batch{AgentEvents: evs}); err != nil {
		t.Fatal(err)
	}
}

// statusDayZones are report zones with whole-hour, half-hour and daylight
// saving offsets.
func statusDayZones(t *testing.T, names ...string) []*time.Location {
	t.Helper()
	var out []*time.Location
	for _, n := range names {
		loc, err := time.LoadLocation(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, loc)
	}
	return out
}

// statusIntervalsFromEvents is agent_status_interval's definition over the
// whole of agent_event: what ingest keeps it equal to (duration_seconds as
// text: every bit).
var statusIntervalsFromEvents = "SELECT agent_id, ts, status_name, status_type, next_ts, dur::text, unb FROM (" +
	fmt.Sprintf(statusDerive, "(SELECT DISTINCT agent_id, '-infinity'::timestamptz AS m FROM agent_event) b", `COLLATE "C"`,
		pgStatusDuration, pgStatusLong) +
	") d (agent_id, ts, status_name, status_type, next_ts, dur, unb) ORDER BY 1, 2"

// checkStatusDays asserts that agent_status_interval equals its definition
// over agent_event, the rollup its recomputation and the view the
// definition over every interval; it returns the view.
func checkStatusDays(t *testing.T, s *Store) [][]string {
	t.Helper()
	intervals := storetest.QueryRows(t, s.DB(), `SELECT agent_id, start_timestamp, status_name, status_type, end_timestamp,
    duration_seconds::text, unbounded FROM agent_status_interval ORDER BY 1, 2`)
	if want := storetest.QueryRows(t, s.DB(), statusIntervalsFromEvents); !slices.EqualFunc(intervals, want, slices.Equal) {
		t.Fatalf("agent_status_interval (%d rows) differs from its definition over agent_event (%d rows):\n got %v\nwant %v",
			len(intervals), len(want), intervals, want)
	}
	view := storetest.QueryRows(t, s.DB(), qStatusDayView)
	if want := storetest.QueryRows(t, s.DB(), statusDaysFromIntervals); !slices.EqualFunc(view, want, slices.Equal) {
		t.Fatalf("kpi_agent_status_day (%d rows) differs from the intervals cut at day bounds (%d rows):\n got %v\nwant %v",
			len(view), len(want), view, want)
	}
	rollup := storetest.QueryRows(t, s.DB(), qStatusDayRollup)
	if err := s.RebuildStatusDays(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rebuilt := storetest.QueryRows(t, s.DB(), qStatusDayRollup); !slices.EqualFunc(rollup, rebuilt, slices.Equal) {
		t.Fatalf("agent_status_day kept at ingest (%d rows) differs from its recomputation (%d rows):\n got %v\nwant %v",
			len(rollup), len(rebuilt), rollup, rebuilt)
	}
	return view
}

// TestStatusDaysEqualRecomputation: the agent status day rollup kept at
// ingest, for records delivered in order and for the same records
// redelivered with duplicates, shuffled, in random batch sizes, equals its
// full recomputation, and kpi_agent_status_day equals the intervals cut at
// day bounds; also after a zone is added to TIME_ZONE.
func TestStatusDaysEqualRecomputation(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	items := statusDayEvents(rng, 16)
	opts := Options{TimeZones: statusDayZones(t, "UTC", "America/New_York", "Asia/Kolkata")}

	inOrder, _ := openIngestStorePG(t, opts)
	for i := 0; i < len(items); i += 40 {
		storeEvents(t, inOrder, items[i:min(i+40, len(items))])
	}
	want := checkStatusDays(t, inOrder)
	if len(want) < 100 {
		t.Fatalf("only %d status days: the generated events are too few", len(want))
	}

	replayed, dsn := openIngestStorePG(t, opts)
	delivery := append([]connectreporting.AgentEvent(nil), items...)
	for range len(items) * 3 / 10 {
		delivery = append(delivery, items[rng.IntN(len(items))])
	}
	rng.Shuffle(len(delivery), func(i, j int) { delivery[i], delivery[j] = delivery[j], delivery[i] })
	for i := 0; i < len(delivery); {
		n := 1 + rng.IntN(60)
		storeEvents(t, replayed, delivery[i:min(i+n, len(delivery))])
		i += n
	}
	if got := checkStatusDays(t, replayed); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("replayed delivery gives %d status days, in-order %d", len(got), len(want))
	}

	// A zone added to TIME_ZONE: Open covers its days, and the rollup with them.
	opts.TimeZones = append(opts.TimeZones, statusDayZones(t, "Australia/Lord_Howe")...)
	more := openStoreDSN(t, dsn, opts)
	got := checkStatusDays(t, more)
	if len(got) <= len(want) {
		t.Fatalf("after adding a zone %d status days, before %d", len(got), len(want))
	}
}

// TestStatusDaysConcurrentWriters: four stores on one database, as four
// daemons, each knowing no report day yet: three store the agent events
// (each its own agents, as Kinesis shards by agent) and one contact records
// of the same days, concurrently. Each batch may add report days, which
// both kinds of batch compute rollups for; all succeed and the rollup
// equals its recomputation.
func TestStatusDaysConcurrentWriters(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	items := statusDayEvents(rng, 12)
	opts := Options{TimeZones: statusDayZones(t, "UTC", "Asia/Kolkata")}
	first, dsn := openIngestStorePG(t, opts)
	parts := make([][]connectreporting.AgentEvent, 3)
	for _, e := range items {
		w := int(e.AgentID[len(e.AgentID)-1]-'0') % 3
		parts[w] = append(parts[w], e)
	}
	var contacts []connectreporting.ContactRecord
	for c := range 300 {
		lu := time.Date(2026, 3, 7, 16, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(72*3600)) * time.Second)
		contacts = append(contacts, storetest.ContactRecord(fmt.Sprintf("c0ffee00-0000-4000-8000-%012d", c), lu, "agent-01", nil))
	}
	var writers [][]connectreporting.Batch
	for _, p := range parts {
		writers = append(writers, eventBatches(p, 10))
	}
	var cbs []connectreporting.Batch
	for i := 0; i < len(contacts); i += 10 {
		cbs = append(cbs, connectreporting.Batch{ContactRecords: contacts[i:min(i+10, len(contacts))]})
	}
	storeConcurrently(t, dsn, opts, append(writers, cbs)...)
	if got := checkStatusDays(t, first); len(got) < 50 {
		t.Fatalf("only %d status days", len(got))
	}
}

// statusDayRowIDs returns each agent's agent_status_day rows by their
// physical address: a row computed again (deleted and inserted) moves.
func statusDayRowIDs(t *testing.T, s *Store) map[string]string {
	return rowIDs(t, s, `SELECT agent_id, time_zone || local_date || COALESCE(status_name, '-') || ctid::text
FROM agent_status_day ORDER BY agent_id, time_zone, local_date, status_name`)
}

// statusIntervalRowIDs is, per agent, where each of its agent_status_interval
// rows lies: a row written again moves.
func statusIntervalRowIDs(t *testing.T, s *Store) map[string]string {
	return rowIDs(t, s, `SELECT agent_id, start_timestamp::text || ctid::text FROM agent_status_interval ORDER BY agent_id, start_timestamp`)
}

// rowIDs concatenates, per agent (column 1), the rows' column 2.
func rowIDs(t *testing.T, s *Store, q string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range storetest.QueryRows(t, s.DB(), q) {
		out[r[0]] += r[1] + " "
	}
	return out
}

// TestStatusDaysSkipUnchangedAgents: events that bring an agent nothing new
// (a status start it already has, carried later than the event that named
// it: what most of a real stream is) leave its agent_status_interval and
// agent_status_day rows untouched, even delivered out of order and interleaved with changes; the
// agents whose intervals do change (a new status start in the past, a
// LOGOUT, an earlier event naming an existing start otherwise) have their
// days computed again, and the rollup equals its recomputation throughout.
func TestStatusDaysSkipUnchangedAgents(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	s, _ := openIngestStorePG(t, Options{TimeZones: statusDayZones(t, "UTC", "America/New_York")})
	storeEvents(t, s, statusDayEvents(rng, 8))
	checkStatusDays(t, s)
	closed := storetest.QueryRows(t, s.DB(), `SELECT agent_id, start_timestamp, end_timestamp, status_name
FROM agent_status_interval WHERE end_timestamp IS NOT NULL AND status_name <> 'Offline' ORDER BY agent_id, start_timestamp`)
	n := 0
	event := func(typ string, ts time.Time, agent, status string, start time.Time) connectreporting.AgentEvent {
		n++
		return storetest.AgentEvent(fmt.Sprintf("f%07x-0000-4000-8000-%012d", n, n), typ, ts, agent, status, start)
	}
	parse := func(v string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	// Same status, later than its first event: nothing changes.
	var same []connectreporting.AgentEvent
	for _, r := range closed {
		start, end := parse(r[1]), parse(r[2])
		mid := start.Add(end.Sub(start) / 2)
		same = append(same, event(connectreporting.AgentEventStateChange, mid, r[0], r[3], start),
			event(connectreporting.AgentEventStateChange, end.Add(-time.Second), r[0], r[3], start))
	}
	rng.Shuffle(len(same), func(i, j int) { same[i], same[j] = same[j], same[i] })
	before, intervals := statusDayRowIDs(t, s), statusIntervalRowIDs(t, s)
	for i := 0; i < len(same); i += 25 {
		storeEvents(t, s, same[i:min(i+25, len(same))])
	}
	if after := statusDayRowIDs(t, s); !maps.Equal(after, before) {
		t.Errorf("events that bring nothing new rewrote agent_status_day rows")
	}
	if after := statusIntervalRowIDs(t, s); !maps.Equal(after, intervals) {
		t.Errorf("events that bring nothing new rewrote agent_status_interval rows")
	}
	checkStatusDays(t, s)

	// The same, interleaved with one change each for three agents.
	pick := func(agent string) []string {
		for _, r := range closed {
			if r[0] == agent && parse(r[2]).Sub(parse(r[1])) > 10*time.Minute {
				return r
			}
		}
		t.Fatalf("no closed interval of %s", agent)
		return nil
	}
	newStart, logout, renamed := pick("agent-01"), pick("agent-03"), pick("agent-05")
	mixed := append([]connectreporting.AgentEvent(nil), same[:60]...)
	at := parse(newStart[1]).Add(5 * time.Minute)
	mixed = append(mixed, event(connectreporting.AgentEventStateChange, at, "agent-01", "Training", at))
	at = parse(logout[1]).Add(5 * time.Minute)
	mixed = append(mixed, event(connectreporting.AgentEventLogout, at, "agent-03", "Offline", at))
	earlier := event(connectreporting.AgentEventStateChange, parse(renamed[1]), "agent-05", renamed[3]+"-renamed", parse(renamed[1]))
	earlier.EventID = "00000000-0000-4000-8000-000000000000"
	mixed = append(mixed, earlier)
	rng.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
	before, intervals = statusDayRowIDs(t, s), statusIntervalRowIDs(t, s)
	for i := 0; i < len(mixed); i += 20 {
		storeEvents(t, s, mixed[i:min(i+20, len(mixed))])
	}
	after, afterIntervals := statusDayRowIDs(t, s), statusIntervalRowIDs(t, s)
	for a := range before {
		want := a == "agent-01" || a == "agent-03" || a == "agent-05"
		if changed := after[a] != before[a]; changed != want {
			t.Errorf("%s: agent_status_day rows rewritten %v", a, changed)
		}
		if changed := afterIntervals[a] != intervals[a]; changed != want {
			t.Errorf("%s: agent_status_interval rows rewritten %v", a, changed)
		}
	}
	checkStatusDays(t, s)
}

// TestStatusDaysAddNewIntervals: a batch that only adds an agent's status
// intervals (new starts later than all stored, the open interval closed)
// adds them to the agent's day rows: the rows of statuses it does not
// touch stay where they are (a day computed again moves them all), the
// figures equal the recomputation, and status_type stays the greater of a
// status's types.
func TestStatusDaysAddNewIntervals(t *testing.T) {
	s, _ := openIngestStorePG(t, Options{TimeZones: statusDayZones(t, "UTC")})
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	n := 0
	batch := func(agent string, steps ...any) []connectreporting.AgentEvent {
		var out []connectreporting.AgentEvent
		for i := 0; i < len(steps); i += 3 {
			n++
			at := day.Add(steps[i].(time.Duration))
			e := storetest.AgentEvent(fmt.Sprintf("a%07x-0000-4000-8000-%012d", n, n), connectreporting.AgentEventStateChange,
				at, agent, steps[i+1].(string), at)
			e.StatusType = steps[i+2].(string)
			out = append(out, e)
		}
		return out
	}
	h := time.Hour
	rows := func(agent string) map[string]string {
		out := map[string]string{}
		for _, r := range storetest.QueryRows(t, s.DB(), `SELECT status_name, ctid::text || ' ' || status_type || ' ' || seconds::float8::text
FROM agent_status_day WHERE agent_id = $1 AND local_date = '2026-03-03'`, agent) {
			out[r[0]] = r[1]
		}
		return out
	}
	storeEvents(t, s, append(batch("agent-01", 8*h, "Available", "CUSTOM", 9*h, "Break", "CUSTOM", 9*h+15*time.Minute,
		"Available", "CUSTOM", 10*h, "Training", "CUSTOM"), batch("agent-02", 8*h, "Available", "ROUTABLE", 9*h, "Break", "CUSTOM")...))
	checkStatusDays(t, s) // which rebuilds the rollup: the rows are read after it
	before, other := rows("agent-01"), rows("agent-02")
	storeEvents(t, s, batch("agent-01", 12*h, "Lunch", "CUSTOM", 13*h, "Available", "ROUTABLE"))
	after := rows("agent-01")
	for _, st := range []string{"Available", "Break"} {
		if after[st] != before[st] {
			t.Errorf("%s: %q before the batch that only added Training and Lunch, %q after", st, before[st], after[st])
		}
	}
	if after["Training"] == "" || after["Lunch"] == "" {
		t.Errorf("the added intervals are not in the day's rows: %v", after)
	}
	if got := rows("agent-02"); !maps.Equal(got, other) {
		t.Errorf("agent-02, in none of the batches: %v, was %v", got, other)
	}
	checkStatusDays(t, s)
	storeEvents(t, s, batch("agent-01", 14*h, "Break", "CUSTOM"))
	checkStatusDays(t, s)
	after = rows("agent-01")
	if got := after["Available"][strings.Index(after["Available"], " ")+1:]; got != "ROUTABLE 9900" {
		t.Errorf("Available after 08:00-09:00 and 09:15-10:00 as CUSTOM and 13:00-14:00 as ROUTABLE: %q, want ROUTABLE 9900", got)
	}
}

// TestStatusDaysLateStartInLongInterval: a late status start inside a
// stored interval of over 23 hours (one the days read through the long
// interval index) cuts it, and the days on both sides of the late start
// are what the intervals now say.
func TestStatusDaysLateStartInLongInterval(t *testing.T) {
	s, _ := openIngestStorePG(t, Options{TimeZones: statusDayZones(t, "UTC")})
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	ev := func(id int, at time.Duration, status string) connectreporting.AgentEvent {
		ts := day.Add(at)
		return storetest.AgentEvent(fmt.Sprintf("b%07x-0000-4000-8000-%012d", id, id), connectreporting.AgentEventStateChange, ts, "agent-01", status, ts)
	}
	const q = "SELECT local_date, status_name, seconds::float8 FROM agent_status_day ORDER BY 1, 2"
	h := time.Hour
	storeEvents(t, s, []connectreporting.AgentEvent{ev(1, 10*h, "Available"), ev(2, 40*h, "Break")})
	storetest.WantRows(t, s.DB(), q, "2026-03-03T00:00:00.000Z|Available|50400.000", "2026-03-04T00:00:00.000Z|Available|57600.000")
	storeEvents(t, s, []connectreporting.AgentEvent{ev(3, 30*h, "Lunch")})
	storetest.WantRows(t, s.DB(), q, "2026-03-03T00:00:00.000Z|Available|50400.000",
		"2026-03-04T00:00:00.000Z|Available|21600.000", "2026-03-04T00:00:00.000Z|Lunch|36000.000")
	checkStatusDays(t, s)
}
