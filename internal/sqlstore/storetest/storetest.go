// Package storetest is the conformance suite of the store: the semantics
// DESIGN.md promises (exactly once stored, contact versions, agent state
// moving forward only, snapshots, metrics, checkpoints, configuration
// history, shard leases), written once and run by every dialect, as goose
// runs one suite for all its dialects.
//
// A dialect's test calls Run with a Harness that opens a fresh, migrated
// store of that dialect (sqlstore's TestConformanceSQLite,
// TestConformancePostgres, TestConformanceSQLServer). The package depends
// on the root interfaces only, not on sqlstore, so sqlstore's own tests
// may use its record builders and table dumps as well.
package storetest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Store is what the suite exercises: every store interface of the root
// package, and the database itself, which the suite reads to check what
// was stored.
type Store interface {
	connectreporting.Store
	connectreporting.StreamCheckpointStore
	connectreporting.LeaseStore
	Health(ctx context.Context, now time.Time) (connectreporting.Health, error)
	DB() *sql.DB
}

// Options are the store options a case needs.
type Options struct {
	StoreHeartbeats bool // keep HEART_BEAT agent events as agent_event rows
}

// Harness is how the suite reaches one dialect.
type Harness struct {
	// Open returns a fresh, migrated, empty store, closed when t ends.
	Open func(t testing.TB, o Options) Store
	// Quote quotes a name the dialect reserves (the table queue, the
	// column delay).
	Quote func(ident string) string
}

// Run runs every case of the suite, each as a subtest on its own store.
func Run(t *testing.T, h Harness) {
	cases := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"BatchSemantics", batchSemantics},
		{"EmptyBatch", emptyBatch},
		{"Replay", replay},
		{"Snapshots", snapshots},
		{"SnapshotsRepeatedKeys", snapshotsRepeatedKeys},
		{"IntervalMetricsAndCheckpoints", intervalMetricsAndCheckpoints},
		{"AgentIntervalMetrics", agentIntervalMetrics},
		{"SyncConfiguration", syncConfiguration},
		{"UserDetails", userDetails},
		{"StreamCheckpoints", streamCheckpoints},
		{"ShardLeases", shardLeases},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, h) })
	}
}
