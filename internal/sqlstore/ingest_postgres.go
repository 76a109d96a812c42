package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// pgIngest writes a batch to PostgreSQL in a few statements whatever its
// size. Agent events travel by binary COPY (see writeEvents): straight into
// agent_event when they are all new, else into a temporary staging table
// (pgStage) that one statement inserts from with ON CONFLICT; agent_state
// is upserted from staged rows too. Contact records and their attributes go
// by COPY as well (see writeContacts). Rejected records travel as one array
// parameter per column (pgx encodes Go slices as binary arrays) that unnest
// turns back into rows.
type pgIngest struct {
	conn  *sql.Conn     // the connection the batch's transaction runs on
	parts *pgBatchParts // the Store's known parts (nil: every part is upserted)
	tx    *pgTxState    // what the batch's steps leave each other (nil: nothing)
}

// pgTxState is what one transaction of a batch keeps between its steps;
// onConn makes a new one for each (a retried batch starts afresh).
type pgTxState struct {
	// later holds statements that need not run at once (the parts
	// upsert): they go ahead of the transaction's next pipeline (the
	// rollups' lock and the agent days, after the status intervals), in a
	// round trip it takes anyway, or alone when there is none (flush).
	// They go before the rollups' lock either way, as they did when they
	// ran at once.
	later []stmt
	// copied: writeEvents' COPY stored every event kept as history as it
	// is, so the row agent_event holds is the batch's event (the status
	// intervals may read them from the batch, see pgStatusIntervals).
	copied bool
}

func (w pgIngest) onConn(ctx context.Context, c *sql.Conn) (ingestWriter, error) {
	w.conn, w.tx = c, &pgTxState{}
	return w, pgCreateStages(ctx, c)
}

// runLater runs st in the transaction's next pipeline, or at flush (see
// pgTxState.later); at once without a transaction state.
func (w pgIngest) runLater(ctx context.Context, tx *sql.Tx, st stmt) error {
	if w.tx == nil {
		return execEach(ctx, tx, []stmt{st})
	}
	w.tx.later = append(w.tx.later, st)
	return nil
}

// flush runs the statements still waiting for a pipeline; runBatch calls
// it after the status intervals.
func (w pgIngest) flush(ctx context.Context, tx *sql.Tx) error {
	if w.tx == nil || len(w.tx.later) == 0 {
		return nil
	}
	return w.pipeline(ctx, tx, nil)
}

// committed tells the writer its batch committed.
func (w pgIngest) committed() { w.parts.committed() }

var pgSQL = sync.OnceValue(buildPGIngestSQL)

type pgIngestSQL struct {
	events, contacts, rejected string
	// stateInsert and stateConflict open and close an upsert of
	// agent_state: the events statement's, and pgStateUpsert's of rows
	// written as literals.
	stateInsert, stateConflict string
}

// pgArrayType is the array type pgArrays sends a column of kind k as.
func pgArrayType(k colKind) string {
	switch k {
	case kTime:
		return "timestamptz[]"
	case kRaw:
		return "bytea[]" // rejected_record.payload: any bytes, not only JSON
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
	}
	return "t." + name
}

// buildPGIngestSQL builds the PostgreSQL ingest statements. It is longer
// than 80 lines on purpose: most of it is the statements' SQL text, kept
// together so each statement reads top to bottom; the PostgreSQL tests pin
// what it produces.
func buildPGIngestSQL() pgIngestSQL {
	var q pgIngestSQL

	// Agent events: the staging table holds every agent_event column plus
	// the two flags hist (kept as an agent_event row) and st (offered to
	// agent_state). Rows are written in key order (lock order). The
	// statement's command tag counts the agent_event rows it inserted: it
	// runs after the staging COPY in the same query (pgCopyThen), which
	// keeps no result rows.
	evNames := colNames(pgEventCols)
	stNames := make([]string, len(agentStateCols))
	stFrom := make([]string, len(agentStateCols))
	stSets := make([]string, 0, len(agentStateCols))
	for i, c := range agentStateCols {
		stNames[i], stFrom[i] = c.name, c.from
		if i > 0 {
			stSets = append(stSets, c.name+" = excluded."+c.name)
		}
	}
	q.stateInsert = "INSERT INTO agent_state (" + strings.Join(stNames, ", ") + ")"
	q.stateConflict = `ON CONFLICT (agent_id) DO UPDATE SET ` + strings.Join(stSets, ", ") + `
	WHERE agent_state.last_event_timestamp IS NULL
		OR (excluded.last_event_timestamp, excluded.last_event_id COLLATE "C")
			> (agent_state.last_event_timestamp, agent_state.last_event_id COLLATE "C")`
	q.events = `WITH up AS (
	` + q.stateInsert + `
	SELECT ` + strings.Join(stFrom, ", ") + ` FROM ` + pgEventStage.name + ` WHERE st = 1
	ORDER BY agent_id COLLATE "C"
	` + q.stateConflict + `
)
INSERT INTO agent_event (` + strings.Join(evNames, ", ") + `)
SELECT ` + strings.Join(evNames, ", ") + ` FROM ` + pgEventStage.name + ` WHERE hist = 1
ORDER BY event_id COLLATE "C"
ON CONFLICT (event_id) DO NOTHING`

	// Contact records and their attributes, from their staging tables.
	crNames := colNames(contactRecordCols)
	crSets := make([]string, 0, len(contactRecordCols))
	for _, c := range contactRecordCols[1:] {
		crSets = append(crSets, c.name+" = excluded."+c.name)
	}
	q.contacts = `WITH up AS (
	INSERT INTO contact_record (` + strings.Join(crNames, ", ") + `)
	SELECT ` + strings.Join(crNames, ", ") + ` FROM ` + pgContactStage.name + `
	ORDER BY contact_id COLLATE "C"
	ON CONFLICT (contact_id) DO UPDATE SET ` + strings.Join(crSets, ", ") + `
	WHERE ` + newerContactCond("excluded", "contact_record", `COLLATE "C"`) + `
	RETURNING contact_id
),
del AS (
	DELETE FROM contact_attribute ca
	WHERE ca.contact_id = ANY (ARRAY(SELECT contact_id FROM up))
		AND NOT EXISTS (SELECT 1 FROM ` + pgAttributeStage.name + ` a WHERE a.contact_id = ca.contact_id AND a.name = ca.name)
),
ins AS (
	INSERT INTO contact_attribute (contact_id, name, value)
	SELECT a.contact_id, a.name, a.value FROM ` + pgAttributeStage.name + ` a JOIN up ON up.contact_id = a.contact_id
	ORDER BY a.contact_id COLLATE "C", a.name COLLATE "C"
	ON CONFLICT (contact_id, name) DO UPDATE SET value = excluded.value
	WHERE contact_attribute.value IS DISTINCT FROM excluded.value
)
SELECT count(*) FROM up`

	rjExprs := make([]string, len(rejectedCols))
	for i, c := range rejectedCols {
		rjExprs[i] = pgValue(c.name, c.kind)
	}
	var rj strings.Builder
	rj.WriteString("INSERT INTO rejected_record (" + strings.Join(colNames(rejectedCols), ", ") + ")\nSELECT " +
		strings.Join(rjExprs, ", ") + " FROM unnest(")
	for i, c := range rejectedCols {
		if i > 0 {
			rj.WriteString(", ")
		}
		fmt.Fprintf(&rj, "$%d::%s", i+1, pgArrayType(c.kind))
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
// zero time as NULL sentinels (pgValue maps them back); a kRaw column goes
// as bytes, a missing value as empty bytes. Only the kinds rejectedCols has
// are encoded.
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
		case kRaw:
			a := make([][]byte, len(rows))
			for i := range rows {
				if a[i] = c.get(&rows[i]).([]byte); a[i] == nil {
					a[i] = []byte{}
				}
			}
			args[ci] = a
		default:
			panic(fmt.Sprintf("pgArrays: column %s: no array encoding for kind %d", c.name, c.kind))
		}
	}
	return args
}

// pgEventStage stages agent events: agent_event's columns and the two flags.
var pgEventStage = newPGStage("ingest_agent_event", "agent_event", pgEventCols, []ingestCol[eventRow]{
	intCol("hist", func(e *eventRow) int64 { return boolInt(e.history) }),
	intCol("st", func(e *eventRow) int64 { return boolInt(e.state) }),
})

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// writeEvents COPYs the events kept as history straight into
// agent_event, the fastest way in, under a savepoint, encoding each raw
// (rawdoc.go) as the stream reaches it, and offers agent_state the newest
// event of each agent in the same query, after the COPY (pgStateUpsert).
// When one of them is there already (a redelivery: the COPY fails on
// agent_event's key, and the server skips the upsert after it), it rolls
// back to the savepoint and stages the whole batch instead, which the
// events statement inserts with ON CONFLICT DO NOTHING, offering
// agent_state the staged newest events in the query that stages them (one
// round trip); so does a batch without history rows or whose state rows
// cannot be literals. Then it keeps the parts the encoded raws name
// (agent_event_part: no key refers to it, and the transaction commits
// both or neither), those the Store does not know stored already
// (pgKnownParts), in the transaction's next pipeline (runLater). Whether
// the COPY stored every history event is kept in pgTxState.copied.
func (w pgIngest) writeEvents(ctx context.Context, tx *sql.Tx, evs []eventRow) (int, error) {
	var hist, state []int
	for i := range evs {
		if evs[i].history {
			hist = append(hist, i)
		}
		if evs[i].state {
			state = append(state, i)
		}
	}
	upsert, inline := "", false
	if len(hist) > 0 {
		upsert, inline = pgStateUpsert(evs, state)
	}
	enc := newEventEncoder(evs)
	copied, err := w.copyNewEvents(ctx, tx, evs, hist, enc, upsert)
	enc.finish()
	if err != nil {
		return 0, err
	}
	if w.tx != nil {
		w.tx.copied = copied >= 0
	}
	if st, ok := pgPartsStmt(w.parts.toWrite(pgEventParts(evs))); ok {
		if err := w.runLater(ctx, tx, st); err != nil {
			return 0, err
		}
	}
	staged, keepHist := state, false // the history rows are in agent_event already
	switch {
	case copied < 0: // not all new: the statement inserts what is
		staged, keepHist, copied = make([]int, len(evs)), true, 0
		for i := range staged {
			staged[i] = i
		}
	case inline: // agent_state is offered its rows already
		staged = nil
	}
	if len(staged) == 0 {
		return copied, nil
	}
	tag, err := pgCopyThen(ctx, w.conn, "", pgEventStage.name, pgEventStage.names, pgCopyEvents(evs, staged, nil, true, keepHist), pgSQL().events)
	if err != nil {
		return 0, fmt.Errorf("stage events and insert them: %w", err)
	}
	return copied + int(tag.RowsAffected()), nil
}

// copyNewEvents COPYs the events evs[hist[k]] into agent_event under a
// savepoint, then runs upsert (none: "") in the same query, and returns
// how many it stored, or -1 when one of them was stored already (the
// transaction is then back at the savepoint, as if nothing was copied and
// upsert not run). A COPY stores every row of its stream or fails; with
// an upsert after it the command tag is the upsert's, so the count of
// rows copied is not checked then.
func (w pgIngest) copyNewEvents(ctx context.Context, tx *sql.Tx, evs []eventRow, hist []int, enc *eventEncoder, upsert string) (int, error) {
	if len(hist) == 0 {
		return 0, nil
	}
	return pgCopyAllNew(ctx, tx, len(hist), func(savepoint string) error {
		rows := pgCopyEvents(evs, hist, enc, false, false)
		if upsert == "" {
			return pgCopyStreamAfter(ctx, w.conn, savepoint, "agent_event", colNames(pgEventCols), rows)
		}
		_, err := pgCopyThen(ctx, w.conn, savepoint, "agent_event", colNames(pgEventCols), rows, upsert)
		return err
	}, "agent_event")
}

// pgCopyAllNew runs copyRows, COPYs of n new rows, under a savepoint and
// returns n, or -1 when a row was in one of tables already (a unique
// violation): the transaction is then back at the savepoint, as if nothing
// was copied, for the caller to take its ON CONFLICT path instead.
// copyRows sends savepoint, the statement that sets the savepoint, ahead
// of its first COPY in the same query (pgCopyStreamAfter): no round trip
// of its own. The savepoint is not released, which would be one more: the
// commit ends it (a later savepoint of the same name is the one a
// ROLLBACK TO then returns to).
func pgCopyAllNew(ctx context.Context, tx *sql.Tx, n int, copyRows func(savepoint string) error, tables ...string) (int, error) {
	err := copyRows(pgSavepoint)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == pgUniqueViolation && slices.Contains(tables, pe.TableName) {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT ingest_copy"); err != nil {
			return 0, fmt.Errorf("roll back a copy that met stored rows: %w", err)
		}
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// pgSavepoint sets the savepoint a COPY straight into a table goes back to
// when it meets a stored row (pgCopyAllNew).
const pgSavepoint = "SAVEPOINT ingest_copy;\n"

// pgPlanEach, passed as a statement's first argument, makes pgx send it as
// an unnamed statement that PostgreSQL plans at every execution. The
// statements that read the staging tables need it: a plan cached on a
// connection (pgx's default) was made for the tables as they were then,
// and a plan made while contact_record was small scans it whole, at every
// batch, ever after.
var pgPlanEach = pgx.QueryExecModeExec

// pgUniqueViolation is PostgreSQL's SQLSTATE unique_violation.
const pgUniqueViolation = "23505"

// pgContactStage stages contact records: contact_record's columns.
var pgContactStage = newPGStage[contactRow]("ingest_contact_record", "contact_record", contactRecordCols, nil)

// attrRow is one attribute of a staged contact.
type attrRow struct {
	contactID string
	attribute
}

// pgAttributeStage stages contact attributes (pgCopyAttrs writes them).
var pgAttributeStage = pgStage[attrRow]{
	name:   "ingest_contact_attribute",
	create: "CREATE TEMP TABLE IF NOT EXISTS ingest_contact_attribute (LIKE contact_attribute) ON COMMIT DELETE ROWS",
	names:  []string{"contact_id", "name", "value"},
}

// writeContacts writes the contacts and their attributes and returns how
// many were written. The contacts contact_record does not hold yet (see
// existingContacts) go by COPY straight into contact_record and
// contact_attribute, under a savepoint: when one of them is there after
// all (an attribute row left without its record), the transaction rolls
// back to the savepoint and they are upserted with the rest. The others,
// newer or older versions of stored contacts, are staged by COPY and one
// statement upserts them (newest last_update_timestamp wins, attributes
// replaced).
func (w pgIngest) writeContacts(ctx context.Context, tx *sql.Tx, crs []contactRow) (int, error) {
	var fresh, known []contactRow
	for _, c := range crs {
		if c.stored {
			known = append(known, c)
		} else {
			fresh = append(fresh, c)
		}
	}
	copied, err := w.copyNewContacts(ctx, tx, fresh)
	if err != nil {
		return 0, err
	}
	if copied < 0 { // not all new after all: the upsert decides
		known, copied = crs, 0
	}
	if len(known) == 0 {
		return copied, nil
	}
	if err := w.copyContacts(ctx, "", pgContactStage.name, pgAttributeStage.name, known); err != nil {
		return 0, err
	}
	var stored int
	if err := tx.QueryRowContext(ctx, pgSQL().contacts, pgPlanEach).Scan(&stored); err != nil {
		return 0, fmt.Errorf("upsert staged contacts: %w", err)
	}
	return copied + stored, nil
}

// contactAttrs are the attributes of crs, in contact and name order.
func contactAttrs(crs []contactRow) []attrRow {
	var attrs []attrRow
	for i := range crs {
		for _, a := range crs[i].attrs {
			attrs = append(attrs, attrRow{crs[i].ContactID, a})
		}
	}
	return attrs
}

// copyNewContacts COPYs crs and their attributes into contact_record and
// contact_attribute under a savepoint and returns how many it stored, or
// -1 when one of the rows was there already (see pgCopyAllNew).
func (w pgIngest) copyNewContacts(ctx context.Context, tx *sql.Tx, crs []contactRow) (int, error) {
	if len(crs) == 0 {
		return 0, nil
	}
	return pgCopyAllNew(ctx, tx, len(crs), func(savepoint string) error {
		return w.copyContacts(ctx, savepoint, "contact_record", "contact_attribute", crs)
	}, "contact_record", "contact_attribute")
}

// copyContacts COPYs crs into the table records and their attributes into
// attrs: contact_record and contact_attribute, or their staging tables;
// the statements before go ahead of the first COPY (pgCopyStreamAfter).
func (w pgIngest) copyContacts(ctx context.Context, before, records, attrs string, crs []contactRow) error {
	err := pgCopyStreamAfter(ctx, w.conn, before, records, colNames(contactRecordCols), pgCopyRows(contactRecordCols, crs))
	if err != nil {
		return err
	}
	as := contactAttrs(crs)
	if len(as) == 0 {
		return nil
	}
	return pgCopyStream(ctx, w.conn, attrs, pgAttributeStage.names, pgCopyAttrs(as))
}

// pipeline sends stmts in one round trip on the transaction's connection
// (a pgx batch), after the statements waiting in later: PostgreSQL runs
// them in order, and after an error skips the rest; the error is the
// first statement's that failed.
func (w pgIngest) pipeline(ctx context.Context, tx *sql.Tx, stmts []stmt) error {
	if w.tx != nil && len(w.tx.later) > 0 {
		stmts = append(w.tx.later, stmts...)
		w.tx.later = nil
	}
	if w.conn == nil || len(stmts) < 2 {
		return execEach(ctx, tx, stmts)
	}
	return withPgx(w.conn, func(c *pgx.Conn) error {
		var b pgx.Batch
		for _, st := range stmts {
			b.Queue(st.query, st.args...)
		}
		br := c.SendBatch(ctx, &b)
		for _, st := range stmts {
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
		return br.Close()
	})
}

func (pgIngest) writeRejected(ctx context.Context, tx *sql.Tx, rs []connectreporting.RejectedRecord) error {
	args := pgArrays(rejectedCols, rs)
	_, err := tx.ExecContext(ctx, pgSQL().rejected, args...)
	return err
}
