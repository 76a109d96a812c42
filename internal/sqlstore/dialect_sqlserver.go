package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/golang-sql/civil"
	"github.com/pressly/goose/v3"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/connect-reporting/connect-reporting/internal/sqlstore/sqlserver"
)

// sqlserverDialect is SQL Server (go-mssqldb): @pN placeholders, datetime2,
// MERGE upserts under the 2,100-parameter limit, an application lock
// around migrations. Its batch writer is ingest_sqlserver.go; its other
// statements are in mssql_config.go and mssql_ops.go.
type sqlserverDialect struct{}

// mssqlMaxParams keeps a statement under SQL Server's 2,100-parameter limit.
const mssqlMaxParams = 2000

func (sqlserverDialect) String() string             { return DialectSQLServer }
func (sqlserverDialect) placeholder(n int) string   { return "@p" + strconv.Itoa(n) }
func (d sqlserverDialect) bind(query string) string { return numberPlaceholders(d, query) }
func (sqlserverDialect) maxParams() int             { return mssqlMaxParams }
func (sqlserverDialect) defaultMaxOpenConns() int   { return 8 }

// rowCountPrefix turns NOCOUNT off, so a statement's row count is reported
// whatever a batch before it on the connection set.
func (sqlserverDialect) rowCountPrefix() string { return "SET NOCOUNT OFF; " }

// quoteIdent brackets the column and table names SQL Server reserves.
func (sqlserverDialect) quoteIdent(name string) string {
	if name == "queue" || name == "delay" {
		return "[" + name + "]"
	}
	return name
}

func (sqlserverDialect) arg(v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return mssql.NullDateTime{} // a datetime2 NULL
		}
		// A time.Time would travel as datetimeoffset(7), making SQL Server
		// convert the datetime2 column side of a comparison (no index seek;
		// range locks beyond the key). civil.DateTime travels as
		// datetime2(7).
		return civil.DateTimeOf(x.UTC())
	case bool:
		return x
	}
	a, _ := commonArg(v)
	return a
}

// updateLockHint is the table hint of a read that decides a write in the
// same transaction: UPDLOCK, HOLDLOCK keep the rows and the key range read
// (rows that are not there included) until the transaction ends, so a
// second, overlapping writer waits and then sees the first one's result. A
// configuration sync reads its current rows so (two syncs cannot both open
// a current row for one entity), and a stream checkpoint write its shard's
// row (an older sequence number cannot overwrite a newer one).
func (sqlserverDialect) updateLockHint() string { return " WITH (UPDLOCK, HOLDLOCK)" }

func (sqlserverDialect) lockForUpdate(context.Context, *sql.Tx, string) error { return nil }

// closeConfigRows closes the rows in one statement per 2,000 parameters
// (mssqlCloseRows).
func (sqlserverDialect) closeConfigRows(ctx context.Context, tx *sql.Tx, _ *Store, keys []string, table string, rows []currentRow, readAt time.Time) error {
	return mssqlCloseRows(ctx, tx, keys, table, rows, readAt)
}

// upsertSQL is a MERGE ... WITH (HOLDLOCK) of a VALUES list.
func (d sqlserverDialect) upsertSQL(u upsert, n int) string {
	var b strings.Builder
	cols := u.quotedCols(d)
	fmt.Fprintf(&b, "MERGE INTO %s WITH (HOLDLOCK) AS t USING (VALUES ", d.quoteIdent(u.table))
	writeValues(&b, d, len(u.cols), n)
	fmt.Fprintf(&b, ") AS s (%s) ON ", strings.Join(cols, ", "))
	for i, k := range u.keys {
		if i > 0 {
			b.WriteString(" AND ")
		}
		fmt.Fprintf(&b, "t.%s = s.%s", d.quoteIdent(k), d.quoteIdent(k))
	}
	if sets := u.sets(cols, "%s = s.%s"); !u.ignore && len(sets) > 0 {
		cond := ""
		if u.newer != "" {
			cond = fmt.Sprintf(" AND t.%s < s.%s", d.quoteIdent(u.newer), d.quoteIdent(u.newer))
		}
		fmt.Fprintf(&b, " WHEN MATCHED%s THEN UPDATE SET %s", cond, strings.Join(sets, ", "))
	}
	src := make([]string, len(cols))
	for i, c := range cols {
		src[i] = "s." + c
	}
	fmt.Fprintf(&b, " WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s);", strings.Join(cols, ", "), strings.Join(src, ", "))
	return b.String()
}

func (sqlserverDialect) ping(ctx context.Context, s *Store, _ DSN) error {
	return s.db.PingContext(ctx)
}

// checkServer refuses a database below compatibility level 130
// (mssqlCheckCompatibility).
func (sqlserverDialect) checkServer(ctx context.Context, db *sql.DB) error {
	return mssqlCheckCompatibility(ctx, db)
}

func (sqlserverDialect) migrations() (fs.FS, goose.Dialect) {
	return migrationsDir(sqlserver.Migrations), goose.DialectMSSQL
}

// migrationLock is an application lock (sp_getapplock, mssql_ops.go).
func (sqlserverDialect) migrationLock(*Store) (goose.ProviderOption, error) {
	return goose.WithSessionLocker(mssqlMigrationLock{timeout: 15 * time.Minute}), nil
}

func (sqlserverDialect) ingestWriter(*Store) ingestWriter { return mssqlIngest{} }

// statusDays: none; kpi_agent_status_day reads the intervals.
func (sqlserverDialect) statusDays() statusDayKeeper { return nil }

func (sqlserverDialect) maintainIndexes(ctx context.Context, s *Store) ([]string, error) {
	return s.maintainSQLServer(ctx)
}

// keywordDSN reads an ADO.NET string (adoDSN).
func (sqlserverDialect) keywordDSN(kw keywords) (DSN, error) { return adoDSN(kw) }

// mssqlRollupLock is an exclusive application lock held until the
// transaction ends: the writers of the rollups' sources take turns (see
// rollup.go).
const mssqlRollupLock = `DECLARE @r int;
EXEC @r = sys.sp_getapplock @Resource = N'connect-reporting:rollups', @LockMode = N'Exclusive', @LockOwner = N'Transaction';
SELECT @r;`

func (sqlserverDialect) lockRollups(ctx context.Context, tx *sql.Tx) error {
	var r int
	if err := tx.QueryRowContext(ctx, mssqlRollupLock).Scan(&r); err != nil {
		return fmt.Errorf("take the rollup lock (sp_getapplock): %w", err)
	}
	if r < 0 {
		return fmt.Errorf("take the rollup lock (sp_getapplock): result %d", r)
	}
	return nil
}

func (sqlserverDialect) intCast(expr string) string { return "TRY_CAST(" + expr + " AS int)" }

func (sqlserverDialect) addSQL(table string, keys, cols []string, sel string) string {
	return mssqlAddSQL(table, keys, cols, sel)
}
