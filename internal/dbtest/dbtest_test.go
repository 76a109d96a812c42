package dbtest_test

import (
	"database/sql"
	"reflect"
	"testing"

	"github.com/connect-reporting/connect-reporting/internal/dbtest"
	_ "modernc.org/sqlite"
)

func TestRows(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols, rows := dbtest.Rows(t, db, "SELECT 1 AS a, 'x' AS b UNION ALL SELECT ?, NULL ORDER BY 1", 2)
	if want := []string{"a", "b"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns %v, want %v", cols, want)
	}
	if want := [][]any{{int64(1), "x"}, {int64(2), nil}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %#v, want %#v", rows, want)
	}
}
