package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// mssqlMigrationLock serialises the migrations of one SQL Server database
// (goose's session locker, as PostgreSQL's advisory lock does): concurrent
// cold starts wait for the first to finish instead of racing to create the
// same tables (Msg 2714) or goose_db_version rows. sp_getapplock with
// @LockOwner = 'Session' holds the lock until released or the session
// ends, so a migrator that dies never leaves it held.
type mssqlMigrationLock struct{ timeout time.Duration }

// mssqlMigrationResource names the application lock.
const mssqlMigrationResource = "connect-reporting:migrate"

const mssqlGetAppLock = `DECLARE @r int;
EXEC @r = sys.sp_getapplock @Resource = @p1, @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = @p2;
SELECT @r;`

const mssqlReleaseAppLock = `DECLARE @r int;
EXEC @r = sys.sp_releaseapplock @Resource = @p1, @LockOwner = N'Session';
SELECT @r;`

func (l mssqlMigrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	var r int
	if err := conn.QueryRowContext(ctx, mssqlGetAppLock, mssqlMigrationResource, l.timeout.Milliseconds()).Scan(&r); err != nil {
		return fmt.Errorf("take the migration lock (sp_getapplock): %w", err)
	}
	// 0: granted; 1: granted after waiting; -1 timeout; -2 cancelled;
	// -3 deadlock victim; -999 bad call.
	if r < 0 {
		return fmt.Errorf("take the migration lock (sp_getapplock): result %d (-1 is a timeout after %s: another migration still runs)", r, l.timeout)
	}
	return nil
}

func (l mssqlMigrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var r int
	if err := conn.QueryRowContext(ctx, mssqlReleaseAppLock, mssqlMigrationResource).Scan(&r); err != nil {
		return fmt.Errorf("release the migration lock (sp_releaseapplock): %w", err)
	}
	if r < 0 {
		return fmt.Errorf("release the migration lock (sp_releaseapplock): result %d", r)
	}
	return nil
}

// mssqlMinCompatibility is the lowest database compatibility level the
// store works at: OPENJSON needs 130 (SQL Server 2016).
const mssqlMinCompatibility = 130

const mssqlCompatibilitySQL = `SELECT DB_NAME(), compatibility_level FROM sys.databases WHERE database_id = DB_ID()`

// mssqlCheckCompatibility fails, saying how to fix it, when the database's
// compatibility level is below 130: the schema would migrate, then every
// batch would fail on OPENJSON (Msg 208).
func mssqlCheckCompatibility(ctx context.Context, db *sql.DB) error {
	var name string
	var level int
	if err := db.QueryRowContext(ctx, mssqlCompatibilitySQL).Scan(&name, &level); err != nil {
		return fmt.Errorf("read the SQL Server database's compatibility level: %w", err)
	}
	if level < mssqlMinCompatibility {
		return fmt.Errorf("SQL Server database %s is at compatibility level %d; connect-reporting needs %d or higher (OPENJSON): "+
			"raise it with ALTER DATABASE [%s] SET COMPATIBILITY_LEVEL = %d (or the server's own level) and start again",
			name, level, mssqlMinCompatibility, name, mssqlMinCompatibility)
	}
	return nil
}

// deadlockRetries is how many times a transaction chosen as a deadlock
// victim is run again before its error is returned.
const deadlockRetries = 4

// deadlockBackoff is the wait before retry n (0-based): 50 ms doubling,
// with jitter so that the two victims of one deadlock do not meet again.
var deadlockBackoff = func(n int) time.Duration {
	d := 50 * time.Millisecond << n
	return d/2 + rand.N(d)
}

// isDeadlock tells a deadlock victim: SQL Server Msg 1205, PostgreSQL
// SQLSTATE 40P01. The server rolled the whole transaction back, so running
// it again from the start is safe.
func isDeadlock(err error) bool {
	var ms interface{ SQLErrorNumber() int32 }
	if errors.As(err, &ms) && ms.SQLErrorNumber() == 1205 {
		return true
	}
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "40P01"
}

// retryDeadlocks runs tx, a whole transaction, again (after a backoff) while
// it fails as a deadlock victim, up to deadlockRetries times.
func retryDeadlocks[T any](ctx context.Context, s *Store, what string, tx func() (T, error)) (T, error) {
	for n := 0; ; n++ {
		v, err := tx()
		if err == nil || !isDeadlock(err) || n == deadlockRetries {
			return v, err
		}
		wait := deadlockBackoff(n)
		s.logger().WarnContext(ctx, "deadlock victim; running the transaction again", "what", what, "retry", n+1, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return v, errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}
