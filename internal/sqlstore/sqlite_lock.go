package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/pressly/goose/v3/lock"
)

// sqliteStartLock serialises the first open and the migrations of one
// SQLite file across processes: two `migrate` runs, or two daemons,
// starting at once on a new file would otherwise both create the schema
// ("table agent_event already exists") or meet SQLITE_BUSY while one turns
// on WAL.
//
// The lock is a write transaction (BEGIN IMMEDIATE) on a sibling file,
// PATH-migrate-lock, held on its own connection: SQLite's own file locks,
// which the operating system drops if the process dies, so a crash never
// leaves it held. The database itself cannot hold it: the store has one
// connection, and goose migrates on it.
type sqliteStartLock struct {
	path string // the lock file; "" for in-memory databases: nothing to lock
	db   *sql.DB
	conn *sql.Conn
}

var _ lock.Locker = (*sqliteStartLock)(nil)

// newSQLiteStartLock returns the lock of the SQLite database that the
// driver connection string conn ("file:PATH?…") names.
func newSQLiteStartLock(conn string) *sqliteStartLock {
	path, query, _ := strings.Cut(strings.TrimPrefix(conn, "file:"), "?")
	q, _ := url.ParseQuery(query)
	if path == "" || path == ":memory:" || q.Get("mode") == "memory" {
		return &sqliteStartLock{}
	}
	return &sqliteStartLock{path: path + "-migrate-lock"}
}

// Lock waits for the lock until ctx ends. The db argument (goose's) is
// not used.
func (l *sqliteStartLock) Lock(ctx context.Context, _ *sql.DB) error {
	if l.path == "" {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+l.path+"?_pragma=busy_timeout(1000)")
	if err != nil {
		return fmt.Errorf("sqlite start lock: %w", err)
	}
	db.SetMaxOpenConns(1)
	for {
		err = l.try(ctx, db)
		if err == nil || ctx.Err() != nil {
			break
		}
		// SQLITE_BUSY after the busy timeout: another process migrates.
	}
	if err != nil {
		db.Close()
		return fmt.Errorf("sqlite start lock %s: %w", l.path, errors.Join(ctx.Err(), err))
	}
	l.db = db
	return nil
}

func (l *sqliteStartLock) try(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		conn.Close()
		return err
	}
	l.conn = conn
	return nil
}

// Unlock releases the lock. The lock file stays, empty, for the next start.
func (l *sqliteStartLock) Unlock(ctx context.Context, _ *sql.DB) error {
	if l.db == nil {
		return nil
	}
	_, err := l.conn.ExecContext(ctx, "ROLLBACK")
	err = errors.Join(err, l.conn.Close(), l.db.Close())
	l.db, l.conn = nil, nil
	return err
}

// withSQLiteStartLock runs f under the start lock of the SQLite database
// that the driver connection string conn names.
func withSQLiteStartLock(ctx context.Context, conn string, f func() error) error {
	l := newSQLiteStartLock(conn)
	if err := l.Lock(ctx, nil); err != nil {
		return err
	}
	return errors.Join(f(), l.Unlock(context.WithoutCancel(ctx), nil))
}
