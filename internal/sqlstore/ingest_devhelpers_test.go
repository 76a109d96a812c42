//go:build ingestdev

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

var devDBSeq atomic.Int64

// ingestDialects lists the dialects the ingest tests run on.
func ingestDialects(t testing.TB) []string { return []string{"sqlite", "postgres"} }

// openIngestStore opens a fresh, migrated store of dialect.
func openIngestStore(t testing.TB, dialect string, opts Options) *Store {
	t.Helper()
	ctx := context.Background()
	var s *Store
	var err error
	switch dialect {
	case "sqlite":
		s, err = devOpen(ctx, "sqlite", "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)", opts)
	case "postgres":
		s, err = devOpen(ctx, "pgx", pgDevDSN(t), opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// devPGAdmin is the development PostgreSQL server used until internal/pgtest
// exists: initdb + pg_ctl -o '-p 55433' as the postgres user.
const devPGAdmin = "postgres://postgres@127.0.0.1:55433"

func pgDevDSN(t testing.TB) string {
	name := fmt.Sprintf("ingest_%d_%d", devDBSeq.Add(1), rndSuffix())
	admin, err := sql.Open("pgx", devPGAdmin+"/postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Skipf("no development PostgreSQL at %s (start one, or wait for pgtest): %v", devPGAdmin, err)
	}
	return devPGAdmin + "/" + name
}

func rndSuffix() int64 {
	return int64(devDBSeq.Load()*7919) ^ int64(len(fmt.Sprint(&devDBSeq))) + nowNano()
}
func nowNano() int64 { return int64(timeNow().UnixNano() % 1e9) }

var timeNow = time.Now

func openIngestStorePG(t *testing.T, opts Options) (*Store, string) {
	dsn := pgDevDSN(t)
	s, err := devOpen(context.Background(), "pgx", dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

func openStoreDSN(t *testing.T, dialect, dsn string, opts Options) *Store {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Store{db: db, dialect: dialect, opts: opts}
}

func pgHostPort(t *testing.T, dsn string) string { return "127.0.0.1:55433" }
