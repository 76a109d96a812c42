package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"
)

// This file holds the small SQL builder behind the lower-volume writes
// (snapshots, interval metrics, checkpoints, configuration): multi-row
// upserts whose only per-dialect differences are placeholders, the upsert
// syntax and how a timestamp travels.

// mssqlMaxParams keeps a statement under SQL Server's 2,100-parameter limit.
const mssqlMaxParams = 2000

// sqliteMaxParams keeps a statement under SQLite's default variable limit.
const sqliteMaxParams = 32000

// pgMaxParams keeps a statement under PostgreSQL's 65,535-parameter limit.
const pgMaxParams = 60000

// placeholder returns the n-th (1-based) bind parameter of the dialect.
func placeholder(dialect string, n int) string {
	switch dialect {
	case DialectPostgres:
		return "$" + strconv.Itoa(n)
	case DialectSQLServer:
		return "@p" + strconv.Itoa(n)
	}
	return "?"
}

// quoteIdent quotes the identifiers some dialects reserve.
func quoteIdent(dialect, name string) string {
	if dialect == DialectSQLServer && (name == "queue" || name == "delay") {
		return "[" + name + "]"
	}
	return name
}

// arg converts a Go value to what the dialect's driver stores in the
// column: SQLite keeps timestamps as ISO-8601 text ending in Z; a zero
// time and a nil pointer are NULL.
func arg(dialect string, v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			if dialect == DialectSQLServer {
				return mssql.NullDateTime{} // a datetime2 NULL
			}
			return nil
		}
		switch dialect {
		case DialectSQLite:
			return x.UTC().Format("2006-01-02T15:04:05.000Z")
		case DialectSQLServer:
			// A time.Time would travel as datetimeoffset(7), making SQL
			// Server convert the datetime2 column side of a comparison (no
			// index seek; range locks beyond the key). civil.DateTime
			// travels as datetime2(7).
			return civil.DateTimeOf(x.UTC())
		}
		return x.UTC()
	case *float64:
		if x == nil {
			return nil
		}
		return *x
	case *int:
		if x == nil {
			return nil
		}
		return int64(*x)
	case bool:
		if dialect == DialectSQLite {
			if x {
				return 1
			}
			return 0
		}
		return x
	case string:
		if x == "" {
			return nil
		}
		return x
	}
	return v
}

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

// exec writes rows (each len(cols) values, converted with arg) in as few
// statements as the dialect's parameter limit allows.
func (u upsert) exec(ctx context.Context, tx *sql.Tx, dialect string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	max := pgMaxParams
	switch dialect {
	case DialectSQLServer:
		max = mssqlMaxParams
	case DialectSQLite:
		max = sqliteMaxParams
	}
	per := max / len(u.cols)
	if per < 1 {
		per = 1
	}
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		chunk := rows[start:end]
		q := u.sql(dialect, len(chunk))
		args := make([]any, 0, len(chunk)*len(u.cols))
		for _, r := range chunk {
			if len(r) != len(u.cols) {
				return fmt.Errorf("%s: row has %d values for %d columns", u.table, len(r), len(u.cols))
			}
			for _, v := range r {
				args = append(args, arg(dialect, v))
			}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("write %d rows to %s: %w", len(chunk), u.table, err)
		}
	}
	return nil
}

// sql builds the statement for n rows.
func (u upsert) sql(dialect string, n int) string {
	var b strings.Builder
	cols := make([]string, len(u.cols))
	for i, c := range u.cols {
		cols[i] = quoteIdent(dialect, c)
	}
	values := func() {
		p := 1
		for r := 0; r < n; r++ {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range u.cols {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteString(placeholder(dialect, p))
				p++
			}
			b.WriteByte(')')
		}
	}
	isKey := map[string]bool{}
	for _, k := range u.keys {
		isKey[k] = true
	}
	if dialect == DialectSQLServer {
		fmt.Fprintf(&b, "MERGE INTO %s WITH (HOLDLOCK) AS t USING (VALUES ", quoteIdent(dialect, u.table))
		values()
		fmt.Fprintf(&b, ") AS s (%s) ON ", strings.Join(cols, ", "))
		for i, k := range u.keys {
			if i > 0 {
				b.WriteString(" AND ")
			}
			fmt.Fprintf(&b, "t.%s = s.%s", quoteIdent(dialect, k), quoteIdent(dialect, k))
		}
		if !u.ignore {
			var sets []string
			for i, c := range u.cols {
				if !isKey[c] {
					sets = append(sets, fmt.Sprintf("%s = s.%s", cols[i], cols[i]))
				}
			}
			if len(sets) > 0 {
				cond := ""
				if u.newer != "" {
					cond = fmt.Sprintf(" AND t.%s < s.%s", quoteIdent(dialect, u.newer), quoteIdent(dialect, u.newer))
				}
				fmt.Fprintf(&b, " WHEN MATCHED%s THEN UPDATE SET %s", cond, strings.Join(sets, ", "))
			}
		}
		src := make([]string, len(cols))
		for i, c := range cols {
			src[i] = "s." + c
		}
		fmt.Fprintf(&b, " WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s);", strings.Join(cols, ", "), strings.Join(src, ", "))
		return b.String()
	}
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", u.table, strings.Join(cols, ", "))
	values()
	fmt.Fprintf(&b, " ON CONFLICT (%s) DO ", strings.Join(u.keys, ", "))
	var sets []string
	for _, c := range u.cols {
		if !isKey[c] {
			sets = append(sets, fmt.Sprintf("%s = excluded.%s", c, c))
		}
	}
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
func (s *Store) q(query string) string {
	if s.dialect == DialectSQLite {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString(placeholder(s.dialect, n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

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
