package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/report"
)

// agent_day_rollup holds kpi_agent_day's contact figures per zone, local
// day and agent: agent_interval_rollup summed over the intervals of the
// day (report_interval). Its figures are sums only, so a contact batch
// keeps it by difference, exactly: before the touched agent intervals are
// recomputed it adds the recomputed rows less the stored ones where they
// differ (addAgentDayDifference), then drops the rows left at zero
// contacts. A day
// report_interval gains (a new day, a new TIME_ZONE zone) and
// RebuildRollups recompute whole days instead (rebuildAgentDays).

// agentDayCols are agent_day_rollup's summed columns (those of
// agent_interval_rollup).
var agentDayCols = []string{"contacts_handled", "handle_seconds", "talk_seconds", "hold_seconds", "acw_seconds"}

var agentDayKeys = []string{"time_zone", "local_date", "agent_id"}

// agentDaySelect sums rows a (of agent_interval_rollup's columns) per
// zone, local day and agent; from is the FROM … WHERE part, having the
// HAVING condition if any.
func agentDaySelect(from, having string) string {
	sums := make([]string, len(agentDayCols))
	for i, c := range agentDayCols {
		sums[i] = "SUM(a." + c + ")"
	}
	q := "SELECT r.time_zone, r.local_date, a.agent_id, " + strings.Join(sums, ", ") + "\n" + from +
		"\nGROUP BY r.time_zone, r.local_date, a.agent_id"
	if having != "" {
		q += "\nHAVING " + having
	}
	return q
}

// addAgentDayDifference is the statement that adds to agent_day_rollup,
// per zone, day and agent, the recomputed agent_interval_rollup rows of n
// ranges less the stored ones (args: the range bounds, then the ids of the
// condition in with one %s for the agent column), where they differ.
func addAgentDayDifference(d dialect, n int, args []any, in string) stmt {
	recomputed := fmt.Sprintf(agentIntervalSelect, "("+rangeCond("k.initiation_timestamp", n)+")"+fmt.Sprintf(in, "k.agent_id"))
	q := agentDayDifferenceSQL(d, recomputed, "("+rangeCond("interval_start", n)+")"+fmt.Sprintf(in, "agent_id"), "")
	return stmt{"agent_day_rollup", d.bind(q), append(slices.Clone(args), args...)}
}

// agentDayDifferenceSQL adds to agent_day_rollup the rows of recomputed
// (agent_interval_rollup's columns) less the stored agent_interval_rollup
// rows that match where, per zone, day and agent, where they differ.
// rWhere, when not empty, is a condition on report_interval r that the
// rows' intervals meet (their ranges), for an index on
// r.interval_start to find them (PostgreSQL's report_interval_start_idx):
// the join alone read all of report_interval.
func agentDayDifferenceSQL(d dialect, recomputed, where, rWhere string) string {
	neg := make([]string, len(agentDayCols))
	changed := make([]string, len(agentDayCols))
	for i, c := range agentDayCols {
		neg[i] = "-" + c
		changed[i] = "SUM(a." + c + ") <> 0"
	}
	stored := "SELECT interval_start, agent_id, " + strings.Join(neg, ", ") + " FROM agent_interval_rollup WHERE " + where
	join := "JOIN report_interval r ON r.interval_start = a.interval_start"
	if rWhere != "" {
		join += " AND " + rWhere
	}
	sel := agentDaySelect("FROM ("+recomputed+"\nUNION ALL\n"+stored+") a\n"+join, strings.Join(changed, " OR "))
	return d.addSQL("agent_day_rollup", agentDayKeys, agentDayCols, sel)
}

// dropEmptyAgentDays deletes the agent days left without contacts (a
// partial index finds them).
var dropEmptyAgentDays = stmt{"agent_day_rollup", "DELETE FROM agent_day_rollup WHERE contacts_handled = 0", nil}

// rebuildAgentDays recomputes the agent_day_rollup rows of every zone and
// local day with an interval in ranges.
func rebuildAgentDays(ctx context.Context, tx *sql.Tx, d dialect, ranges []timeRange) error {
	var stmts []stmt
	eachChunk(ranges, d, func(n int, args []any) {
		del := "DELETE FROM agent_day_rollup WHERE EXISTS (SELECT 1 FROM report_interval r WHERE r.time_zone = agent_day_rollup.time_zone" +
			" AND r.local_date = agent_day_rollup.local_date AND (" + rangeCond("r.interval_start", n) + "))"
		sel := agentDaySelect("FROM (SELECT DISTINCT time_zone, local_date FROM report_interval WHERE "+rangeCond("interval_start", n)+") x\n"+
			"JOIN report_interval r ON r.time_zone = x.time_zone AND r.local_date = x.local_date\n"+
			"JOIN agent_interval_rollup a ON a.interval_start = r.interval_start", "")
		ins := "INSERT INTO agent_day_rollup (" + strings.Join(append(append([]string{}, agentDayKeys...), agentDayCols...), ", ") + ")\n" + sel
		stmts = append(stmts, stmt{"rebuild agent_day_rollup: delete", d.bind(del), args},
			stmt{"rebuild agent_day_rollup", d.bind(ins), args})
	})
	return execEach(ctx, tx, stmts)
}

// dayRanges are the UTC spans of local days.
func dayRanges(days map[*time.Location][]time.Time) []timeRange {
	var out []timeRange
	for loc, ds := range days {
		for _, d := range ds {
			_, end := report.Day(d, loc)
			out = append(out, timeRange{d.UTC(), end})
		}
	}
	return out
}

// onConflictAddSQL is addSQL for PostgreSQL and SQLite.
func onConflictAddSQL(table string, keys, cols []string, sel string) string {
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	return "INSERT INTO " + table + " (" + strings.Join(append(append([]string{}, keys...), cols...), ", ") + ")\n" + sel +
		"\nON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
}

// mssqlAddSQL is addSQL for SQL Server: a MERGE.
func mssqlAddSQL(table string, keys, cols []string, sel string) string {
	all := append(append([]string{}, keys...), cols...)
	on := make([]string, len(keys))
	for i, k := range keys {
		on[i] = "o." + k + " = n." + k
	}
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = "o." + c + " = o." + c + " + n." + c
	}
	return "MERGE " + table + " WITH (HOLDLOCK) AS o\nUSING (" + sel + ") AS n (" + strings.Join(all, ", ") + ")\nON " +
		strings.Join(on, " AND ") + "\nWHEN MATCHED THEN UPDATE SET " + strings.Join(sets, ", ") +
		"\nWHEN NOT MATCHED THEN INSERT (" + strings.Join(all, ", ") + ") VALUES (n." + strings.Join(all, ", n.") + ");"
}
