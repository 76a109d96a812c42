package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// TestIntegrationShardLeases walks one lease through its life on every
// dialect: created free, taken (compare and set on the counter), renewed,
// stolen, fenced (a batch of the old owner stores nothing), finished.
func TestIntegrationShardLeases(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openIngestStore(t, dialect, Options{})
			mustLease := func(want string) connectreporting.ShardLease {
				t.Helper()
				ls, err := s.Leases(ctx, "ae")
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range ls {
					if l.ShardID == "shard-0" {
						if got := l.Owner + "|" + l.Checkpoint; got != want {
							t.Fatalf("lease %s, want %s", got, want)
						}
						return l
					}
				}
				t.Fatalf("no lease shard-0 in %+v", ls)
				return connectreporting.ShardLease{}
			}
			created := []connectreporting.ShardLease{{Stream: "ae", ShardID: "shard-0", Checkpoint: "TRIM_HORIZON"}, {Stream: "ae", ShardID: "shard-1", Checkpoint: "LATEST"}}
			for range 2 { // twice: the second call changes nothing
				if err := s.CreateLeases(ctx, created); err != nil {
					t.Fatal(err)
				}
			}
			l := mustLease("|TRIM_HORIZON")
			if ok, err := s.TakeLease(ctx, l, "A"); err != nil || !ok {
				t.Fatalf("take = %v, %v", ok, err)
			}
			if ok, err := s.TakeLease(ctx, l, "B"); err != nil || ok { // l.Counter is stale now
				t.Fatalf("take with a stale counter = %v, %v", ok, err)
			}
			if err := s.CreateLeases(ctx, created); err != nil {
				t.Fatal(err)
			}
			l = mustLease("A|TRIM_HORIZON")
			if ok, err := s.RenewLease(ctx, "ae", "shard-0", "A"); err != nil || !ok {
				t.Fatalf("renew = %v, %v", ok, err)
			}
			if l2 := mustLease("A|TRIM_HORIZON"); l2.Counter != l.Counter+1 {
				t.Fatalf("counter %d after a renewal of %d", l2.Counter, l.Counter)
			}

			t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			batch := func(id, owner, seq string) connectreporting.Batch {
				return connectreporting.Batch{
					AgentEvents: []connectreporting.AgentEvent{agentEvent(id, "STATE_CHANGE", t0, "agent-1", "Available", t0)},
					Checkpoint:  &connectreporting.ShardCheckpoint{Stream: "ae", ShardID: "shard-0", SequenceNumber: seq, Owner: owner},
				}
			}
			if res, err := s.StoreBatch(ctx, batch("e1", "A", "100")); err != nil || res.Stored != 1 {
				t.Fatalf("owner's batch = %+v, %v", res, err)
			}
			if seq, ok, err := s.StreamCheckpoint(ctx, "ae", "shard-0"); err != nil || !ok || seq != "100" {
				t.Fatalf("checkpoint = %q %v %v, want 100", seq, ok, err)
			}
			if _, err := s.StoreBatch(ctx, batch("e2", "B", "200")); !errors.Is(err, connectreporting.ErrLeaseLost) {
				t.Fatalf("non-owner's batch: %v, want ErrLeaseLost", err)
			}

			// B steals the lease: A's next batch is refused whole.
			if ok, err := s.TakeLease(ctx, mustLease("A|100"), "B"); err != nil || !ok {
				t.Fatalf("steal = %v, %v", ok, err)
			}
			if ok, err := s.RenewLease(ctx, "ae", "shard-0", "A"); err != nil || ok {
				t.Fatalf("renewal by the old owner = %v, %v", ok, err)
			}
			if _, err := s.StoreBatch(ctx, batch("e3", "A", "300")); !errors.Is(err, connectreporting.ErrLeaseLost) {
				t.Fatalf("old owner's batch: %v, want ErrLeaseLost", err)
			}
			wantRows(t, s, "SELECT event_id FROM agent_event ORDER BY event_id", "e1")
			if err := s.FinishShard(ctx, "ae", "shard-0", "A"); !errors.Is(err, connectreporting.ErrLeaseLost) {
				t.Fatalf("finish by the old owner: %v", err)
			}
			if err := s.FinishShard(ctx, "ae", "shard-0", "B"); err != nil {
				t.Fatal(err)
			}
			l = mustLease("|SHARD_END")
			if ok, err := s.TakeLease(ctx, l, "C"); err != nil || ok {
				t.Fatalf("a finished shard was taken: %v, %v", ok, err)
			}
			if _, ok, err := s.StreamCheckpoint(ctx, "ae", "shard-0"); err != nil || ok {
				t.Fatalf("a finished shard has a sequence-number checkpoint: %v %v", ok, err)
			}

			// Release frees a lease for the next taker at once.
			l1 := connectreporting.ShardLease{}
			ls, _ := s.Leases(ctx, "ae")
			for _, l := range ls {
				if l.ShardID == "shard-1" {
					l1 = l
				}
			}
			if ok, err := s.TakeLease(ctx, l1, "A"); err != nil || !ok {
				t.Fatalf("take shard-1 = %v, %v", ok, err)
			}
			if err := s.ReleaseLease(ctx, "ae", "shard-1", "A"); err != nil {
				t.Fatal(err)
			}
			h, err := s.Health(ctx, t0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range h.StreamCheckpoints {
				got = append(got, c.ShardID+"="+c.SequenceNumber+"@"+c.Owner)
			}
			if want := "shard-0=SHARD_END@ shard-1=LATEST@"; strings.Join(got, " ") != want {
				t.Errorf("health checkpoints %v, want %s", got, want)
			}
		})
	}
}

// TestShardLeaseMigrationKeepsCheckpoints: the stream_checkpoint rows of
// an earlier daemon become free leases at their checkpoints.
func TestShardLeaseMigrationKeepsCheckpoints(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s := openStoreDSN(t, "sqlite:"+path, Options{})
	if _, err := s.DB().ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		t.Fatal(err)
	}
	p, err := s.provider()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "INSERT INTO stream_checkpoint VALUES ('ae', 'shard-0', '4959', '2026-03-02T09:00:00.000Z')"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ls, err := s.Leases(ctx, "ae")
	if err != nil || len(ls) != 1 || ls[0].Checkpoint != "4959" || ls[0].Owner != "" {
		t.Fatalf("leases after the migration: %+v, %v", ls, err)
	}
}

// TestSQLServerLeaseSQL pins the lease statements as SQL Server receives
// them, and the stream_lease DDL: no SQL Server here, so a change must be
// reviewed by eye (go test -run TestSQLServerLeaseSQL -update-ingest).
func TestSQLServerLeaseSQL(t *testing.T) {
	s := &Store{dialect: sqlserverDialect{}}
	names := make([]string, 0, len(leaseStatements))
	for n := range leaseStatements {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		q := s.countQ(leaseStatements[n])
		if n == "select" {
			q = s.q(leaseStatements[n])
		}
		b.WriteString("-- " + n + "\n" + q + "\n")
	}
	b.WriteString("-- insert (2 leases)\n" + leaseInsert.sql(sqlserverDialect{}, 2) + "\n")
	files, err := MigrationSQL(DialectSQLServer)
	if err != nil {
		t.Fatal(err)
	}
	ddl := files["00008_shard_lease.sql"]
	b.WriteString("-- 00008_shard_lease.sql, statements\n")
	for _, line := range strings.Split(ddl, "\n") {
		if !strings.HasPrefix(line, "--") || strings.HasPrefix(line, "-- +goose") {
			b.WriteString(line + "\n")
		}
	}
	checkGolden(t, "lease_sqlserver.sql.golden", b.String())
}
