package storetest

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

type (
	ev    = connectreporting.AgentEvent
	cr    = connectreporting.ContactRecord
	batch = connectreporting.Batch
	res   = connectreporting.BatchResult
)

const (
	login  = connectreporting.AgentEventLogin
	logout = connectreporting.AgentEventLogout
	change = connectreporting.AgentEventStateChange
	beat   = connectreporting.AgentEventHeartBeat
)

// At is sec seconds after T0.
func At(sec int) time.Time { return T0.Add(time.Duration(sec) * time.Second) }

func evs(e ...ev) batch { return batch{AgentEvents: e} }
func crs(c ...cr) batch { return batch{ContactRecords: c} }

// withRaw returns c with a different raw document (same timestamp), to make
// two distinct versions that tie on LastUpdateTimestamp.
func withRaw(c cr, marker string) cr {
	c.Raw = []byte(strings.Replace(string(c.Raw), `{`, `{"marker":"`+marker+`",`, 1))
	return c
}

// tieWinner returns whichever of a and b the store must keep on a tie.
func tieWinner(a, b cr) cr {
	if RawHash(a.Raw) > RawHash(b.Raw) {
		return a
	}
	return b
}

type checkQuery struct {
	q    string
	want [][]string
}

var (
	qEvents    = "SELECT event_id, event_type, agent_id, status_name FROM agent_event ORDER BY event_id"
	qState     = "SELECT agent_id, status_name, last_event_timestamp, last_event_type, last_event_id FROM agent_state ORDER BY agent_id"
	qIntervals = "SELECT agent_id, start_timestamp, status_name, status_type, end_timestamp, duration_seconds FROM agent_status_interval ORDER BY agent_id, start_timestamp"
	qContacts  = "SELECT contact_id, last_update_timestamp, agent_id, raw_sha256 FROM contact_record ORDER BY contact_id"
	qAttrs     = "SELECT contact_id, name, value FROM contact_attribute ORDER BY contact_id, name"
	qRejected  = "SELECT source, partition_key, sequence_number, error, payload FROM rejected_record ORDER BY source, sequence_number"
)

func ts(sec int) string { return At(sec).Format("2006-01-02T15:04:05.000Z") }

// batchSemantics: duplicates change nothing, agent state moves forward
// only, the newest contact version wins (ties to the greater raw hash),
// undecodable and keyless records are parked; replaying every batch of a
// case, in reverse, leaves every table unchanged.
func batchSemantics(t *testing.T, h Harness) {
	for _, tc := range slices.Concat(eventCases(), heartbeatCases(), contactCases(), rejectCases()) {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}

// batchCase stores batches one after another, each with its expected
// result, checks the tables, then replays every batch in reverse.
type batchCase struct {
	name       string
	heartbeats bool
	batches    []batch
	want       []res
	checks     []checkQuery
}

// eventCases: agent events are stored once, agent_state only moves forward.
func eventCases() []batchCase {
	return []batchCase{
		{
			name: "duplicate events change nothing",
			batches: []batch{
				evs(AgentEvent("e1", login, At(0), "a1", "Available", At(0)), AgentEvent("e2", change, At(60), "a1", "Break", At(60))),
				evs(AgentEvent("e2", change, At(60), "a1", "Break", At(60)), AgentEvent("e3", change, At(90), "a1", "Available", At(90)),
					AgentEvent("e3", change, At(90), "a1", "Available", At(90))),
				evs(AgentEvent("e1", login, At(0), "a1", "Available", At(0))),
			},
			want: []res{{Stored: 2}, {Stored: 1, Duplicate: 2}, {Duplicate: 1}},
			checks: []checkQuery{
				{qEvents, [][]string{{"e1", login, "a1", "Available"}, {"e2", change, "a1", "Break"}, {"e3", change, "a1", "Available"}}},
				{qState, [][]string{{"a1", "Available", ts(90), change, "e3"}}},
			},
		},
		{
			name: "agent events out of order: state moves forward only, intervals derived",
			batches: []batch{
				evs(AgentEvent("e3", change, At(300), "a1", "Lunch", At(300))),
				evs(AgentEvent("e1", login, At(0), "a1", "Available", At(0))),
				evs(AgentEvent("e4", logout, At(400), "a1", "Offline", At(400)), AgentEvent("e2", change, At(120), "a1", "Break", At(120))),
			},
			want: []res{{Stored: 1}, {Stored: 1}, {Stored: 2}},
			checks: []checkQuery{
				{qState, [][]string{{"a1", "Offline", ts(400), logout, "e4"}}},
				{qIntervals, [][]string{
					{"a1", ts(0), "Available", "ROUTABLE", ts(120), "120.000"},
					{"a1", ts(120), "Break", "CUSTOM", ts(300), "180.000"},
					{"a1", ts(300), "Lunch", "CUSTOM", ts(400), "100.000"},
					{"a1", ts(400), "Offline", "OFFLINE", "NULL", "NULL"},
				}},
			},
		},
		{
			name: "logout ends the current status when it carries the same status start",
			batches: []batch{
				evs(AgentEvent("e2", logout, At(90), "a1", "Available", At(0)), AgentEvent("e1", login, At(0), "a1", "Available", At(0))),
				evs(AgentEvent("e3", login, At(500), "a1", "Available", At(500))),
			},
			want: []res{{Stored: 2}, {Stored: 1}},
			checks: []checkQuery{
				{qIntervals, [][]string{
					{"a1", ts(0), "Available", "ROUTABLE", ts(90), "90.000"},
					{"a1", ts(500), "Available", "ROUTABLE", "NULL", "NULL"},
				}},
			},
		},
		{
			name: "events at the same instant: the greater event id wins, either order",
			batches: []batch{
				evs(AgentEvent("e-b", change, At(60), "a1", "Break", At(60))),
				evs(AgentEvent("e-a", change, At(60), "a1", "Lunch", At(60))),
				evs(AgentEvent("e-d", change, At(60), "a2", "Lunch", At(60)), AgentEvent("e-c", change, At(60), "a2", "Break", At(60))),
			},
			want: []res{{Stored: 1}, {Stored: 1}, {Stored: 2}},
			checks: []checkQuery{
				{qState, [][]string{{"a1", "Break", ts(60), change, "e-b"}, {"a2", "Lunch", ts(60), change, "e-d"}}},
			},
		},
	}
}

// heartbeatCases: heartbeats move agent_state, and are rows only when kept.
func heartbeatCases() []batchCase {
	return []batchCase{
		{
			name: "heartbeats refresh agent_state without history rows",
			batches: []batch{
				evs(AgentEvent("e1", login, At(0), "a1", "Available", At(0))),
				evs(AgentEvent("h1", beat, At(120), "a1", "Available", At(0))),
				evs(AgentEvent("h1", beat, At(120), "a1", "Available", At(0))), // redelivered
				evs(AgentEvent("h0", beat, At(100), "a1", "Available", At(0))), // older than the state
				evs(AgentEvent("h3", beat, At(360), "a1", "Available", At(0)), // same batch: only the newest moves state
					AgentEvent("h2", beat, At(240), "a1", "Available", At(0))),
			},
			want: []res{{Stored: 1}, {Heartbeat: 1}, {Heartbeat: 1}, {Heartbeat: 1}, {Heartbeat: 2}},
			checks: []checkQuery{
				{qEvents, [][]string{{"e1", login, "a1", "Available"}}},
				{qState, [][]string{{"a1", "Available", ts(360), beat, "h3"}}},
				{qIntervals, [][]string{{"a1", ts(0), "Available", "ROUTABLE", "NULL", "NULL"}}},
			},
		},
		{
			name:       "heartbeats kept as history when configured",
			heartbeats: true,
			batches: []batch{
				evs(AgentEvent("e1", login, At(0), "a1", "Available", At(0)), AgentEvent("h1", beat, At(120), "a1", "Available", At(0))),
				evs(AgentEvent("h1", beat, At(120), "a1", "Available", At(0))),
			},
			want: []res{{Stored: 2}, {Duplicate: 1}},
			checks: []checkQuery{
				{qEvents, [][]string{{"e1", login, "a1", "Available"}, {"h1", beat, "a1", "Available"}}},
				{qState, [][]string{{"a1", "Available", ts(120), beat, "h1"}}},
				{qIntervals, [][]string{{"a1", ts(0), "Available", "ROUTABLE", "NULL", "NULL"}}},
			},
		},
	}
}

// contactCases: the newest version of a contact is kept, with its attributes.
func contactCases() []batchCase {
	c1v1 := ContactRecord("c-1", At(100), "a1", map[string]string{"lang": "en", "tier": "gold"})
	c1v2 := ContactRecord("c-1", At(200), "a2", map[string]string{"tier": "silver", "vip": "yes"})
	c1v3 := ContactRecord("c-1", At(300), "a3", nil)
	tieA, tieB := withRaw(c1v1, "A"), withRaw(c1v1, "B")
	win := tieWinner(tieA, tieB)

	return []batchCase{
		{
			name: "an older contact record version changes nothing",
			batches: []batch{
				crs(c1v2),
				crs(c1v1),
				crs(c1v2),
			},
			want: []res{{Stored: 1}, {Duplicate: 1}, {Duplicate: 1}},
			checks: []checkQuery{
				{qContacts, [][]string{{"c-1", ts(200), "a2", RawHash(c1v2.Raw)}}},
				{qAttrs, [][]string{{"c-1", "tier", "silver"}, {"c-1", "vip", "yes"}}},
			},
		},
		{
			name: "a newer version replaces the record and all its attributes",
			batches: []batch{
				crs(c1v1),
				crs(c1v2),
				crs(c1v3),
			},
			want: []res{{Stored: 1}, {Updated: 1}, {Updated: 1}},
			checks: []checkQuery{
				{qContacts, [][]string{{"c-1", ts(300), "a3", RawHash(c1v3.Raw)}}},
				{qAttrs, nil},
			},
		},
		{
			name: "versions in one batch collapse to the newest",
			batches: []batch{
				crs(c1v2, c1v1, ContactRecord("c-2", At(50), "a9", map[string]string{"k": "v"})),
				crs(c1v3, c1v1),
			},
			want: []res{{Stored: 2, Duplicate: 1}, {Updated: 1, Duplicate: 1}},
			checks: []checkQuery{
				{qContacts, [][]string{{"c-1", ts(300), "a3", RawHash(c1v3.Raw)}, {"c-2", ts(50), "a9", RawHash(ContactRecord("c-2", At(50), "a9", map[string]string{"k": "v"}).Raw)}}},
				{qAttrs, [][]string{{"c-2", "k", "v"}}},
			},
		},
		{
			name:    "equal timestamps: the greater raw hash wins, arriving first",
			batches: []batch{crs(win), crs(tieWinner(tieB, tieA) /* same */), crs(loser(tieA, tieB))},
			want:    []res{{Stored: 1}, {Duplicate: 1}, {Duplicate: 1}},
			checks:  []checkQuery{{qContacts, [][]string{{"c-1", ts(100), "a1", RawHash(win.Raw)}}}},
		},
		{
			name:    "equal timestamps: the greater raw hash wins, arriving last",
			batches: []batch{crs(loser(tieA, tieB)), crs(win)},
			want:    []res{{Stored: 1}, {Updated: 1}},
			checks:  []checkQuery{{qContacts, [][]string{{"c-1", ts(100), "a1", RawHash(win.Raw)}}}},
		},
	}
}

// rejectCases: what cannot be stored is parked once.
func rejectCases() []batchCase {
	return []batchCase{
		{
			name: "rejected records are parked once per sequence number",
			batches: []batch{
				{Rejected: []connectreporting.RejectedRecord{Rejected("1", "not json"), Rejected("2", "{")}},
				{Rejected: []connectreporting.RejectedRecord{Rejected("2", "{")}, AgentEvents: []ev{AgentEvent("e1", login, At(0), "a1", "Available", At(0))}},
			},
			want: []res{{Rejected: 2}, {Stored: 1, Rejected: 1}},
			checks: []checkQuery{
				{qRejected, [][]string{
					{"agent-events", "pk-1", "1", "EventTimestamp: not a timestamp", "not json"},
					{"agent-events", "pk-2", "2", "EventTimestamp: not a timestamp", "{"},
				}},
			},
		},
		{
			name: "records without a key are rejected, not stored",
			batches: []batch{
				{AgentEvents: []ev{AgentEvent("", login, At(0), "a1", "Available", At(0))}, ContactRecords: []cr{ContactRecord("", At(1), "a1", nil)}},
			},
			want:   []res{{Rejected: 2}},
			checks: []checkQuery{{qEvents, nil}, {qContacts, nil}},
		},
	}
}

func (tc batchCase) run(t *testing.T, h Harness) {
	s := h.Open(t, Options{StoreHeartbeats: tc.heartbeats})
	ctx := context.Background()
	for i, b := range tc.batches {
		got, err := s.StoreBatch(ctx, b)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if got != tc.want[i] {
			t.Errorf("batch %d: result %+v, want %+v", i, got, tc.want[i])
		}
	}
	for _, c := range tc.checks {
		got := QueryRows(t, s.DB(), c.q)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s\n got  %q\n want %q", c.q, got, c.want)
		}
	}
	// Replaying every batch leaves every table unchanged.
	before := DumpTables(t, s.DB())
	for i := len(tc.batches) - 1; i >= 0; i-- {
		if _, err := s.StoreBatch(ctx, tc.batches[i]); err != nil {
			t.Fatalf("replay batch %d: %v", i, err)
		}
	}
	DiffDumps(t, before, DumpTables(t, s.DB()))
}

func loser(a, b cr) cr {
	if RawHash(a.Raw) > RawHash(b.Raw) {
		return b
	}
	return a
}

// emptyBatch: an empty batch stores nothing and counts nothing.
func emptyBatch(t *testing.T, h Harness) {
	s := h.Open(t, Options{})
	got, err := s.StoreBatch(context.Background(), batch{})
	if err != nil || got != (res{}) {
		t.Fatalf("empty batch: %+v, %v", got, err)
	}
}
