package sqlstore

import (
	"math/rand/v2"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore/storetest"
)

// intervalEvent is one agent event of agent-01 in TestStatusIntervalsAppend:
// its id, type (a state change when empty), time and status start (after
// the day's start) and status.
type intervalEvent struct {
	id        string
	typ       string
	at, start time.Duration
	status    string
}

func (e intervalEvent) event(day time.Time) connectreporting.AgentEvent {
	typ := e.typ
	if typ == "" {
		typ = connectreporting.AgentEventStateChange
	}
	return storetest.AgentEvent(e.id+"-0000-4000-8000-000000000000", typ, day.Add(e.at), "agent-01", e.status, day.Add(e.start))
}

// TestStatusIntervalsAppend: batches that only append to an agent's
// intervals (pgStatusIntervals' fast path: the intervals from the bound on
// follow from the batch's events) and batches that do not (a late start,
// a redelivery) give, after each batch, agent_status_interval's definition
// over agent_event (checkStatusDays, duration_seconds and unbounded
// included) and, after the last, the rows listed: start and end (seconds
// after the day's start), status, duration_seconds and unbounded.
func TestStatusIntervalsAppend(t *testing.T) {
	const (
		logout = connectreporting.AgentEventLogout
		beat   = connectreporting.AgentEventHeartBeat
	)
	const h, s = time.Hour, time.Second
	cases := []struct {
		name    string
		batches [][]intervalEvent
		want    []string
	}{{
		name: "a stored LOGOUT after the bound ends the new interval",
		batches: [][]intervalEvent{
			{{"a0000001", "", 10 * h, 10 * h, "Available"}, {"a0000002", logout, 12 * h, 10 * h, "Available"}},
			{{"a0000003", "", 11 * h, 11 * h, "Break"}},
		},
		want: []string{"36000|Available|39600|3600|0", "39600|Break|43200|3600|0"},
	}, {
		name: "a stored LOGOUT after the bound, the interval holding it ended before",
		batches: [][]intervalEvent{
			{{"a0000001", "", 10 * h, 10 * h, "Available"}, {"a0000002", logout, 10*h + 1800*s, 10 * h, "Available"},
				{"a0000003", logout, 12 * h, 10 * h, "Available"}},
			{{"a0000004", "", 11 * h, 11 * h, "Break"}, {"a0000005", "", 11*h + 1800*s, 11*h + 1800*s, "Lunch"}},
		},
		want: []string{"36000|Available|37800|1800|0", "39600|Break|41400|1800|0", "41400|Lunch|43200|1800|0"},
	}, {
		name: "a LOGOUT alone closes the open interval",
		batches: [][]intervalEvent{
			{{"a0000001", "", 10 * h, 10 * h, "Available"}},
			{{"a0000002", logout, 12*h + 900*s, 10 * h, "Available"}},
		},
		want: []string{"36000|Available|44100|8100|0"},
	}, {
		name: "a new start is named by its earliest event, then by event id in byte order",
		batches: [][]intervalEvent{
			{{"a0000001", "", 10 * h, 10 * h, "Available"}},
			{{"a0000003", "", 11 * h, 11 * h, "Lunch"}, {"B0000002", "", 11 * h, 11 * h, "Break"},
				{"00000004", "", 11*h + 1800*s, 11 * h, "Training"}, {"a0000005", "", 12 * h, 12 * h, "Available"}},
		},
		want: []string{"36000|Available|39600|3600|0", "39600|Break|43200|3600|0", "43200|Available|NULL|NULL|1"},
	}, {
		name: "a stored start renamed by an earlier event",
		batches: [][]intervalEvent{
			{{"a0000001", "", 10*h + 360*s, 10 * h, "Available"}},
			{{"a0000002", "", 10*h + 180*s, 10 * h, "Break"}, {"a0000003", "", 10*h + 1800*s, 10 * h, "Lunch"},
				{"a0000004", "", 11 * h, 11 * h, "Training"}},
		},
		want: []string{"36000|Break|39600|3600|0", "39600|Training|NULL|NULL|1"},
	}, {
		name: "a heartbeat's status start is no boundary",
		batches: [][]intervalEvent{
			{{"a0000001", "", 10 * h, 10 * h, "Available"}},
			{{"a0000002", beat, 11 * h, 11 * h, "Break"}, {"a0000003", "", 12 * h, 12 * h, "Lunch"}},
		},
		want: []string{"36000|Available|43200|7200|0", "43200|Lunch|NULL|NULL|1"},
	}, {
		name: "a late start: not an append",
		batches: [][]intervalEvent{
			{{"a0000001", "", 10 * h, 10 * h, "Available"}, {"a0000002", "", 12 * h, 12 * h, "Break"}},
			{{"a0000003", "", 11 * h, 11 * h, "Lunch"}, {"a0000004", "", 13 * h, 13 * h, "Training"}},
		},
		want: []string{"36000|Available|39600|3600|0", "39600|Lunch|43200|3600|0", "43200|Break|46800|3600|0",
			"46800|Training|NULL|NULL|1"},
	}, {
		name: "a redelivered event that differs is not read from the batch",
		batches: [][]intervalEvent{
			{{"a0000001", "", 10 * h, 10 * h, "Available"}},
			{{"a0000001", "", 11 * h, 11 * h, "Break"}, {"a0000002", "", 12 * h, 12 * h, "Lunch"}},
		},
		want: []string{"36000|Available|43200|7200|0", "43200|Lunch|NULL|NULL|1"},
	}, {
		name: "23 hours and more, fractions of a second",
		batches: [][]intervalEvent{
			{{"a0000001", "", 0, 0, "Available"}},
			{{"a0000002", "", 23 * h, 23 * h, "Break"}, {"a0000003", "", 46*h + 720*time.Millisecond, 46*h + 720*time.Millisecond, "Lunch"}},
			{{"a0000004", "", 70*h + 843456*time.Microsecond, 70*h + 843456*time.Microsecond, "Training"},
				{"a0000005", "", 70*h + 444444444*time.Microsecond, 70*h + 444444444*time.Microsecond, "Available"}},
		},
		want: []string{"0|Available|82800|82800|0", "82800|Break|165600.72|82800.72|1", "165600.72|Lunch|252000.843456|86400.123456|1",
			"252000.843456|Training|252444.444444|443.600988|0", "252444.444444|Available|NULL|NULL|1"},
	}}
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _ := openIngestStorePG(t, Options{TimeZones: statusDayZones(t, "UTC")})
			for _, b := range c.batches {
				var evs []connectreporting.AgentEvent
				for _, e := range b {
					evs = append(evs, e.event(day))
				}
				storeEvents(t, st, evs)
				checkStatusDays(t, st)
			}
			storetest.WantRows(t, st.DB(), `SELECT EXTRACT(EPOCH FROM start_timestamp - '2026-03-03 00:00:00+00')::float8::text,
    status_name, EXTRACT(EPOCH FROM end_timestamp - '2026-03-03 00:00:00+00')::float8::text, duration_seconds::text, unbounded
FROM agent_status_interval WHERE agent_id = 'agent-01' ORDER BY start_timestamp`, c.want...)
		})
	}
}

// TestStatusIntervalsSameAgentWriters: three stores on one database write
// batches of the same agents at once (each takes every third event of
// each agent, in order, so most batches append and some arrive after a
// later one of another writer), and agent_status_interval ends equal to
// its definition: writers of one agent take turns on its agent_state row,
// so an append never meets another writer's rows (the INSERT of appended
// intervals would fail) and a late batch sees what the earlier ones wrote.
func TestStatusIntervalsSameAgentWriters(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	items := statusDayEvents(rng, 6)
	opts := Options{TimeZones: statusDayZones(t, "UTC")}
	first, dsn := openIngestStorePG(t, opts)
	parts := make([][]connectreporting.AgentEvent, 3)
	for i, e := range items {
		parts[i%3] = append(parts[i%3], e)
	}
	writers := make([][]connectreporting.Batch, len(parts))
	for i, p := range parts {
		writers[i] = eventBatches(p, 4)
	}
	storeConcurrently(t, dsn, opts, writers...)
	checkStatusDays(t, first)
	if n := len(storetest.QueryRows(t, first.DB(), "SELECT 1 FROM agent_status_interval")); n < 50 {
		t.Fatalf("only %d status intervals", n)
	}
}
