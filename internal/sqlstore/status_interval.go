package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// agent_status_interval is a table kept at ingest, in the transaction that
// stores the agent events. Its definition (the one migration 00006 fills it
// with) is a function of the set of stored agent events, so the order and
// repetition of deliveries cannot change it:
//
//   - every distinct (agent, status start) opens an interval, its name and
//     type from the earliest event (event time, then event id in byte
//     order) carrying it;
//   - the interval ends at the agent's first boundary after its start: the
//     next status start or a LOGOUT event; none yet: open (NULL);
//     duration_seconds is end - start in seconds, unbounded 1 when open or
//     longer than 23 hours.
//
// When a batch brings boundaries of an agent at or after m (the earliest
// one), only two things can change: the interval holding m (its end becomes
// m if m comes first) and every interval starting at or after m, which are
// derived again from agent_event (indexed by agent and status start, and by
// agent and time for LOGOUT). That is what writeStatusIntervals does; on
// PostgreSQL an agent that only appends (nothing stored at or after m) has
// them derived from the batch's own events instead (pgStatusIntervals).

// statusBound is an agent whose intervals from 'from' on are derived again.
// added, when set (PostgreSQL), says the change only added intervals from
// that start on (see pgStatusIntervals).
type statusBound struct {
	agentID string
	from    time.Time
	added   time.Time
}

// eachBoundary calls f with each boundary the events kept as agent_event
// rows bring, with its event: every status start (t its time), and the
// time of every LOGOUT (logout true).
func eachBoundary(evs []eventRow, f func(e *connectreporting.AgentEvent, t time.Time, logout bool)) {
	for i := range evs {
		e := evs[i].AgentEvent
		if !evs[i].history || e.AgentID == "" {
			continue
		}
		if !e.StatusStartTimestamp.IsZero() {
			f(e, e.StatusStartTimestamp, false)
		}
		if e.EventType == connectreporting.AgentEventLogout && !e.EventTimestamp.IsZero() {
			f(e, e.EventTimestamp, true)
		}
	}
}

// statusBounds returns, per agent, the earliest boundary among the events
// kept as agent_event rows, sorted by agent (lock order).
func statusBounds(evs []eventRow) []statusBound {
	first := map[string]time.Time{}
	eachBoundary(evs, func(e *connectreporting.AgentEvent, t time.Time, _ bool) {
		if f, ok := first[e.AgentID]; !ok || t.Before(f) {
			first[e.AgentID] = t
		}
	})
	out := make([]statusBound, 0, len(first))
	for a, t := range first {
		out = append(out, statusBound{agentID: a, from: t.UTC()})
	}
	slices.SortFunc(out, func(a, b statusBound) int { return strings.Compare(a.agentID, b.agentID) })
	return out
}

// statusIntervalSQL is the three statements of one dialect; each reads the
// bounds from the relation B(agent_id, m) its dialect provides.
type statusIntervalSQL struct{ closePrev, deleteFrom, insertFrom string }

// statusDerive is the SELECT that derives the intervals starting at or
// after B.m from agent_event (placeholders: B, the byte-order collation,
// the duration expression over ts and next_ts, and the unbounded test).
const statusDerive = `SELECT agent_id, ts, status_name, status_type, next_ts, %[3]s, CASE WHEN next_ts IS NULL OR %[4]s THEN 1 ELSE 0 END
FROM (
    SELECT agent_id, ts, kind, status_name, status_type,
        LEAD(ts) OVER (PARTITION BY agent_id ORDER BY ts, kind) AS next_ts
    FROM (
        SELECT agent_id, ts, 1 AS kind, status_name, status_type FROM (
            SELECT e.agent_id, e.status_start_timestamp AS ts, e.status_name, e.status_type,
                ROW_NUMBER() OVER (PARTITION BY e.agent_id, e.status_start_timestamp
                    ORDER BY e.event_timestamp, e.event_id %[2]s) AS rn
            FROM agent_event e JOIN %[1]s ON e.agent_id = b.agent_id AND e.status_start_timestamp >= b.m
        ) s WHERE rn = 1
        UNION ALL
        SELECT e.agent_id, e.event_timestamp, 0, NULL, NULL
        FROM agent_event e JOIN %[1]s ON e.agent_id = b.agent_id AND e.event_type = 'LOGOUT' AND e.event_timestamp >= b.m
    ) bounds
) o
WHERE kind = 1`

const statusCols = "agent_id, start_timestamp, status_name, status_type, end_timestamp, duration_seconds, unbounded"

// pgStatusIntervals brings agent_status_interval up to date in one
// statement, from the batch's boundaries ($1 agent, $2 time, $3 status
// name, $4 status type, $5 LOGOUT, $6 the event's time, $7 its id; "" and
// the zero time are NULL) and $8: every event of the batch is stored as
// it is (pgTxState.copied, set by writeEvents). A status start the agent
// already has, with the same name and type, changes nothing: the interval
// is there and its name stays (the earliest event carrying the start has
// that name, or the batch's event, which has it too). Most stored events
// are such (a contact changing state, the same status since login), so
// each agent's bound m is its earliest other boundary: a LOGOUT, or a
// status start that is new or named differently; an agent without one is
// left alone. b also finds, by the primary key, the start p of the stored
// interval holding m (m when there is none) and whether any stored
// interval starts at or after m (later). When none does and the interval
// holding m was open (or m is in none: the agent's first, or after one
// that ended), the batch only adds intervals: from p when it closes the
// open one (which no day counted), else from m; b.added says from where,
// so the agent's days need only the new intervals added (pgAgentDays).
//
// An agent with no stored interval at or after m (not later), when every
// event of the batch went in as it is ($8, b.fast: a stream arriving in
// order, the common case), appends. No stored event carries a status
// start at or after m (each would have its interval), so the intervals
// from m on follow from the batch's own status starts (named by their
// earliest event, as in agent_event) and the LOGOUTs stored at or after m
// (the batch's among them): fd derives them with the same statusDerive
// from the arrays (ne) instead of agent_event, and appended inserts them
// (a plain INSERT, cheaper than an upsert: none is stored. Writers of one
// agent take turns on its agent_state row, which the events statement
// locks, so a later one sees these rows and is no append; should a row
// still be there, the batch fails rather than write a wrong one). closed ends the interval p holding m, when it
// was open or ended by a LOGOUT after m, at m: the first boundary after p.
// Nothing is compared with or derived from the stored rows.
//
// For the other agents (a late event, a renamed start, a redelivery),
// from p on, the intervals are derived again (d) from agent_event: the
// interval holding m comes out closed at m if m comes first, the others
// as their events define them. The derived rows that differ from the
// stored ones are upserted (put: an unchanged row is not even offered,
// which would lock it) and the stored rows from m on that d lacks are
// deleted (gone, only for the agents with a later row). Only rows that
// change are written.
//
// Each step reads the table by an index, agent by agent (a join of b with
// the table was a hash join over all of it: the planner cannot tell how
// few of the batch's boundaries are new). It returns the agents whose
// intervals changed, with the start p they were derived from and b.added,
// in agent order. Unlike the statements that read the staging tables
// (pgPlanEach), it runs as a prepared statement (pgx's statement cache),
// and PostgreSQL settles on its generic plan after five executions: no
// parsing and planning at each batch (1.2-1.9 ms). That plan is
// index-driven whatever the tables hold: it takes the unnest for 10 rows,
// so every join with b is a nested loop over an index (EXPLAIN with
// plan_cache_mode = force_generic_plan on a fresh database and at 26 M
// agent events, docs/performance.md).
var pgStatusIntervals = `WITH n AS (
    SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bool[], $6::timestamptz[], $7::text[])
        AS n(agent_id, ts, name, kind, logout, ets, eid)
), f AS (
    SELECT n.agent_id, MIN(n.ts) AS m
    FROM n
    WHERE n.logout OR NOT EXISTS (SELECT 1 FROM agent_status_interval s
        WHERE s.agent_id = n.agent_id AND s.start_timestamp = n.ts
            AND s.status_name IS NOT DISTINCT FROM NULLIF(n.name, '') AND s.status_type IS NOT DISTINCT FROM NULLIF(n.kind, ''))
    GROUP BY n.agent_id
), h AS (
    SELECT f.agent_id, f.m, p.start_timestamp AS p, p.end_timestamp AS p_end,
        EXISTS (SELECT 1 FROM agent_status_interval l WHERE l.agent_id = f.agent_id AND l.start_timestamp >= f.m) AS later
    FROM f LEFT JOIN LATERAL (SELECT p.start_timestamp, p.end_timestamp FROM agent_status_interval p
        WHERE p.agent_id = f.agent_id AND p.start_timestamp < f.m ORDER BY p.start_timestamp DESC LIMIT 1) p ON true
), b AS (
    SELECT h.agent_id, h.m, COALESCE(h.p, h.m) AS p, h.later, NOT h.later AND $8::bool AS fast,
        CASE WHEN h.later THEN NULL WHEN h.p IS NOT NULL AND h.p_end IS NULL THEN h.p
            WHEN h.p IS NULL OR h.p_end <= h.m THEN h.m END AS added,
        h.p IS NOT NULL AND (h.p_end IS NULL OR h.p_end > h.m) AS close_p
    FROM h
), ne AS (
    SELECT n.agent_id, n.ts AS status_start_timestamp, NULLIF(n.name, '') AS status_name, NULLIF(n.kind, '') AS status_type,
        NULLIF(n.ets, '0001-01-01 00:00:00+00'::timestamptz) AS event_timestamp, n.eid AS event_id
    FROM n WHERE NOT n.logout
), fd AS (
` + pgDerive(
	"FROM ne e JOIN b ON e.agent_id = b.agent_id AND b.fast AND e.status_start_timestamp >= b.m",
	pgLateralFrom("e.event_type = 'LOGOUT' AND e.event_timestamp >= ", "b.m")+" WHERE b.fast") + `
), appended AS (
    INSERT INTO agent_status_interval (` + statusCols + `)
    SELECT * FROM fd
    RETURNING agent_id
), closed AS (
    UPDATE agent_status_interval s SET end_timestamp = c.next_ts, duration_seconds = ` + pgStatusDuration + `,
        unbounded = CASE WHEN ` + pgStatusLong + ` THEN 1 ELSE 0 END
    FROM (SELECT b.agent_id, b.p AS ts, b.m AS next_ts FROM b WHERE b.fast AND b.close_p) c
    WHERE s.agent_id = c.agent_id AND s.start_timestamp = c.ts
    RETURNING s.agent_id
), d (agent_id, ts, status_name, status_type, next_ts, duration_seconds, unbounded) AS (
` + pgDerive(
	pgLateralFrom("e.status_start_timestamp >= ", "b.p")+" WHERE NOT b.fast",
	pgLateralFrom("e.event_type = 'LOGOUT' AND e.event_timestamp >= ", "b.p")+" WHERE NOT b.fast") + `
), gone AS (
    DELETE FROM agent_status_interval s USING b
    WHERE b.later AND s.agent_id = b.agent_id AND s.start_timestamp >= b.m
        AND NOT EXISTS (SELECT 1 FROM d WHERE d.agent_id = s.agent_id AND d.ts = s.start_timestamp)
    RETURNING s.agent_id
), put AS (
    INSERT INTO agent_status_interval AS s (` + statusCols + `)
    SELECT d.* FROM d LEFT JOIN agent_status_interval o ON o.agent_id = d.agent_id AND o.start_timestamp = d.ts
    WHERE o.agent_id IS NULL OR (o.status_name, o.status_type, o.end_timestamp)
        IS DISTINCT FROM (d.status_name, d.status_type, d.next_ts)
    ON CONFLICT (agent_id, start_timestamp) DO UPDATE SET status_name = excluded.status_name,
        status_type = excluded.status_type, end_timestamp = excluded.end_timestamp,
        duration_seconds = excluded.duration_seconds, unbounded = excluded.unbounded
    RETURNING s.agent_id
)
SELECT b.agent_id, b.p, b.added FROM b
WHERE b.agent_id IN (SELECT agent_id FROM gone UNION ALL SELECT agent_id FROM put
    UNION ALL SELECT agent_id FROM appended UNION ALL SELECT agent_id FROM closed)
ORDER BY b.agent_id COLLATE "C"`

// pgStatusDuration and pgStatusLong are PostgreSQL's duration_seconds and
// unbounded test over ts and next_ts.
const (
	pgStatusDuration = "EXTRACT(EPOCH FROM (next_ts - ts))::double precision"
	pgStatusLong     = "next_ts - ts > interval '23 hours'"
)

// pgDerive is statusDerive for PostgreSQL over the relation b, reading
// the status starts from starts and the LOGOUTs from logouts instead of
// agent_event's joins with b (each a FROM clause giving the rows as e,
// with b's columns beside them).
func pgDerive(starts, logouts string) string {
	derive := fmt.Sprintf(statusDerive, "b", `COLLATE "C"`, pgStatusDuration, pgStatusLong)
	for i, cond := range []string{"e.status_start_timestamp >= ", "e.event_type = 'LOGOUT' AND e.event_timestamp >= "} {
		join := "FROM agent_event e JOIN b ON e.agent_id = b.agent_id AND " + cond + "b.m"
		if !strings.Contains(derive, join) {
			panic("pgDerive: the derivation no longer reads " + join)
		}
		derive = strings.Replace(derive, join, []string{starts, logouts}[i], 1)
	}
	return derive
}

// pgLateralFrom makes a derivation read each agent's events from its bound
// on by the (agent_id, status_start_timestamp) and LOGOUT indexes, one
// agent at a time (cond, the index's condition, then from, the column of
// b it starts at): a batch's bounds are few, but the planner, which cannot
// tell how many of the batch's boundaries are new, took a hash join over
// the whole of agent_event (a sequential scan while the table is small).
// OFFSET 0 keeps the lateral subquery from being flattened into a join.
func pgLateralFrom(cond, from string) string {
	return "FROM b CROSS JOIN LATERAL (SELECT * FROM agent_event e WHERE e.agent_id = b.agent_id AND " + cond + from + " OFFSET 0) e"
}

var sqliteStatusSQL = func() statusIntervalSQL {
	b := "(SELECT ?1 AS agent_id, ?2 AS m) b"
	dur := func(a, z string) string { return "ROUND((julianday(" + z + ") - julianday(" + a + ")) * 86400.0, 3)" }
	long := func(a, z string) string { return "julianday(" + z + ") - julianday(" + a + ") > 23.0 / 24" }
	return statusIntervalSQL{
		closePrev: `UPDATE agent_status_interval
SET end_timestamp = ?2, duration_seconds = ` + dur("start_timestamp", "?2") + `,
    unbounded = CASE WHEN ` + long("start_timestamp", "?2") + ` THEN 1 ELSE 0 END
WHERE agent_id = ?1 AND (end_timestamp IS NULL OR end_timestamp > ?2)
    AND start_timestamp = (SELECT MAX(start_timestamp) FROM agent_status_interval WHERE agent_id = ?1 AND start_timestamp < ?2)`,
		deleteFrom: `DELETE FROM agent_status_interval WHERE agent_id = ?1 AND start_timestamp >= ?2`,
		insertFrom: "INSERT INTO agent_status_interval (" + statusCols + ")\n" + fmt.Sprintf(statusDerive, b, "",
			dur("ts", "next_ts"), long("ts", "next_ts")),
	}
}()

var mssqlStatusSQL = func() statusIntervalSQL {
	b := "OPENJSON(@p1) WITH (agent_id nvarchar(128) COLLATE Latin1_General_100_BIN2 '$.a', m datetime2(7) '$.m') b"
	dur := func(a, z string) string { return "DATEDIFF_BIG(microsecond, " + a + ", " + z + ") / 1000000.0" }
	long := func(a, z string) string { return "DATEDIFF_BIG(second, " + a + ", " + z + ") > 82800" }
	return statusIntervalSQL{
		closePrev: `UPDATE s
SET end_timestamp = b.m, duration_seconds = ` + dur("s.start_timestamp", "b.m") + `,
    unbounded = CASE WHEN ` + long("s.start_timestamp", "b.m") + ` THEN 1 ELSE 0 END
FROM agent_status_interval s JOIN ` + b + ` ON s.agent_id = b.agent_id
WHERE (s.end_timestamp IS NULL OR s.end_timestamp > b.m)
    AND s.start_timestamp = (SELECT MAX(p.start_timestamp) FROM agent_status_interval p
        WHERE p.agent_id = b.agent_id AND p.start_timestamp < b.m);`,
		deleteFrom: `DELETE s FROM agent_status_interval s JOIN ` + b + `
ON s.agent_id = b.agent_id AND s.start_timestamp >= b.m;`,
		insertFrom: "INSERT INTO agent_status_interval (" + statusCols + ")\n" + fmt.Sprintf(statusDerive, b,
			"COLLATE Latin1_General_BIN2", dur("ts", "next_ts"), long("ts", "next_ts")) + ";",
	}
}()

func (q statusIntervalSQL) exec(ctx context.Context, tx *sql.Tx, args ...any) error {
	for _, st := range []string{q.closePrev, q.deleteFrom, q.insertFrom} {
		if _, err := tx.ExecContext(ctx, st, args...); err != nil {
			return err
		}
	}
	return nil
}

func (w pgIngest) writeStatusIntervals(ctx context.Context, tx *sql.Tx, evs []eventRow) error {
	args := pgBoundaryArgs(evs, w.tx != nil && w.tx.copied)
	if args == nil {
		return nil
	}
	rows, err := tx.QueryContext(ctx, pgStatusIntervals, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var changed []statusBound
	for rows.Next() {
		var b statusBound
		var added sql.NullTime
		if err := rows.Scan(&b.agentID, &b.from, &added); err != nil {
			return err
		}
		b.added = added.Time
		changed = append(changed, b)
	}
	if err := rows.Err(); err != nil || len(changed) == 0 {
		return err
	}
	// The rollups' lock and the agent days in one round trip.
	return w.pipeline(ctx, tx, []stmt{pgLockRollups, pgStatusDays{}.agentDaysStmt(changed)})
}

// pgBoundaryArgs are pgStatusIntervals' arguments for the boundaries evs
// bring (nil: none); copied says every event kept as history went in by
// the COPY as it is (pgTxState.copied).
func pgBoundaryArgs(evs []eventRow, copied bool) []any {
	var agents, names, kinds, ids []string
	var ts, at []time.Time
	var logout []bool
	eachBoundary(evs, func(e *connectreporting.AgentEvent, t time.Time, lo bool) {
		name, kind := e.StatusName, e.StatusType
		if lo {
			name, kind = "", ""
		}
		agents, ts, names, kinds = append(agents, e.AgentID), append(ts, t), append(names, name), append(kinds, kind)
		logout, at, ids = append(logout, lo), append(at, e.EventTimestamp.UTC()), append(ids, e.EventID)
	})
	if len(agents) == 0 {
		return nil
	}
	return []any{agents, ts, names, kinds, logout, at, ids, copied}
}

func (w sqliteIngest) writeStatusIntervals(ctx context.Context, tx *sql.Tx, evs []eventRow) error {
	for _, b := range statusBounds(evs) {
		if err := sqliteStatusSQL.exec(ctx, tx, b.agentID, sqliteTime(b.from)); err != nil {
			return fmt.Errorf("agent %s: %w", b.agentID, err)
		}
	}
	return nil
}

func (mssqlIngest) writeStatusIntervals(ctx context.Context, tx *sql.Tx, evs []eventRow) error {
	bs := statusBounds(evs)
	if len(bs) == 0 {
		return nil
	}
	type jb struct {
		A string `json:"a"`
		M any    `json:"m"`
	}
	rows := make([]jb, len(bs))
	for i, b := range bs {
		rows[i] = jb{b.agentID, mssqlTime(b.from)}
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	return mssqlStatusSQL.exec(ctx, tx, string(doc))
}
