package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// sqliteIngest writes a batch to SQLite in one transaction with prepared
// statements executed once per row. SQLite runs in-process, so a statement
// per row costs no network round trip; what matters is the single
// transaction (one fsync) and statements prepared once per batch.
//
// The same writer, with its placeholders rewritten for PostgreSQL, is the
// one-statement-per-record baseline of the benchmarks.
type sqliteIngest struct {
	rewrite func(string) string // nil on SQLite
}

func (w sqliteIngest) sql(q string) string {
	if w.rewrite == nil {
		return q
	}
	return w.rewrite(q)
}

var sqliteSQL = sync.OnceValue(buildSQLiteIngestSQL)

type sqliteIngestSQL struct {
	event, state, contact, delAttrs, insAttr, rejected string
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func buildSQLiteIngestSQL() sqliteIngestSQL {
	var q sqliteIngestSQL
	q.event = "INSERT INTO agent_event (" + strings.Join(colNames(agentEventCols), ", ") + ")\nVALUES (" +
		placeholders(len(agentEventCols)) + ")\nON CONFLICT (event_id) DO NOTHING"

	stNames := make([]string, len(agentStateCols))
	stSets := make([]string, 0, len(agentStateCols))
	for i, c := range agentStateCols {
		stNames[i] = c.name
		if i > 0 {
			stSets = append(stSets, c.name+" = excluded."+c.name)
		}
	}
	q.state = "INSERT INTO agent_state (" + strings.Join(stNames, ", ") + ")\nVALUES (" + placeholders(len(stNames)) +
		")\nON CONFLICT (agent_id) DO UPDATE SET " + strings.Join(stSets, ", ") +
		"\nWHERE agent_state.last_event_timestamp IS NULL" +
		"\n\tOR (excluded.last_event_timestamp, excluded.last_event_id) > (agent_state.last_event_timestamp, agent_state.last_event_id)"

	crSets := make([]string, 0, len(contactRecordCols))
	for i, c := range contactRecordCols {
		if i > 0 {
			crSets = append(crSets, c.name+" = excluded."+c.name)
		}
	}
	q.contact = "INSERT INTO contact_record (" + strings.Join(colNames(contactRecordCols), ", ") + ")\nVALUES (" +
		placeholders(len(contactRecordCols)) + ")\nON CONFLICT (contact_id) DO UPDATE SET " + strings.Join(crSets, ", ") +
		"\nWHERE " + newerContactCond("excluded", "contact_record", "")
	q.delAttrs = "DELETE FROM contact_attribute WHERE contact_id = ?"
	q.insAttr = "INSERT INTO contact_attribute (contact_id, name, value) VALUES (?, ?, ?)"
	q.rejected = "INSERT INTO rejected_record (" + strings.Join(colNames(rejectedCols), ", ") + ")\nSELECT " +
		placeholders(len(rejectedCols)) + "\nWHERE NOT EXISTS (SELECT 1 FROM rejected_record r" +
		"\n\tWHERE r.source IS ?1 AND r.partition_key IS ?2 AND r.sequence_number IS ?3 AND r.payload = ?6)"
	return q
}

// sqliteArg converts one column value to its SQLite argument.
func sqliteArg(k colKind, v any) any { return colArg(k, v, sqliteTime) }

func sqliteRowArgs[T any](cols []ingestCol[T], row *T, args []any) []any {
	args = args[:0]
	for _, c := range cols {
		args = append(args, sqliteArg(c.kind, c.get(row)))
	}
	return args
}

func prepare(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return st, nil
}

func affected(r sql.Result) (int64, error) {
	n, err := r.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return n, nil
}

var stateFromIndex = sync.OnceValue(func() []int {
	idx := make([]int, len(agentStateCols))
	for i, c := range agentStateCols {
		idx[i] = -1
		for j, e := range agentEventCols {
			if e.name == c.from {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			panic("agent_state column " + c.name + " reads unknown agent_event column " + c.from)
		}
	}
	return idx
})

func (w sqliteIngest) writeEvents(ctx context.Context, tx *sql.Tx, evs []eventRow) (stored int, err error) {
	q := sqliteSQL()
	ins, err := prepare(ctx, tx, w.sql(q.event))
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	up, err := prepare(ctx, tx, w.sql(q.state))
	if err != nil {
		return 0, err
	}
	defer up.Close()
	from := stateFromIndex()
	args := make([]any, 0, len(agentEventCols))
	stArgs := make([]any, len(agentStateCols))
	for i := range evs {
		e := &evs[i]
		args = sqliteRowArgs(agentEventCols, e, args)
		if e.history {
			r, err := ins.ExecContext(ctx, args...)
			if err != nil {
				return 0, fmt.Errorf("insert agent_event %s: %w", e.EventID, err)
			}
			n, err := affected(r)
			if err != nil {
				return 0, err
			}
			stored += int(n)
		}
		if e.state {
			for j, k := range from {
				stArgs[j] = args[k]
			}
			if _, err := up.ExecContext(ctx, stArgs...); err != nil {
				return 0, fmt.Errorf("upsert agent_state %s: %w", e.AgentID, err)
			}
		}
	}
	return stored, nil
}

func (w sqliteIngest) writeContacts(ctx context.Context, tx *sql.Tx, crs []contactRow) (stored int, err error) {
	q := sqliteSQL()
	up, err := prepare(ctx, tx, w.sql(q.contact))
	if err != nil {
		return 0, err
	}
	defer up.Close()
	del, err := prepare(ctx, tx, w.sql(q.delAttrs))
	if err != nil {
		return 0, err
	}
	defer del.Close()
	ins, err := prepare(ctx, tx, w.sql(q.insAttr))
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	args := make([]any, 0, len(contactRecordCols))
	for i := range crs {
		c := &crs[i]
		args = sqliteRowArgs(contactRecordCols, c, args)
		r, err := up.ExecContext(ctx, args...)
		if err != nil {
			return 0, fmt.Errorf("upsert contact_record %s: %w", c.ContactID, err)
		}
		n, err := affected(r)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			continue
		}
		stored++
		if _, err := del.ExecContext(ctx, c.ContactID); err != nil {
			return 0, fmt.Errorf("delete contact_attribute of %s: %w", c.ContactID, err)
		}
		for _, a := range c.attrs {
			if _, err := ins.ExecContext(ctx, c.ContactID, a.name, a.value); err != nil {
				return 0, fmt.Errorf("insert contact_attribute %s/%s: %w", c.ContactID, a.name, err)
			}
		}
	}
	return stored, nil
}

func (w sqliteIngest) writeRejected(ctx context.Context, tx *sql.Tx, rs []connectreporting.RejectedRecord) error {
	st, err := prepare(ctx, tx, w.sql(sqliteSQL().rejected))
	if err != nil {
		return err
	}
	defer st.Close()
	args := make([]any, 0, len(rejectedCols))
	for i := range rs {
		args = args[:0]
		for _, c := range rejectedCols {
			v := c.get(&rs[i])
			if c.kind == kRaw { // payload: any bytes, kept as a BLOB
				b := v.([]byte)
				if b == nil {
					b = []byte{}
				}
				args = append(args, b)
				continue
			}
			args = append(args, sqliteArg(c.kind, v))
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert rejected_record: %w", err)
		}
	}
	return nil
}
