package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// TestPGReportDaysAfterRestart: a store opened on a database that holds its
// report days already (a restarted daemon, which knows no day yet) leaves
// agent_day_rollup as it is for them (those rows keep their place), and
// computes it for a day report_interval lacked; every rollup equals its
// recomputation.
func TestPGReportDaysAfterRestart(t *testing.T) {
	first, dsn := openIngestStorePG(t, Options{})
	ctx := context.Background()
	contacts := func(day, n int) connectreporting.Batch {
		var b connectreporting.Batch
		for i := range n {
			ts := t0.Add(time.Duration(day)*24*time.Hour + time.Duration(i)*7*time.Minute)
			b.ContactRecords = append(b.ContactRecords, contactRecord(fmt.Sprintf("c-%d-%03d", day, i), ts,
				fmt.Sprintf("agent-%d", i%3), map[string]string{"k": "v"}))
		}
		return b
	}
	if _, err := first.StoreBatch(ctx, contacts(0, 40)); err != nil {
		t.Fatal(err)
	}
	places := func(s *Store) map[string]string {
		return rowIDs(t, s, "SELECT local_date::text || agent_id, ctid::text FROM agent_day_rollup")
	}
	before := places(first)
	if len(before) == 0 {
		t.Fatal("no agent_day_rollup rows")
	}

	restarted := openStoreDSN(t, dsn, Options{})
	ev := agentEvent("e-1", connectreporting.AgentEventLogin, t0.Add(time.Hour), "agent-0", "Available", t0.Add(time.Hour))
	if _, err := restarted.StoreBatch(ctx, connectreporting.Batch{AgentEvents: []connectreporting.AgentEvent{ev}}); err != nil {
		t.Fatal(err)
	}
	if after := places(restarted); !maps.Equal(after, before) {
		t.Errorf("a batch of a stored day rewrote agent_day_rollup:\n%v\nwas\n%v", after, before)
	}
	if _, err := restarted.StoreBatch(ctx, contacts(1, 10)); err != nil {
		t.Fatal(err)
	}
	if got, want := rollupSnapshot(t, restarted), recomputed(t, restarted); !equalSnapshots(got, want) {
		t.Errorf("rollups differ from their recomputation:\n%v\nwant\n%v", got, want)
	}
}
