package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/report"
)

// agent_status_day (PostgreSQL, migration 00011) holds, per report zone,
// local day, agent and status, the seconds of the agent's CLOSED status
// intervals in that day: what kpi_agent_status_day would compute from
// agent_status_interval and report_interval, kept so that a month's report
// reads one row per agent, day and status instead of every interval.
// kpi_agent_status_day adds the open intervals (at most one per agent) when
// queried. Two things change a day's figures, and both rewrite them in the
// transaction that makes the change:
//
//   - ingest rewrites an agent's intervals from its earliest new boundary m
//     on (status_interval.go); the agent's days from the one holding the
//     start of the interval that held m are computed again, or only the
//     new intervals added to them (pgAgentDays, run by the PostgreSQL
//     writer's writeStatusIntervals);
//   - report_interval gains a zone's day (a new day of data, or a zone
//     added to TIME_ZONE): that day is computed for every agent
//     (pgStatusDays.fillDays).
//
// Every writer first takes the rollups' lock (dialect.lockRollups; the
// callers of the methods below and of pgAgentDays take it, once per
// transaction), so a day
// added by one batch and an agent's intervals changed by another cannot
// each miss the other's change. RebuildStatusDays recomputes everything
// (bulk loads).
type statusDayKeeper interface {
	// absentDays returns which of days report_interval does not hold yet
	// (before they are written).
	absentDays(ctx context.Context, tx *sql.Tx, days map[*time.Location][]time.Time) ([]zoneDay, error)
	// fillDays computes the days report_interval just gained.
	fillDays(ctx context.Context, tx *sql.Tx, days []zoneDay) error
	// rebuild computes every day again.
	rebuild(ctx context.Context, tx *sql.Tx) error
}

// zoneDay is one local day of a report zone, by its start.
type zoneDay struct {
	zone  string
	start time.Time
}

// statusDaySelect computes agent_status_day rows for the relation
// days(time_zone, local_date, day_start, day_end[, agent_id, lo]); %[1]s is
// the agent condition, %[2]s the closed-interval test and %[3]s the
// earliest start counted (NULL: any; GREATEST and the long intervals'
// COALESCE skip it). Bounded intervals (at most 23 hours) are found by
// their start, long ones by their end. For a whole day the test is
// unbounded = 0 (the day's range read through
// agent_status_interval_start_idx); for one agent's day it is
// unbounded <> 1, the same rows (unbounded is 0 or 1) without an equality
// that made the planner take agent_status_interval_unbounded_idx (dropped
// by migration 00021) and filter out every other agent's intervals of the
// day (1,421 rows an agent on a fresh table's statistics, 75 of a batch's
// 80 ms in BenchmarkStoreBatch) instead of the primary key
// (agent_id, start_timestamp).
const statusDaySelect = `SELECT days.time_zone, days.local_date, s.agent_id, s.status_name, MAX(s.status_type) AS status_type,
    SUM(EXTRACT(EPOCH FROM (LEAST(s.end_timestamp, days.day_end) - GREATEST(s.start_timestamp, days.day_start)))) AS seconds
FROM days CROSS JOIN LATERAL (
    SELECT agent_id, start_timestamp, end_timestamp, status_name, status_type FROM agent_status_interval
    WHERE %[1]s %[2]s AND start_timestamp >= GREATEST(days.day_start - interval '1 day', %[3]s)
        AND start_timestamp < days.day_end AND end_timestamp > days.day_start
    UNION ALL
    SELECT agent_id, start_timestamp, end_timestamp, status_name, status_type FROM agent_status_interval
    WHERE %[1]s unbounded = 1 AND end_timestamp > days.day_start AND start_timestamp < days.day_end
        AND start_timestamp >= COALESCE(%[3]s, '-infinity')
) s
GROUP BY days.time_zone, days.local_date, s.agent_id, s.status_name`

const statusDayCols = "time_zone, local_date, agent_id, status_name, status_type, seconds"

// statusDayInsert inserts statusDaySelect's rows (whole days, every
// agent). The rows go in in day order, so a day's rows share pages (a
// hash aggregate's order spread one day's 2,000 rows over 350 of a
// month's 470 pages).
var statusDayInsert = "INSERT INTO agent_status_day (" + statusDayCols + ")\n" +
	fmt.Sprintf(statusDaySelect, "", "unbounded = 0", "NULL::timestamptz") +
	"\nORDER BY days.time_zone, days.local_date, s.agent_id"

// pgStatusDays is the PostgreSQL implementation.
type pgStatusDays struct{}

func (pgStatusDays) absentDays(ctx context.Context, tx *sql.Tx, days map[*time.Location][]time.Time) ([]zoneDay, error) {
	var zones []string
	var starts []time.Time
	for loc, ds := range days {
		for _, d := range ds {
			start, _ := report.Day(d, loc)
			zones, starts = append(zones, loc.String()), append(starts, start)
		}
	}
	if len(zones) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT n.z, n.s FROM unnest($1::text[], $2::timestamptz[]) AS n(z, s)
WHERE NOT EXISTS (SELECT 1 FROM report_interval r WHERE r.time_zone = n.z AND r.interval_start = n.s)`, zones, starts)
	if err != nil {
		return nil, fmt.Errorf("agent status days: new days: %w", err)
	}
	defer rows.Close()
	var out []zoneDay
	for rows.Next() {
		var d zoneDay
		if err := rows.Scan(&d.zone, &d.start); err != nil {
			return nil, fmt.Errorf("agent status days: new days: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// pgNewDays computes whole days ($1 zones, $2 day starts) for every agent.
var pgNewDays = `WITH days AS (
    SELECT d.time_zone, d.local_date, d.day_start, d.day_end
    FROM unnest($1::text[], $2::timestamptz[]) AS n(z, s)
    JOIN report_interval d ON d.time_zone = n.z AND d.interval_start = n.s AND d.day_start = n.s
), gone AS (
    DELETE FROM agent_status_day r USING days WHERE r.time_zone = days.time_zone AND r.local_date = days.local_date
)
` + statusDayInsert

func (pgStatusDays) fillDays(ctx context.Context, tx *sql.Tx, days []zoneDay) error {
	if len(days) == 0 {
		return nil
	}
	zones := make([]string, len(days))
	starts := make([]time.Time, len(days))
	for i, d := range days {
		zones[i], starts[i] = d.zone, d.start
	}
	if _, err := tx.ExecContext(ctx, pgNewDays, zones, starts); err != nil {
		return fmt.Errorf("agent status days: fill %d new days: %w", len(days), err)
	}
	return nil
}

// pgAgentDays brings the days of the agents whose intervals changed up to
// date, run after their intervals were rewritten. Two kinds of agents:
//
//   - $1 agents, $2 from: every day ending after 'from', the start of
//     the interval that held the agent's bound (the bound when none did:
//     pgStatusIntervals' b.p), is computed again (its rows deleted and
//     inserted);
//   - $3 agents, $4 from: the batch only added intervals from 'from' on
//     (pgStatusIntervals' added: nothing stored was deleted or changed,
//     except an open interval closed, which no day counted), so the closed
//     intervals starting at or after 'from' are added to the days' rows:
//     seconds summed (numeric: exact, the same as computing the day
//     again) and status_type the greater. A day's rows are then read by
//     the new intervals only, not by all of the agent's day.
//
// Writers hold the rollups' lock, so no other transaction writes these
// rows in between.
var pgAgentDays = `WITH b AS (
    SELECT b.agent_id, NULL::timestamptz AS lo, b.p FROM unnest($1::text[], $2::timestamptz[]) AS b(agent_id, p)
    UNION ALL
    SELECT a.agent_id, a.lo, a.lo FROM unnest($3::text[], $4::timestamptz[]) AS a(agent_id, lo)
), days AS (
    SELECT b.agent_id, b.lo, d.time_zone, d.local_date, d.day_start, d.day_end
    FROM b JOIN report_interval d ON d.interval_start = d.day_start AND d.day_end > b.p
), gone AS (
    DELETE FROM agent_status_day r USING days
    WHERE days.lo IS NULL AND r.agent_id = days.agent_id AND r.time_zone = days.time_zone AND r.local_date = days.local_date
), x AS (
` + fmt.Sprintf(statusDaySelect, "agent_id = days.agent_id AND", "unbounded <> 1", "days.lo") + `
), added AS (
    UPDATE agent_status_day r SET seconds = r.seconds + x.seconds, status_type = GREATEST(r.status_type, x.status_type)
    FROM x JOIN b ON b.agent_id = x.agent_id AND b.lo IS NOT NULL
    WHERE r.time_zone = x.time_zone AND r.local_date = x.local_date AND r.agent_id = x.agent_id
        AND r.status_name IS NOT DISTINCT FROM x.status_name
    RETURNING r.time_zone, r.local_date, r.agent_id, r.status_name
)
INSERT INTO agent_status_day (` + statusDayCols + `)
SELECT ` + statusDayCols + ` FROM x
WHERE NOT EXISTS (SELECT 1 FROM added a WHERE a.time_zone = x.time_zone AND a.local_date = x.local_date
    AND a.agent_id = x.agent_id AND a.status_name IS NOT DISTINCT FROM x.status_name)
ORDER BY time_zone, local_date, agent_id`

// agentDaysStmt is pgAgentDays for the agents whose intervals changed
// (pgStatusIntervals' rows).
func (pgStatusDays) agentDaysStmt(bs []statusBound) stmt {
	var agents, added []string
	var from, addedFrom []time.Time
	for _, b := range bs {
		if b.added.IsZero() {
			agents, from = append(agents, b.agentID), append(from, b.from)
		} else {
			added, addedFrom = append(added, b.agentID), append(addedFrom, b.added)
		}
	}
	return stmt{what: fmt.Sprintf("agent status days of %d agents", len(bs)), query: pgAgentDays,
		args: []any{agents, from, added, addedFrom}}
}

// pgRebuildDays computes agent_status_day from scratch.
var pgRebuildDays = `WITH days AS (
    SELECT time_zone, local_date, day_start, day_end FROM report_interval WHERE interval_start = day_start
)
` + statusDayInsert

// RebuildStatusDays recomputes the agent status day rollup (the closed
// status intervals per zone and local day that kpi_agent_status_day reads)
// from agent_status_interval and report_interval, in one transaction. Ingest
// keeps the rollup itself; run this after loading agent_status_interval or
// report_interval by other means (a bulk load). A no-op on dialects that
// keep no rollup (SQLite, SQL Server: their view reads the intervals).
func (s *Store) RebuildStatusDays(ctx context.Context) error {
	sd := s.dialect.statusDays()
	if sd == nil {
		return nil
	}
	return s.inTx(ctx, "rebuild agent status days", func(tx *sql.Tx) error {
		if err := s.dialect.lockRollups(ctx, tx); err != nil {
			return fmt.Errorf("rebuild agent status days: %w", err)
		}
		return sd.rebuild(ctx, tx)
	})
}

func (pgStatusDays) rebuild(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{"DELETE FROM agent_status_day", pgRebuildDays} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rebuild agent status days: %w", err)
		}
	}
	return nil
}
