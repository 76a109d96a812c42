package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgx's CopyFrom, the reference the store's own COPY BINARY streams
// (ingest_pgcopy.go) are held to (TestPGContactCopyEncoding,
// TestPGLazyEncodingStoresEager), and the way the benchmarks' floor COPYs
// rows into agent_event.

// colValues sets the values of cols for CopyFrom (see pgCopyValue).
func colValues[T any](cols []ingestCol[T]) func(*T, []any) {
	return func(r *T, vals []any) {
		for i, c := range cols {
			vals[i] = pgCopyValue(c.kind, c.get(r))
		}
	}
}

// pgCopyCols writes cols of rows into table by binary COPY on conn.
func pgCopyCols[T any](ctx context.Context, conn *sql.Conn, table string, cols []ingestCol[T], rows []T) error {
	return pgCopy(ctx, conn, table, colNames(cols), colValues(cols), rows)
}

// pgCopy writes the columns names of rows (values sets a row's values)
// into table by binary COPY on conn, inside the transaction conn is in.
func pgCopy[T any](ctx context.Context, conn *sql.Conn, table string, names []string, values func(*T, []any), rows []T) error {
	src := &pgCopySource[T]{rows: rows, i: -1, values: values, vals: make([]any, len(names))}
	return pgCopyOn(conn, table, len(rows), func(c *pgx.Conn) (int64, error) {
		return c.CopyFrom(ctx, pgx.Identifier{table}, names, src)
	})
}

// pgCopySource hands rows to CopyFrom one at a time, reusing one slice of
// values (CopyFrom encodes a row before it asks for the next).
type pgCopySource[T any] struct {
	rows   []T
	i      int
	values func(*T, []any)
	vals   []any
}

func (s *pgCopySource[T]) Next() bool { s.i++; return s.i < len(s.rows) }

func (s *pgCopySource[T]) Values() ([]any, error) {
	s.values(&s.rows[s.i], s.vals)
	return s.vals, nil
}

func (s *pgCopySource[T]) Err() error { return nil }

// pgCopyValue is a column value as CopyFrom takes it: colArg's NULLs, a
// time as itself, and JSON as its bytes (no copy into a string).
func pgCopyValue(k colKind, v any) any {
	if b, ok := v.([]byte); ok && (k == kRaw || k == kBytes) && len(b) > 0 {
		return b
	}
	return colArg(k, v, pgCopyTime)
}

func pgCopyTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
