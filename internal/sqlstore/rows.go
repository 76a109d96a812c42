package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// This file holds the small SQL builder behind the lower-volume writes
// (snapshots, interval metrics, checkpoints, configuration): multi-row
// upserts whose only per-dialect differences (placeholders, the upsert
// syntax, how a timestamp travels, the parameter limit) the dialect gives.

// upsert describes a multi-row write of one table.
type upsert struct {
	table string
	cols  []string
	keys  []string // conflict target; the other columns are updated
	// ignore keeps existing rows as they are (insert only what is new).
	ignore bool
	// newer, when set, names a column: an existing row is updated only when
	// the incoming value of that column is greater (a current-state row
	// never moves back, even when writers race).
	newer string
}

// exec writes rows (each len(cols) values, converted with the dialect's
// arg) in as few statements as the dialect's parameter limit allows.
func (u upsert) exec(ctx context.Context, tx *sql.Tx, d dialect, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	per := max(d.maxParams()/len(u.cols), 1)
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		chunk := rows[start:end]
		q := u.sql(d, len(chunk))
		args := make([]any, 0, len(chunk)*len(u.cols))
		for _, r := range chunk {
			if len(r) != len(u.cols) {
				return fmt.Errorf("%s: row has %d values for %d columns", u.table, len(r), len(u.cols))
			}
			for _, v := range r {
				args = append(args, d.arg(v))
			}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("write %d rows to %s: %w", len(chunk), u.table, err)
		}
	}
	return nil
}

// sql builds the statement for n rows.
func (u upsert) sql(d dialect, n int) string { return d.upsertSQL(u, n) }

// quotedCols are the columns as the dialect names them.
func (u upsert) quotedCols(d dialect) []string {
	cols := make([]string, len(u.cols))
	for i, c := range u.cols {
		cols[i] = d.quoteIdent(c)
	}
	return cols
}

// sets formats, with format (two %s: the column twice), the assignments of
// the non-key columns; cols are u.cols as the dialect names them.
func (u upsert) sets(cols []string, format string) []string {
	isKey := map[string]bool{}
	for _, k := range u.keys {
		isKey[k] = true
	}
	var sets []string
	for i, c := range u.cols {
		if !isKey[c] {
			sets = append(sets, fmt.Sprintf(format, cols[i], cols[i]))
		}
	}
	return sets
}

// writeValues writes n rows of width placeholders: (?, ?), (?, ?).
func writeValues(b *strings.Builder, d dialect, width, n int) {
	p := 1
	for r := 0; r < n; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < width; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.placeholder(p))
			p++
		}
		b.WriteByte(')')
	}
}

// onConflictSQL is the INSERT ... ON CONFLICT upsert of SQLite and
// PostgreSQL.
func onConflictSQL(d dialect, u upsert, n int) string {
	var b strings.Builder
	cols := u.quotedCols(d)
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", u.table, strings.Join(cols, ", "))
	writeValues(&b, d, len(u.cols), n)
	fmt.Fprintf(&b, " ON CONFLICT (%s) DO ", strings.Join(u.keys, ", "))
	sets := u.sets(cols, "%s = excluded.%s")
	if u.ignore || len(sets) == 0 {
		b.WriteString("NOTHING")
	} else {
		fmt.Fprintf(&b, "UPDATE SET %s", strings.Join(sets, ", "))
		if u.newer != "" {
			fmt.Fprintf(&b, " WHERE %s.%s < excluded.%s", u.table, u.newer, u.newer)
		}
	}
	return b.String()
}

// inTx runs f in a transaction, committing when it returns nil; a
// transaction chosen as a deadlock victim runs again (retryDeadlocks).
func (s *Store) inTx(ctx context.Context, what string, f func(tx *sql.Tx) error) error {
	_, err := retryDeadlocks(ctx, s, what, func() (struct{}, error) { return struct{}{}, s.inTxOnce(ctx, what, f) })
	return err
}

func (s *Store) inTxOnce(ctx context.Context, what string, f func(tx *sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin transaction: %w", what, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := f(tx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// q rewrites ? placeholders of a query for the store's dialect.
func (s *Store) q(query string) string { return s.dialect.bind(query) }

// scanTime reads a timestamp column of any dialect (SQLite keeps text).
type scanTime struct{ t *time.Time }

func (st scanTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*st.t = time.Time{}
	case time.Time:
		*st.t = x.UTC()
	case string:
		return st.parse(x)
	case []byte:
		return st.parse(string(x))
	default:
		return fmt.Errorf("timestamp: unexpected %T", v)
	}
	return nil
}

func (st scanTime) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			*st.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("timestamp: cannot parse %q", s)
}
