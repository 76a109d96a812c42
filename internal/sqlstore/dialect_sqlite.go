package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/connect-reporting/connect-reporting/internal/sqlstore/sqlite"
)

// sqliteDialect is SQLite (modernc.org/sqlite): ? placeholders, timestamps
// as ISO-8601 text, booleans as 0/1, ON CONFLICT upserts, one writer.
type sqliteDialect struct {
	noLockForUpdate // one writer: a transaction already excludes the others
	eachRowCloser
}

// sqliteMaxParams keeps a statement under SQLite's default variable limit.
const sqliteMaxParams = 32000

// sqliteTimeLayout is the stored form of a timestamp in SQLite: ISO-8601
// UTC with fixed millisecond precision and a Z, so text order is time order.
const sqliteTimeLayout = "2006-01-02T15:04:05.000Z"

// sqliteTime is a timestamp as SQLite stores it; a zero time is NULL.
func sqliteTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(sqliteTimeLayout)
}

func (sqliteDialect) String() string             { return DialectSQLite }
func (sqliteDialect) placeholder(int) string     { return "?" }
func (sqliteDialect) bind(query string) string   { return query }
func (sqliteDialect) quoteIdent(n string) string { return n }
func (sqliteDialect) maxParams() int             { return sqliteMaxParams }
func (sqliteDialect) rowCountPrefix() string     { return "" }

func (sqliteDialect) arg(v any) any {
	switch x := v.(type) {
	case time.Time:
		return sqliteTime(x)
	case bool:
		if x {
			return 1
		}
		return 0
	}
	a, _ := commonArg(v)
	return a
}

func (d sqliteDialect) upsertSQL(u upsert, n int) string { return onConflictSQL(d, u, n) }

// defaultMaxOpenConns is one connection: SQLite has one writer, and a
// single connection keeps :memory: databases whole.
func (sqliteDialect) defaultMaxOpenConns() int { return 1 }

// ping takes a SQLite file's first connection (which turns on WAL) under
// its start lock (sqlite_lock.go).
func (sqliteDialect) ping(ctx context.Context, s *Store, d DSN) error {
	s.sqliteConn = d.Conn
	return withSQLiteStartLock(ctx, d.Conn, func() error { return s.db.PingContext(ctx) })
}

func (sqliteDialect) migrations() (fs.FS, goose.Dialect) {
	return migrationsDir(sqlite.Migrations), goose.DialectSQLite3
}

// migrationLock is a lock file beside the database (sqlite_lock.go).
func (sqliteDialect) migrationLock(s *Store) (goose.ProviderOption, error) {
	return goose.WithLocker(newSQLiteStartLock(s.sqliteConn)), nil
}

func (sqliteDialect) ingestWriter(*Store) ingestWriter { return sqliteIngest{} }

// statusDays: none; kpi_agent_status_day reads the intervals.
func (sqliteDialect) statusDays() statusDayKeeper { return nil }

func (sqliteDialect) checkServer(context.Context, *sql.DB) error { return nil }

func (sqliteDialect) maintainIndexes(ctx context.Context, s *Store) ([]string, error) {
	return s.maintainSQLite(ctx)
}

// keywordDSN reads "Data Source=PATH".
func (sqliteDialect) keywordDSN(kw keywords) (DSN, error) {
	if p := kw.kv["datasource"]; p != "" {
		return sqliteDSN(p)
	}
	return DSN{}, dsnErr("STORAGE=sqlite needs sqlite:PATH or Data Source=PATH")
}

// lockRollups: SQLite has one writer at a time already.
func (sqliteDialect) lockRollups(context.Context, *sql.Tx) error { return nil }

func (sqliteDialect) intCast(expr string) string { return "CAST(" + expr + " AS INTEGER)" }

func (sqliteDialect) addSQL(table string, keys, cols []string, sel string) string {
	return onConflictAddSQL(table, keys, cols, sel)
}
