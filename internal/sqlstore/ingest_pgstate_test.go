package sqlstore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore/storetest"
)

// pgStateDump is agent_state as text, row by row in agent order, every
// column (times to the microsecond).
const pgStateDump = `SELECT agent_id, COALESCE(agent_arn, 'NULL'), COALESCE(username, 'NULL'), COALESCE(status_name, 'NULL'),
	COALESCE(status_type, 'NULL'), COALESCE(to_char(status_start_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), 'NULL'),
	COALESCE(routing_profile_id, 'NULL'), contact_count, to_char(last_event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
	last_event_type, last_event_id
FROM agent_state ORDER BY agent_id COLLATE "C"`

// pgStateEvents are agent events whose agent_state values are awkward as
// SQL literals: quotes, backslashes (an E” string's escapes), text that
// looks like SQL, any UTF-8, empty text (NULL), a missing status start,
// times with nanoseconds (truncated to the microsecond, as the COPY
// truncates them), a negative contact count; one agent's newest event is
// a heartbeat (only agent_state sees it), and the agents are given in an
// order that is not their byte order.
func pgStateEvents() []connectreporting.AgentEvent {
	ns := func(sec int, n int) time.Time { return at(sec).Add(time.Duration(n)) }
	e1 := agentEvent("e-1", connectreporting.AgentEventStateChange, ns(10, 999), "b-agent", `O'Brien \' \\x '' $$`, ns(5, 123456789))
	e1.Username, e1.RoutingProfileID = `it's; DROP TABLE agent_state; --`, "Québec – ventes 📞"
	e1.ContactCount = -3
	e2 := agentEvent("e-2", connectreporting.AgentEventLogin, ns(20, 1), "B-agent", "Available", time.Time{})
	e2.AgentARN, e2.StatusType = "", ""
	e3 := agentEvent("e-3", connectreporting.AgentEventStateChange, at(30), "a\\'gent", "Lunch", at(30))
	e4 := agentEvent("e-4", connectreporting.AgentEventHeartBeat, ns(40, 500), "a\\'gent", "Lunch", at(30))
	e4.Username = "\\"
	return []connectreporting.AgentEvent{e1, e2, e3, e4}
}

// TestPGStateUpsertInline: a batch of new agent events offers agent_state
// its rows as literals in the COPY's query (pgStateUpsert), a redelivered
// one through the staging table; both leave agent_state the same, value
// for value, whatever the text, and each value is what the event says.
func TestPGStateUpsertInline(t *testing.T) {
	ctx := context.Background()
	b := connectreporting.Batch{AgentEvents: pgStateEvents()}
	p := prepareBatch(b, false)
	var state []int
	for i := range p.events {
		if p.events[i].state {
			state = append(state, i)
		}
	}
	if q, ok := pgStateUpsert(p.events, state); !ok || len(state) != 3 {
		t.Fatalf("the batch's %d state rows do not go inline: %q", len(state), q)
	}
	inline := openIngestStore(t, DialectPostgres, Options{})
	if res, err := inline.StoreBatch(ctx, b); err != nil || res.Stored != 3 || res.Heartbeat != 1 {
		t.Fatalf("inline: %+v, %v", res, err)
	}
	staged := openIngestStore(t, DialectPostgres, Options{})
	first := connectreporting.Batch{AgentEvents: b.AgentEvents[2:3]}
	if _, err := staged.StoreBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	if res, err := staged.StoreBatch(ctx, b); err != nil || res.Stored != 2 || res.Duplicate != 1 {
		t.Fatalf("staged (a redelivery): %+v, %v", res, err)
	}
	if got, want := storetest.QueryRows(t, inline.DB(), pgStateDump), storetest.QueryRows(t, staged.DB(), pgStateDump); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("agent_state by the inline upsert\n%v\nby the staged one\n%v", got, want)
	}
	wantRows(t, inline, pgStateDump,
		`B-agent|NULL|user-B-agent|Available|NULL|NULL|rp-basic|0|2026-03-02 09:00:20.000000|LOGIN|e-2`,
		`a\'gent|`+agentARNOf(b.AgentEvents[2])+`|\|Lunch|CUSTOM|2026-03-02 09:00:30.000000|rp-basic|0|2026-03-02 09:00:40.000000|HEART_BEAT|e-4`,
		`b-agent|`+agentARNOf(b.AgentEvents[0])+`|it's; DROP TABLE agent_state; --|O'Brien \' \\x '' $$|ROUTABLE|2026-03-02 09:00:05.123456|Québec – ventes 📞|-3|2026-03-02 09:00:10.000000|STATE_CHANGE|e-1`)
}

func agentARNOf(e connectreporting.AgentEvent) string { return e.AgentARN }

// TestPGStateUpsertFallsBack: a state row a literal cannot carry as the
// COPY would goes by the staging table instead. A NUL in a heartbeat's
// username fails the batch as a data error (the staging COPY's 22021, as
// before; in the statement text it would cut the query short, a syntax
// error). Invalid UTF-8 likewise; a time outside years 1-9999 (which the
// binary COPY stores, and a literal would not read back the same) too.
func TestPGStateUpsertFallsBack(t *testing.T) {
	ctx := context.Background()
	s := openIngestStore(t, DialectPostgres, Options{})
	ev := agentEvent("e-1", connectreporting.AgentEventStateChange, at(10), "a1", "Available", at(10))
	beat := agentEvent("e-2", connectreporting.AgentEventHeartBeat, at(20), "a2", "Available", at(10))
	beat.Username = "bad\x00user"
	if _, err := s.StoreBatch(ctx, connectreporting.Batch{AgentEvents: []connectreporting.AgentEvent{ev, beat}}); !errors.Is(err, connectreporting.ErrData) {
		t.Fatalf("NUL in a state row: err = %v, want a data error", err)
	}
	for _, c := range []struct {
		name string
		set  func(e *connectreporting.AgentEvent)
		ok   bool
	}{
		{"plain", func(*connectreporting.AgentEvent) {}, true},
		{"quotes and backslashes", func(e *connectreporting.AgentEvent) { e.Username = `\'\` }, true},
		{"NUL", func(e *connectreporting.AgentEvent) { e.StatusName = "a\x00b" }, false},
		{"invalid UTF-8", func(e *connectreporting.AgentEvent) { e.RoutingProfileID = "rp\xff" }, false},
		{"year 1", func(e *connectreporting.AgentEvent) {
			e.StatusStartTimestamp = time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC)
		}, true},
		{"year 0", func(e *connectreporting.AgentEvent) {
			e.StatusStartTimestamp = time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)
		}, false},
		{"year 9999", func(e *connectreporting.AgentEvent) {
			e.EventTimestamp = time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)
		}, true},
		{"year 10000", func(e *connectreporting.AgentEvent) { e.EventTimestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
	} {
		e := ev
		c.set(&e)
		p := prepareBatch(connectreporting.Batch{AgentEvents: []connectreporting.AgentEvent{e}}, false)
		if q, ok := pgStateUpsert(p.events, []int{0}); ok != c.ok {
			t.Errorf("%s: ok = %v, want %v (%q)", c.name, ok, c.ok, q)
		}
	}
}
