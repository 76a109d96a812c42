package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgStage is a temporary staging table that a batch's rows reach by binary
// COPY (the store's own COPY BINARY stream, ingest_pgcopy.go: pgCopyEvents
// for agent events, pgCopyRows and pgCopyAttrs for contacts and their
// attributes), the fastest way into PostgreSQL: no
// statement parameters to encode, no arrays to build, no text to parse.
// It is created before the first batch of a session (pgCreateStages; a
// temporary table is private to its connection and never written to the
// WAL) and emptied at every commit (ON COMMIT DELETE ROWS), so a staged
// row lives only in the transaction that stages it.
//
// Its columns are the target table's (LIKE, NOT NULL included), so a value
// the target column cannot take fails the COPY itself with the same class
// 22/23 error, a data error, as it did when the values travelled as
// parameters; the flag columns a statement needs besides are typed by kind.
type pgStage[T any] struct {
	name, create string
	names        []string // the columns its COPY writes
}

// newPGStage describes the staging table name: the columns of table
// (LIKE table, the compression of each column included, so a compressed
// document moves on to table as it is, not compressed twice), then extra,
// typed by kind. Its COPY writes cols, then extra.
func newPGStage[T any](name, table string, cols, extra []ingestCol[T]) pgStage[T] {
	defs := []string{"LIKE " + table + " INCLUDING COMPRESSION"}
	for _, c := range extra {
		defs = append(defs, c.name+" "+pgColumnType(c.kind))
	}
	all := append(append([]ingestCol[T]{}, cols...), extra...)
	return pgStage[T]{
		name:   name,
		create: "CREATE TEMP TABLE IF NOT EXISTS " + name + " (" + strings.Join(defs, ", ") + ") ON COMMIT DELETE ROWS",
		names:  colNames(all),
	}
}

func pgColumnType(k colKind) string {
	switch k {
	case kTime:
		return "timestamptz"
	case kInt, kNullInt:
		return "bigint"
	case kBytes:
		return "bytea"
	}
	return "text"
}

// pgStagesReady marks, in a connection's CustomData, that its staging
// tables exist.
const pgStagesReady = "connect-reporting.ingest-stages"

// pgCreateStages creates the staging tables on conn once per connection,
// at its first batch, outside any transaction (one that rolled back would
// take them with it), in one round trip; a connection's later batches
// send nothing for them.
func pgCreateStages(ctx context.Context, conn *sql.Conn) error {
	return withPgx(conn, func(c *pgx.Conn) error {
		ready := c.PgConn().CustomData()
		if ready[pgStagesReady] != nil {
			return nil
		}
		creates := pgEventStage.create + ";\n" + pgContactStage.create + ";\n" + pgAttributeStage.create
		if _, err := c.Exec(ctx, creates); err != nil {
			return fmt.Errorf("staging tables: %w", err)
		}
		ready[pgStagesReady] = true
		return nil
	})
}

// pgCopyOn runs copyRows, a COPY of n rows into table, on the pgx
// connection under conn (inside the transaction conn is in), and checks
// that it stored all n.
func pgCopyOn(conn *sql.Conn, table string, n int, copyRows func(*pgx.Conn) (int64, error)) error {
	if conn == nil {
		return errors.New("postgres ingest: no connection to COPY on")
	}
	err := withPgx(conn, func(c *pgx.Conn) error {
		copied, err := copyRows(c)
		if err == nil && copied != int64(n) {
			err = fmt.Errorf("copied %d of %d rows", copied, n)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// withPgx calls f with the pgx connection under conn, inside the
// transaction conn is in.
func withPgx(conn *sql.Conn, f func(*pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres ingest: driver connection is %T, not pgx", dc)
		}
		return f(c.Conn())
	})
}
