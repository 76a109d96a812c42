// Package polltest is the one harness of the poller tests (realtime,
// historical, configsync): real stores of every dialect the machine has,
// beside connectapitest's real Connect client talking HTTP to the
// simulated API. No fake API and no fake store.
package polltest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/connect-reporting/connect-reporting/internal/mssqltest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// Dialects are the dialects the poller integration tests run on: SQLite
// and PostgreSQL, and SQL Server when MSSQL_DSN is set.
func Dialects() []string { return mssqltest.Dialects("sqlite", "postgres") }

// OpenStore opens a fresh, migrated store of dialect ("sqlite": a file in
// t's temporary directory; "postgres": a database of pgtest; "sqlserver":
// one of mssqltest), closed when t ends. The test binary's TestMain must
// run pgtest.Main for PostgreSQL.
func OpenStore(t testing.TB, dialect string) *sqlstore.Store {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "poll.db")
	switch dialect {
	case "postgres":
		dsn = pgtest.DSN(t)
	case "sqlserver":
		dsn = mssqltest.DSN(t)
	}
	s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
