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
//     type from the earliest event (event time, then event id) carrying it;
//   - the interval ends at the agent's first boundary after its start: the
//     next status start or a LOGOUT event; none yet: open (NULL).
//
// When a batch brings boundaries of an agent at or after m (the earliest
// one), only two things can change: the interval holding m (its end becomes
// m if m comes first) and every interval starting at or after m, which are
// derived again from agent_event (indexed by agent and status start, and by
// agent and time for LOGOUT). That is what writeStatusIntervals does.

// statusBound is an agent whose intervals from 'from' on are derived again.
type statusBound struct {
	agentID string
	from    time.Time
}

// statusBounds returns, per agent, the earliest boundary among the events
// kept as agent_event rows, sorted by agent (lock order).
func statusBounds(evs []eventRow) []statusBound {
	first := map[string]time.Time{}
	note := func(agent string, t time.Time) {
		if t.IsZero() {
			return
		}
		if f, ok := first[agent]; !ok || t.Before(f) {
			first[agent] = t
		}
	}
	for i := range evs {
		e := evs[i].AgentEvent
		if !evs[i].history || e.AgentID == "" {
			continue
		}
		note(e.AgentID, e.StatusStartTimestamp)
		if e.EventType == connectreporting.AgentEventLogout {
			note(e.AgentID, e.EventTimestamp)
		}
	}
	out := make([]statusBound, 0, len(first))
	for a, t := range first {
		out = append(out, statusBound{a, t.UTC()})
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

var pgStatusSQL = func() statusIntervalSQL {
	b := "unnest($1::text[], $2::timestamptz[]) AS b(agent_id, m)"
	return statusIntervalSQL{
		closePrev: `UPDATE agent_status_interval s
SET end_timestamp = b.m, duration_seconds = EXTRACT(EPOCH FROM (b.m - s.start_timestamp))::double precision,
    unbounded = CASE WHEN b.m - s.start_timestamp > interval '23 hours' THEN 1 ELSE 0 END
FROM ` + b + `
WHERE s.agent_id = b.agent_id AND (s.end_timestamp IS NULL OR s.end_timestamp > b.m)
    AND s.start_timestamp = (SELECT MAX(p.start_timestamp) FROM agent_status_interval p
        WHERE p.agent_id = b.agent_id AND p.start_timestamp < b.m)`,
		deleteFrom: `DELETE FROM agent_status_interval s USING ` + b + `
WHERE s.agent_id = b.agent_id AND s.start_timestamp >= b.m`,
		insertFrom: "INSERT INTO agent_status_interval (" + statusCols + ")\n" + fmt.Sprintf(statusDerive, b, `COLLATE "C"`,
			"EXTRACT(EPOCH FROM (next_ts - ts))::double precision", "next_ts - ts > interval '23 hours'"),
	}
}()

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

func (pgIngest) writeStatusIntervals(ctx context.Context, tx *sql.Tx, bs []statusBound) error {
	if len(bs) == 0 {
		return nil
	}
	agents := make([]string, len(bs))
	from := make([]time.Time, len(bs))
	for i, b := range bs {
		agents[i], from[i] = b.agentID, b.from
	}
	changed, err := pgRewriteIntervals(ctx, tx, agents, from)
	if err != nil {
		return err
	}
	return pgStatusDays{}.agentDays(ctx, tx, slices.DeleteFunc(bs, func(b statusBound) bool { return !changed[b.agentID] }))
}

// statusSpan is one agent_status_interval row as the rollup sees it.
type statusSpan struct {
	start      time.Time
	end        sql.NullTime
	name, kind sql.NullString
}

func (x statusSpan) same(y statusSpan) bool {
	return x.start.Equal(y.start) && x.end.Valid == y.end.Valid && x.end.Time.Equal(y.end.Time) && x.name == y.name && x.kind == y.kind
}

// pgRewriteIntervals runs pgStatusSQL's statements with RETURNING and
// reports which agents' intervals came out different from what they were.
// Most stored events carry the status start the agent already has (a
// heartbeat, a contact changing state): their agent's intervals are deleted
// from the bound on and derived again the same, and agent_status_day, a
// function of the intervals, has nothing to compute again for that agent.
// An agent changed if the interval holding its bound got a new end
// (closePrev updates only then) or the rows derived from the bound on differ
// from the rows deleted. Each statement is planned for this batch's bounds,
// never from a cached generic plan (see pgPlanEach).
func pgRewriteIntervals(ctx context.Context, tx *sql.Tx, agents []string, from []time.Time) (map[string]bool, error) {
	const spanCols = " RETURNING s.agent_id, s.start_timestamp, s.end_timestamp, s.status_name, s.status_type"
	changed := map[string]bool{}
	closed, err := pgStatusSpans(ctx, tx, pgStatusSQL.closePrev+spanCols, agents, from)
	if err != nil {
		return nil, err
	}
	for a := range closed {
		changed[a] = true
	}
	before, err := pgStatusSpans(ctx, tx, pgStatusSQL.deleteFrom+spanCols, agents, from)
	if err != nil {
		return nil, err
	}
	after, err := pgStatusSpans(ctx, tx, pgStatusSQL.insertFrom+strings.ReplaceAll(spanCols, "s.", ""), agents, from)
	if err != nil {
		return nil, err
	}
	for _, a := range agents {
		if !slices.EqualFunc(before[a], after[a], statusSpan.same) {
			changed[a] = true
		}
	}
	return changed, nil
}

// pgStatusSpans runs q (bounds $1, $2) and returns the rows it returned per
// agent, ordered by start.
func pgStatusSpans(ctx context.Context, tx *sql.Tx, q string, agents []string, from []time.Time) (map[string][]statusSpan, error) {
	rows, err := tx.QueryContext(ctx, q, pgPlanEach, agents, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]statusSpan{}
	for rows.Next() {
		var a string
		var sp statusSpan
		if err := rows.Scan(&a, &sp.start, &sp.end, &sp.name, &sp.kind); err != nil {
			return nil, err
		}
		out[a] = append(out[a], sp)
	}
	for _, sps := range out {
		slices.SortFunc(sps, func(x, y statusSpan) int { return x.start.Compare(y.start) })
	}
	return out, rows.Err()
}

func (w sqliteIngest) writeStatusIntervals(ctx context.Context, tx *sql.Tx, bs []statusBound) error {
	for _, b := range bs {
		if err := sqliteStatusSQL.exec(ctx, tx, b.agentID, sqliteTime(b.from)); err != nil {
			return fmt.Errorf("agent %s: %w", b.agentID, err)
		}
	}
	return nil
}

func (mssqlIngest) writeStatusIntervals(ctx context.Context, tx *sql.Tx, bs []statusBound) error {
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
