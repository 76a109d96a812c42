package sqlstore

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

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
