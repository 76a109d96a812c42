package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"
	"sync"
)

// recorder is a database/sql driver (a driver.Connector) that runs nothing:
// it records every statement and its arguments, exactly as the store hands
// them to the driver, and answers with what respond returns. It lets the
// tests drive the real code paths of the SQL Server dialect without a
// server and pin what they send.
type recorder struct {
	mu  sync.Mutex
	log []recorded
	// respond answers a statement; nil columns mean no result set (an
	// exec, or a query with no rows).
	respond func(query string, args []any) (cols []string, rows [][]driver.Value, err error)
}

type recorded struct {
	query string
	args  []any
}

func newRecorder(respond func(string, []any) ([]string, [][]driver.Value, error)) (*recorder, *sql.DB) {
	r := &recorder{respond: respond}
	db := sql.OpenDB(r)
	db.SetMaxOpenConns(8)
	return r, db
}

func (r *recorder) Connect(context.Context) (driver.Conn, error) { return &recConn{r}, nil }
func (r *recorder) Driver() driver.Driver                        { return nil }

func (r *recorder) add(query string, args []driver.NamedValue) ([]string, [][]driver.Value, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	r.mu.Lock()
	r.log = append(r.log, recorded{query, vals})
	r.mu.Unlock()
	if r.respond == nil {
		return nil, nil, nil
	}
	return r.respond(query, vals)
}

// statements returns what was recorded so far and clears the log.
func (r *recorder) statements() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

// render writes statements as text: each query, then its arguments with
// their Go types (a change of type, say time.Time for civil.DateTime,
// shows as plainly as a change of SQL).
func render(stmts []recorded) string {
	var b strings.Builder
	for i, s := range stmts {
		fmt.Fprintf(&b, "-- [%d]\n%s\n", i+1, s.query)
		for j, a := range s.args {
			fmt.Fprintf(&b, "--   @p%d %T = %v\n", j+1, a, a)
		}
	}
	return b.String()
}

type recConn struct{ r *recorder }

func (c *recConn) Prepare(query string) (driver.Stmt, error) { return &recStmt{c, query}, nil }
func (c *recConn) Close() error                              { return nil }
func (c *recConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *recConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	_, _, err := c.r.add("BEGIN TRANSACTION", nil)
	return &recTx{c}, err
}

// CheckNamedValue takes every argument as it is, so the log shows the
// types the driver would get (civil.DateTime, mssql.NullDateTime, ...).
func (c *recConn) CheckNamedValue(*driver.NamedValue) error { return nil }

func (c *recConn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	_, _, err := c.r.add(query, args)
	return driver.RowsAffected(1), err
}

func (c *recConn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cols, rows, err := c.r.add(query, args)
	if err != nil {
		return nil, err
	}
	return &recRows{cols: cols, rows: rows}, nil
}

type recTx struct{ c *recConn }

func (t *recTx) Commit() error {
	_, _, err := t.c.r.add("COMMIT", nil)
	return err
}

func (t *recTx) Rollback() error {
	_, _, err := t.c.r.add("ROLLBACK", nil)
	return err
}

type recStmt struct {
	c     *recConn
	query string
}

func (s *recStmt) Close() error  { return nil }
func (s *recStmt) NumInput() int { return -1 }

func (s *recStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.query, named(args))
}

func (s *recStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.query, named(args))
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}

type recRows struct {
	cols []string
	rows [][]driver.Value
}

func (r *recRows) Columns() []string { return r.cols }
func (r *recRows) Close() error      { return nil }

func (r *recRows) Next(dest []driver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	copy(dest, r.rows[0])
	r.rows = r.rows[1:]
	return nil
}
