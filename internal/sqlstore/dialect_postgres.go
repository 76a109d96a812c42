package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/connect-reporting/connect-reporting/internal/sqlstore/postgres"
)

// postgresDialect is PostgreSQL (pgx): $n placeholders, timestamptz,
// ON CONFLICT upserts, an advisory lock around migrations.
type postgresDialect struct {
	eachRowCloser
}

// pgMaxParams keeps a statement under PostgreSQL's 65,535-parameter limit.
const pgMaxParams = 60000

func (postgresDialect) String() string             { return DialectPostgres }
func (postgresDialect) placeholder(n int) string   { return "$" + strconv.Itoa(n) }
func (d postgresDialect) bind(query string) string { return numberPlaceholders(d, query) }
func (postgresDialect) quoteIdent(n string) string { return n }
func (postgresDialect) maxParams() int             { return pgMaxParams }
func (postgresDialect) rowCountPrefix() string     { return "" }
func (postgresDialect) updateLockHint() string     { return "" }
func (postgresDialect) defaultMaxOpenConns() int   { return 8 }

func (postgresDialect) arg(v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return x.UTC()
	case bool:
		return x
	}
	a, _ := commonArg(v)
	return a
}

func (d postgresDialect) upsertSQL(u upsert, n int) string { return onConflictSQL(d, u, n) }

// lockForUpdate is the PostgreSQL counterpart of SQL Server's UPDLOCK,
// HOLDLOCK (see sqlserverDialect.updateLockHint): overlapping writers of
// the table take turns.
func (postgresDialect) lockForUpdate(ctx context.Context, tx *sql.Tx, table string) error {
	if _, err := tx.ExecContext(ctx, pgLockSQL(table)); err != nil {
		return fmt.Errorf("lock %s: %w", table, err)
	}
	return nil
}

// pgLockSQL is lockForUpdate's statement.
func pgLockSQL(table string) string { return "LOCK TABLE " + table + " IN SHARE ROW EXCLUSIVE MODE" }

// pgLockRollups is lockRollups' statement, for a pipeline.
var pgLockRollups = stmt{what: "lock " + rollupLockTable, query: pgLockSQL(rollupLockTable)}

func (postgresDialect) ping(ctx context.Context, s *Store, _ DSN) error {
	return s.db.PingContext(ctx)
}

func (postgresDialect) migrations() (fs.FS, goose.Dialect) {
	return migrationsDir(postgres.Migrations), goose.DialectPostgres
}

// migrationLock is a session advisory lock.
func (postgresDialect) migrationLock(*Store) (goose.ProviderOption, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return goose.WithSessionLocker(locker), nil
}

// ingestWriter's batch leaves out of its parts upsert those s's batches
// stored already (pgKnownParts).
func (postgresDialect) ingestWriter(s *Store) ingestWriter {
	return pgIngest{parts: &pgBatchParts{known: &s.parts}}
}

// statusDays: agent_status_day (migration 00011).
func (postgresDialect) statusDays() statusDayKeeper { return pgStatusDays{} }

func (postgresDialect) checkServer(context.Context, *sql.DB) error { return nil }

func (postgresDialect) maintainIndexes(ctx context.Context, s *Store) ([]string, error) {
	return s.maintainPostgres(ctx)
}

// keywordDSN reads an Npgsql string (npgsqlDSN).
func (postgresDialect) keywordDSN(kw keywords) (DSN, error) { return npgsqlDSN(kw) }

// rollupLockTable is the table whose lock the rollups' writers take turns
// on (lockRollups).
const rollupLockTable = "queue_interval_rollup"

// lockRollups makes the writers of the rollups' sources take turns (see
// rollup.go); readers are not blocked.
func (d postgresDialect) lockRollups(ctx context.Context, tx *sql.Tx) error {
	return d.lockForUpdate(ctx, tx, rollupLockTable)
}

func (postgresDialect) intCast(expr string) string { return "CAST(" + expr + " AS integer)" }

func (postgresDialect) addSQL(table string, keys, cols []string, sel string) string {
	return onConflictAddSQL(table, keys, cols, sel)
}
