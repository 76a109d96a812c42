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
