package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// pgIngest writes a batch to PostgreSQL with one statement per record kind:
// each column travels as one array parameter (pgx encodes Go slices as
// binary arrays), unnest turns the arrays back into rows, and data-modifying
// CTEs insert, upsert and count in the same statement. A 500-record batch is
// BEGIN, one statement, COMMIT: three round trips.
type pgIngest struct{}

var pgSQL = sync.OnceValue(buildPGIngestSQL)

type pgIngestSQL struct{ events, contacts, rejected string }

func pgArrayType(k colKind) string {
	switch k {
	case kTime:
		return "timestamptz[]"
	case kInt, kNullInt:
		return "bigint[]"
	}
	return "text[]"
}

// pgValue is the SQL expression reading column c of the unnest alias t,
// turning the sentinels of pgArrays back into NULL.
func pgValue(name string, k colKind) string {
	switch k {
	case kText:
		return "NULLIF(t." + name + ", '')"
	case kTime:
		return "NULLIF(t." + name + ", '0001-01-01 00:00:00+00'::timestamptz)"
	case kRaw:
		// agent_event.raw is text (migration 00009): the JSON is stored as
		// it came, never parsed into jsonb on the way in.
		return "NULLIF(t." + name + ", '')"
	}
	return "t." + name
}

// pgUnnest returns "unnest($1::text[], ...) AS t(a, b, ...)" for the
// columns, numbering parameters from first.
func pgUnnest(names []string, kinds []colKind, first int) string {
	var b strings.Builder
	b.WriteString("unnest(")
	for i, k := range kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s", first+i, pgArrayType(k))
	}
	b.WriteString(") AS t(")
	b.WriteString(strings.Join(names, ", "))
	b.WriteString(")")
	return b.String()
}

func kindsOf[T any](cols []ingestCol[T]) []colKind {
	ks := make([]colKind, len(cols))
	for i, c := range cols {
		ks[i] = c.kind
	}
	return ks
}

// buildPGIngestSQL builds the PostgreSQL ingest statements. It is longer
// than 80 lines on purpose: most of it is the statements' SQL text, kept
// together so each statement reads top to bottom; the PostgreSQL tests pin
// what it produces.
func buildPGIngestSQL() pgIngestSQL {
	var q pgIngestSQL

	// Agent events: ev carries every agent_event column plus two flags.
	evNames := append(colNames(agentEventCols), "hist", "st")
	evKinds := append(kindsOf(agentEventCols), kInt, kInt)
	evKind := map[string]colKind{}
	for _, c := range agentEventCols {
		evKind[c.name] = c.kind
	}
	evExprs := make([]string, len(agentEventCols))
	for i, c := range agentEventCols {
		evExprs[i] = pgValue(c.name, c.kind)
	}
	stNames := make([]string, len(agentStateCols))
	stExprs := make([]string, len(agentStateCols))
	stSets := make([]string, 0, len(agentStateCols))
	for i, c := range agentStateCols {
		stNames[i] = c.name
		stExprs[i] = pgValue(c.from, evKind[c.from])
		if i > 0 {
			stSets = append(stSets, c.name+" = excluded."+c.name)
		}
	}
	// The second count is the heartbeats (the events kept out of history)
	// that moved agent_state, read from the rows up returns rather than by
	// joining them back to t (a nested loop over the batch).
	q.events = `WITH t AS MATERIALIZED (SELECT * FROM ` + pgUnnest(evNames, evKinds, 1) + `),
ins AS (
	INSERT INTO agent_event (` + strings.Join(colNames(agentEventCols), ", ") + `)
	SELECT ` + strings.Join(evExprs, ", ") + ` FROM t WHERE t.hist = 1
	ON CONFLICT (event_id) DO NOTHING
	RETURNING event_id
),
up AS (
	INSERT INTO agent_state (` + strings.Join(stNames, ", ") + `)
	SELECT ` + strings.Join(stExprs, ", ") + ` FROM t WHERE t.st = 1
	ON CONFLICT (agent_id) DO UPDATE SET ` + strings.Join(stSets, ", ") + `
	WHERE agent_state.last_event_timestamp IS NULL
		OR (excluded.last_event_timestamp, excluded.last_event_id COLLATE "C")
			> (agent_state.last_event_timestamp, agent_state.last_event_id COLLATE "C")
	RETURNING last_event_type
)
SELECT (SELECT count(*) FROM ins),
	(SELECT count(*) FROM up WHERE up.last_event_type = '` + connectreporting.AgentEventHeartBeat + `')`

	// Contact records and their attributes.
	crNames := colNames(contactRecordCols)
	crExprs := make([]string, len(contactRecordCols))
	crSets := make([]string, 0, len(contactRecordCols))
	for i, c := range contactRecordCols {
		crExprs[i] = pgValue(c.name, c.kind)
		if c.kind == kRaw {
			crExprs[i] += "::jsonb" // contact_record.raw stays jsonb (kpi_contact reads contact_record.*)
		}
		if i > 0 {
			crSets = append(crSets, c.name+" = excluded."+c.name)
		}
	}
	n := len(contactRecordCols)
	q.contacts = `WITH t AS (SELECT * FROM ` + pgUnnest(crNames, kindsOf(contactRecordCols), 1) + `),
up AS (
	INSERT INTO contact_record (` + strings.Join(crNames, ", ") + `)
	SELECT ` + strings.Join(crExprs, ", ") + ` FROM t
	ON CONFLICT (contact_id) DO UPDATE SET ` + strings.Join(crSets, ", ") + `
	WHERE ` + newerContactCond("excluded", "contact_record", `COLLATE "C"`) + `
	RETURNING contact_id
),
a AS (SELECT * FROM ` + pgUnnest([]string{"contact_id", "name", "value"}, []colKind{kText, kText, kText}, n+1) + `),
del AS (
	DELETE FROM contact_attribute ca
	WHERE ca.contact_id = ANY (ARRAY(SELECT contact_id FROM up))
		AND NOT EXISTS (SELECT 1 FROM a WHERE a.contact_id = ca.contact_id AND a.name = ca.name)
),
ins AS (
	INSERT INTO contact_attribute (contact_id, name, value)
	SELECT a.contact_id, a.name, a.value FROM a JOIN up ON up.contact_id = a.contact_id
	ON CONFLICT (contact_id, name) DO UPDATE SET value = excluded.value
	WHERE contact_attribute.value IS DISTINCT FROM excluded.value
)
SELECT count(*) FROM up`

	rjExprs := make([]string, len(rejectedCols))
	for i, c := range rejectedCols {
		rjExprs[i] = pgValue(c.name, c.kind)
		if c.kind == kRaw {
			rjExprs[i] = "t." + c.name // payload is bytea: any bytes, not only JSON
		}
	}
	rjKinds := kindsOf(rejectedCols)
	var rj strings.Builder
	rj.WriteString("INSERT INTO rejected_record (" + strings.Join(colNames(rejectedCols), ", ") + ")\nSELECT " +
		strings.Join(rjExprs, ", ") + " FROM unnest(")
	for i, k := range rjKinds {
		if i > 0 {
			rj.WriteString(", ")
		}
		typ := pgArrayType(k)
		if k == kRaw {
			typ = "bytea[]"
		}
		fmt.Fprintf(&rj, "$%d::%s", i+1, typ)
	}
	rj.WriteString(") AS t(" + strings.Join(colNames(rejectedCols), ", ") + ")\n" +
		"WHERE NOT EXISTS (SELECT 1 FROM rejected_record r\n" +
		"\tWHERE r.source = t.source AND r.payload = t.payload\n" +
		"\t\tAND (r.sequence_number = t.sequence_number OR (r.sequence_number IS NULL AND t.sequence_number = ''))\n" +
		"\t\tAND (r.partition_key = t.partition_key OR (r.partition_key IS NULL AND t.partition_key = '')))")
	q.rejected = rj.String()
	return q
}

// newerContactCond is the SQL condition "the incoming version n replaces
// the stored version o": a later last_update_timestamp (a missing one is
// oldest), or an equal one and a greater raw_sha256. collate makes the hash
// comparison byte-wise.
func newerContactCond(n, o, collate string) string {
	return "(" + o + ".last_update_timestamp IS NULL AND " + n + ".last_update_timestamp IS NOT NULL)" +
		"\n\t\tOR " + n + ".last_update_timestamp > " + o + ".last_update_timestamp" +
		"\n\t\tOR ((" + n + ".last_update_timestamp = " + o + ".last_update_timestamp" +
		" OR (" + n + ".last_update_timestamp IS NULL AND " + o + ".last_update_timestamp IS NULL))" +
		"\n\t\t\tAND " + n + ".raw_sha256 " + collate + " > " + o + ".raw_sha256 " + collate + ")"
}

// pgArrays builds one typed slice per column, column-major, with "" and the
// zero time as NULL sentinels (pgValue maps them back).
func pgArrays[T any](cols []ingestCol[T], rows []T) []any {
	args := make([]any, len(cols))
	for ci, c := range cols {
		switch c.kind {
		case kText:
			a := make([]string, len(rows))
			for i := range rows {
				a[i] = c.get(&rows[i]).(string)
			}
			args[ci] = a
		case kTime:
			a := make([]time.Time, len(rows))
			for i := range rows {
				a[i] = c.get(&rows[i]).(time.Time).UTC()
			}
			args[ci] = a
		case kInt:
			a := make([]int64, len(rows))
			for i := range rows {
				a[i] = c.get(&rows[i]).(int64)
			}
			args[ci] = a
		case kNullInt:
			a := make([]*int64, len(rows))
			for i := range rows {
				a[i] = c.get(&rows[i]).(*int64)
			}
			args[ci] = a
		case kRaw:
			a := make([]string, len(rows))
			for i := range rows {
				a[i] = string(c.get(&rows[i]).([]byte))
			}
			args[ci] = a
		}
	}
	return args
}

func (pgIngest) writeEvents(ctx context.Context, tx *sql.Tx, evs []eventRow) (int, int, error) {
	args := pgArrays(agentEventCols, evs)
	hist := make([]int64, len(evs))
	st := make([]int64, len(evs))
	stateOnly := false // a heartbeat that only offers agent_state its state
	for i := range evs {
		if evs[i].history {
			hist[i] = 1
		} else {
			stateOnly = true
		}
		if evs[i].state {
			st[i] = 1
		}
	}
	args = append(args, hist, st)
	var stored, hb int
	if err := tx.QueryRowContext(ctx, pgSQL().events, args...).Scan(&stored, &hb); err != nil {
		return 0, 0, err
	}
	if !stateOnly {
		hb = 0 // no event of the batch was left out of history
	}
	return stored, hb, nil
}

func (pgIngest) writeContacts(ctx context.Context, tx *sql.Tx, crs []contactRow) (int, error) {
	args := pgArrays(contactRecordCols, crs)
	var ids, names, values []string
	for i := range crs {
		for _, a := range crs[i].attrs {
			ids = append(ids, crs[i].ContactID)
			names = append(names, a.name)
			values = append(values, a.value)
		}
	}
	if ids == nil {
		ids, names, values = []string{}, []string{}, []string{}
	}
	args = append(args, ids, names, values)
	var stored int
	if err := tx.QueryRowContext(ctx, pgSQL().contacts, args...).Scan(&stored); err != nil {
		return 0, err
	}
	return stored, nil
}

func (pgIngest) writeRejected(ctx context.Context, tx *sql.Tx, rs []connectreporting.RejectedRecord) error {
	args := make([]any, len(rejectedCols))
	for ci, c := range rejectedCols {
		switch c.kind {
		case kRaw:
			a := make([][]byte, len(rs))
			for i := range rs {
				a[i] = c.get(&rs[i]).([]byte)
				if a[i] == nil {
					a[i] = []byte{}
				}
			}
			args[ci] = a
		default:
			args[ci] = pgArrays([]ingestCol[connectreporting.RejectedRecord]{c}, rs)[0]
		}
	}
	_, err := tx.ExecContext(ctx, pgSQL().rejected, args...)
	return err
}
