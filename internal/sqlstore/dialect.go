package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
)

// dialect is everything the store does differently on one database: one
// type per dialect, each in its own file (dialect_sqlite.go,
// dialect_postgres.go, dialect_sqlserver.go), so the rest of the package
// asks its dialect instead of branching on a name. The schema itself lives
// in each dialect's migrations; the high-volume batch writers are
// ingest_sqlite.go, ingest_postgres.go and ingest_sqlserver.go.
type dialect interface {
	// String is the dialect's name: DialectSQLite, DialectPostgres or
	// DialectSQLServer.
	String() string

	// placeholder returns the n-th (1-based) bind parameter.
	placeholder(n int) string
	// bind rewrites the ? placeholders of a query as the dialect's.
	bind(query string) string
	// quoteIdent quotes the identifiers the dialect reserves.
	quoteIdent(name string) string
	// arg converts a Go value to what the driver stores in the column (see
	// commonArg); a zero time is NULL.
	arg(v any) any
	// maxParams is how many bind parameters one statement may carry.
	maxParams() int
	// upsertSQL is the multi-row upsert of u for n rows.
	upsertSQL(u upsert, n int) string
	// rowCountPrefix goes before a statement whose row count decides.
	rowCountPrefix() string
	// updateLockHint is the table hint of a read that decides a write in
	// the same transaction (see dialect_sqlserver.go); lockForUpdate is
	// the statement, if any, that runs before such a read of a table.
	updateLockHint() string
	lockForUpdate(ctx context.Context, tx *sql.Tx, table string) error
	// lockRollups makes the writers of the rollups' sources take turns
	// until they commit (rollup.go).
	lockRollups(ctx context.Context, tx *sql.Tx) error
	// intCast casts a text expression to an integer.
	intCast(expr string) string
	// addSQL adds the rows of sel (keys then cols) to table, summing cols
	// into the rows whose keys exist.
	addSQL(table string, keys, cols []string, sel string) string
	// closeConfigRows sets valid_to = readAt on current configuration rows.
	closeConfigRows(ctx context.Context, tx *sql.Tx, s *Store, keys []string, table string, rows []currentRow, readAt time.Time) error

	// keywordDSN reads a Key=Value;... connection string of the dialect
	// (dsn.go).
	keywordDSN(kw keywords) (DSN, error)
	// defaultMaxOpenConns sizes the pool when Options.MaxOpenConns is 0.
	defaultMaxOpenConns() int
	// ping checks the database answers and is one the store can use.
	ping(ctx context.Context, s *Store, d DSN) error
	// checkServer refuses, saying why, a database the store cannot use.
	checkServer(ctx context.Context, db *sql.DB) error
	// migrations are the dialect's embedded goose migrations.
	migrations() (fs.FS, goose.Dialect)
	// migrationLock keeps concurrent migrations of one database apart.
	migrationLock(s *Store) (goose.ProviderOption, error)
	// maintainIndexes runs the index and statistics maintenance of
	// Store.Maintain (maintain.go) and returns the statements it ran.
	maintainIndexes(ctx context.Context, s *Store) ([]string, error)
	// ingestWriter writes a stream batch of s.
	ingestWriter(s *Store) ingestWriter
	// statusDays keeps the agent status day rollup (status_day.go); nil
	// where the dialect keeps none.
	statusDays() statusDayKeeper
}

// dialects are the dialects by name.
var dialects = map[string]dialect{
	DialectSQLite:    sqliteDialect{},
	DialectPostgres:  postgresDialect{},
	DialectSQLServer: sqlserverDialect{},
}

// dialectNamed returns the dialect of a name (DialectSQLite, ...).
func dialectNamed(name string) (dialect, error) {
	d, ok := dialects[name]
	if !ok {
		return nil, fmt.Errorf("unsupported dialect %q", name)
	}
	return d, nil
}

// commonArg converts what every dialect converts alike: a nil pointer and
// an empty string are NULL, an *int travels as int64. ok is false for a
// value the dialect converts itself (a time, a bool).
func commonArg(v any) (any, bool) {
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return nil, true
		}
		return *x, true
	case *int:
		if x == nil {
			return nil, true
		}
		return int64(*x), true
	case string:
		if x == "" {
			return nil, true
		}
		return x, true
	case time.Time, bool:
		return nil, false
	}
	return v, true
}

// numberPlaceholders rewrites the ? of a query as the numbered placeholders
// of d.
func numberPlaceholders(d dialect, query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString(d.placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// noLockForUpdate is the lockForUpdate of dialects whose reads need no
// statement before them.
type noLockForUpdate struct{}

func (noLockForUpdate) lockForUpdate(context.Context, *sql.Tx, string) error { return nil }
func (noLockForUpdate) updateLockHint() string                               { return "" }

// eachRowCloser is the closeConfigRows of dialects that close the rows one
// UPDATE each.
type eachRowCloser struct{}

func (eachRowCloser) closeConfigRows(ctx context.Context, tx *sql.Tx, s *Store, keys []string, table string, rows []currentRow, readAt time.Time) error {
	where := make([]string, 0, len(keys)+1)
	for _, key := range keys {
		where = append(where, s.dialect.quoteIdent(key)+" = ?")
	}
	where = append(where, "valid_from = ?")
	closeSQL := s.q("UPDATE " + table + " SET valid_to = ? WHERE " + strings.Join(where, " AND "))
	for _, old := range rows {
		args := append([]any{s.dialect.arg(readAt)}, old.keys...)
		args = append(args, s.dialect.arg(old.validFrom))
		if _, err := tx.ExecContext(ctx, closeSQL, args...); err != nil {
			return err
		}
	}
	return nil
}

// migrationsDir is the migrations folder of a dialect package's FS.
func migrationsDir(fsys fs.FS) fs.FS {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		panic(fmt.Sprintf("embedded migrations: %v", err)) // a build mistake: the folder is embedded
	}
	return sub
}
