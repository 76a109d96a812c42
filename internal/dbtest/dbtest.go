// Package dbtest reads query results for tests that compare whole rows:
// every column of every row, as the driver returns it.
package dbtest

import (
	"database/sql"
	"testing"
)

// Rows runs query on db and returns the column names and every row's raw
// values, failing t on any error (the query's, a scan's or the iteration's).
func Rows(t testing.TB, db *sql.DB, query string, args ...any) (cols []string, rows [][]any) {
	t.Helper()
	r, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer r.Close()
	if cols, err = r.Columns(); err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, vals)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, rows
}
