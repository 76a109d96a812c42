package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// TestPGCopyStagingAcrossBatches runs batches of every outcome through one
// PostgreSQL connection (MaxOpenConns 1), so each meets the staging table
// the previous one left: a first batch that fails (the transaction that
// created the staging table rolls back), all-new events (COPY straight into
// agent_event), a redelivery mixing stored and new events (the COPY rolls
// back to its savepoint, the staged batch is inserted with ON CONFLICT),
// and a batch with heartbeats only. Every count and row is what the batch
// alone would give: nothing staged survives a commit or a rollback.
func TestPGCopyStagingAcrossBatches(t *testing.T) {
	const (
		login  = connectreporting.AgentEventLogin
		change = connectreporting.AgentEventStateChange
		beat   = connectreporting.AgentEventHeartBeat
	)
	type res = connectreporting.BatchResult
	evs := func(e ...connectreporting.AgentEvent) connectreporting.Batch {
		return connectreporting.Batch{AgentEvents: e}
	}
	e := func(i int, typ string) connectreporting.AgentEvent {
		return agentEvent(fmt.Sprintf("e-%02d", i), typ, at(10*i), fmt.Sprintf("a%d", i%2), "Available", at(10*i))
	}
	s := openIngestStore(t, DialectPostgres, Options{MaxOpenConns: 1})
	ctx := context.Background()
	poison := e(0, change)
	poison.EventType = "BAD\x00TYPE" // text PostgreSQL refuses
	if _, err := s.StoreBatch(ctx, evs(poison, e(1, login))); !errors.Is(err, connectreporting.ErrData) {
		t.Fatalf("poison batch: err = %v, want a data error", err)
	}
	steps := []struct {
		name string
		b    connectreporting.Batch
		want res
	}{
		{"new", evs(e(1, login), e(2, login), e(3, change)), res{Stored: 3}},
		{"redelivery", evs(e(2, login), e(3, change), e(4, change), e(5, beat)), res{Stored: 1, Duplicate: 2, Heartbeat: 1}},
		{"new again", evs(e(6, change), e(7, change)), res{Stored: 2}},
		{"heartbeats only", evs(e(8, beat), e(9, beat)), res{Heartbeat: 2}},
	}
	for _, st := range steps {
		got, err := s.StoreBatch(ctx, st.b)
		if err != nil || got != st.want {
			t.Fatalf("%s: %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
	wantRows(t, s, "SELECT count(*), min(event_id), max(event_id) FROM agent_event", "6|e-01|e-07")
	wantRows(t, s, "SELECT agent_id, last_event_id, last_event_type FROM agent_state ORDER BY agent_id",
		"a0|e-08|HEART_BEAT", "a1|e-09|HEART_BEAT")
}

// TestPGContactStagingAcrossBatches: contact records and their attributes
// staged by COPY through one connection, batch after batch: new contacts,
// a newer version (attributes replaced, an empty value kept as "", not
// NULL), an older one (nothing changes), and the counts that tell new from
// newer, read in the same statement as the upsert.
func TestPGContactStagingAcrossBatches(t *testing.T) {
	type res = connectreporting.BatchResult
	crs := func(c ...connectreporting.ContactRecord) connectreporting.Batch {
		return connectreporting.Batch{ContactRecords: c}
	}
	s := openIngestStore(t, DialectPostgres, Options{MaxOpenConns: 1})
	ctx := context.Background()
	c1 := contactRecord("c-1", at(100), "a1", map[string]string{"lang": "en", "tier": "gold"})
	c2 := contactRecord("c-2", at(100), "a2", nil)
	c1v2 := contactRecord("c-1", at(200), "a1", map[string]string{"tier": "", "vip": "yes"})
	steps := []struct {
		name string
		b    connectreporting.Batch
		want res
	}{
		{"new", crs(c1, c2), res{Stored: 2}},
		{"newer and new", crs(c1v2, contactRecord("c-3", at(100), "a3", map[string]string{"x": "1"})), res{Stored: 1, Updated: 1}},
		{"older", crs(c1, c2), res{Duplicate: 2}},
	}
	for _, st := range steps {
		got, err := s.StoreBatch(ctx, st.b)
		if err != nil || got != st.want {
			t.Fatalf("%s: %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
	wantRows(t, s, "SELECT contact_id, name, COALESCE(value, 'NULL') FROM contact_attribute ORDER BY contact_id, name",
		"c-1|tier|", "c-1|vip|yes", "c-3|x|1")
	wantRows(t, s, "SELECT contact_id, to_char(last_update_timestamp AT TIME ZONE 'UTC', 'HH24:MI:SS') FROM contact_record ORDER BY contact_id",
		"c-1|09:03:20", "c-2|09:01:40", "c-3|09:01:40")
}
