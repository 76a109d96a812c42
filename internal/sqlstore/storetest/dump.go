package storetest

import (
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/dbtest"
)

// Dumping tables, for comparisons between databases.

var ingestTables = []struct{ name, order string }{
	{"agent_event", "event_id"},
	{"agent_state", "agent_id"},
	{"agent_status_interval", "agent_id, start_timestamp"},
	{"contact_record", "contact_id"},
	{"contact_attribute", "contact_id, name"},
	{"rejected_record", "source, sequence_number"},
}

// normValue renders a scanned value the same way on every dialect.
func normValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z")
	case []byte:
		return string(x)
	case float64:
		return fmt.Sprintf("%.3f", math.Round(x*1000)/1000)
	case float32:
		return fmt.Sprintf("%.3f", math.Round(float64(x)*1000)/1000)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

// QueryRows runs q and returns every row as normalised strings.
func QueryRows(t testing.TB, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	_, rows := dbtest.Rows(t, db, q, args...)
	var out [][]string
	for _, vals := range rows {
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = normValue(v)
		}
		out = append(out, row)
	}
	return out
}

// DumpTables returns every ingest table, all columns, in key order. The
// generated rejected_record.id is left out: ids follow arrival order, which
// replays legitimately change.
func DumpTables(t testing.TB, db *sql.DB) map[string][]string {
	t.Helper()
	dump := map[string][]string{}
	for _, tb := range ingestTables {
		rows := QueryRows(t, db, "SELECT * FROM "+tb.name+" ORDER BY "+tb.order)
		cols := tableColumns(t, db, tb.name)
		var lines []string
		for _, r := range rows {
			var parts []string
			for i, v := range r {
				if tb.name == "rejected_record" && cols[i] == "id" {
					continue
				}
				parts = append(parts, cols[i]+"="+v)
			}
			lines = append(lines, strings.Join(parts, " | "))
		}
		dump[tb.name] = lines
	}
	return dump
}

func tableColumns(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table + " WHERE 1 = 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// DiffDumps reports every table whose rows differ between two dumps.
func DiffDumps(t testing.TB, want, got map[string][]string) {
	t.Helper()
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, g := want[n], got[n]
		if len(w) != len(g) {
			t.Errorf("%s: %d rows in order, %d after replay", n, len(w), len(g))
		}
		shown := 0
		for i := 0; i < len(w) && i < len(g); i++ {
			if w[i] != g[i] {
				t.Errorf("%s row %d differs:\n in order: %s\n replayed: %s", n, i, w[i], g[i])
				if shown++; shown == 3 {
					break
				}
			}
		}
	}
}

// WantRows checks the rows of query, each joined with "|", against want.
func WantRows(t testing.TB, db *sql.DB, query string, want ...string) {
	t.Helper()
	var got []string
	for _, r := range QueryRows(t, db, query) {
		got = append(got, strings.Join(r, "|"))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s\n got:\n  %s\nwant:\n  %s", query, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
