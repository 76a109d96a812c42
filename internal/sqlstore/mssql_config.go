package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// mssqlCloseRows closes current configuration rows in one UPDATE per 2,000
// parameters: the rows' keys and valid_from travel as a VALUES list joined
// with the table.
func mssqlCloseRows(ctx context.Context, tx *sql.Tx, keys []string, table string, rows []currentRow, readAt time.Time) error {
	per := (mssqlMaxParams - 1) / (len(keys) + 1)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := []any{sqlserverDialect{}.arg(readAt)}
		for _, r := range chunk {
			args = append(append(args, r.keys...), sqlserverDialect{}.arg(r.validFrom))
		}
		if _, err := tx.ExecContext(ctx, mssqlCloseRowsSQL(keys, table, len(chunk)), args...); err != nil {
			return err
		}
	}
	return nil
}

func mssqlCloseRowsSQL(keys []string, table string, n int) string {
	cols := make([]string, 0, len(keys)+1)
	on := make([]string, 0, len(keys)+1)
	for _, k := range append(append([]string{}, keys...), "valid_from") {
		k = sqlserverDialect{}.quoteIdent(k)
		cols = append(cols, k)
		on = append(on, "t."+k+" = c."+k)
	}
	values := make([]string, n)
	p := 2
	for i := range values {
		ph := make([]string, len(cols))
		for j := range ph {
			ph[j] = fmt.Sprintf("@p%d", p)
			p++
		}
		values[i] = "(" + strings.Join(ph, ", ") + ")"
	}
	return "UPDATE t SET valid_to = @p1 FROM " + table + " AS t JOIN (VALUES " + strings.Join(values, ", ") +
		") AS c (" + strings.Join(cols, ", ") + ") ON " + strings.Join(on, " AND ") + " AND t.valid_to IS NULL;"
}
