package sqlstore

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// On PostgreSQL a contact batch's rollups are recomputed by one statement
// (data-modifying CTEs) instead of a DELETE and an INSERT … SELECT per
// rollup and the agent day difference, which read the touched intervals
// of kpi_contact three times and aggregated the agent cells twice: here
// the contacts of the touched intervals are read once (k), each rollup's
// cells are computed once from them, and each rollup table is brought to
// them by an upsert and a delete of the cells no contact holds any more.
// Both read the table as it was before the statement, as the agent day
// difference does, so the result is the rollups' definition whatever the
// order PostgreSQL runs them in (agent_day_rollup's emptied days are
// dropped by the next statement, dropEmptyAgentDays). The statement has
// 2n range bounds ($1 … $2n, as rangeCond) and the agents as one array
// ($2n+1).

// contactRollups is the statement recomputing the contact rollups of n
// ranges (args: their bounds) for agents (refreshContactRollups).
func (pgIngest) contactRollups(n int, args []any, agents []string) stmt {
	q, ok := pgContactRollupSQLs.Load(n)
	if !ok {
		q, _ = pgContactRollupSQLs.LoadOrStore(n, pgContactRollupSQL(n))
	}
	return stmt{"contact rollups", q.(string), append(slices.Clone(args), agents)}
}

// pgContactRollupSQLs holds the statement for each number of ranges made
// so far: making it takes 0.14 ms and 46 KB, at every batch before.
var pgContactRollupSQLs sync.Map

// pgContactRollupSQL is the statement for n ranges.
func pgContactRollupSQL(n int) string {
	d := postgresDialect{}
	// IN (SELECT unnest(…)) is a hashed lookup; = ANY (array) compares
	// each row's agent with every agent of the batch (a millisecond for
	// 500 contacts of 50 agents).
	agents := fmt.Sprintf("(SELECT unnest($%d::text[]))", 2*n+1)
	kRanges := pgRangeCond("k.initiation_timestamp", n)
	queueCols, queueSel := splitRollupInsert(queueRollup.sql(d, "TRUE"))
	agentCols, agentSel := splitRollupInsert(agentRollup.sql(d, "k.agent_id IN "+agents))
	inAgents := pgRangeCond("interval_start", n) + " AND agent_id IN " + agents
	return "WITH k AS MATERIALIZED (SELECT " + kColumns(queueSel, agentSel) + " FROM kpi_contact k WHERE " + kRanges + "),\n" +
		"qn (" + queueCols + ") AS (" + fromK(queueSel) + "),\n" +
		rollupTo("q", "queue_interval_rollup", queueCols, []string{"interval_start", "queue_id", "channel"}, pgRangeCond("interval_start", n)) + ",\n" +
		"an (" + agentCols + ") AS MATERIALIZED (" + fromK(agentSel) + "),\n" +
		"dd AS (" + agentDayDifferenceSQL(d, "SELECT * FROM an", inAgents, pgRangeCond("r.interval_start", n)) + "),\n" +
		rollupTo("a", "agent_interval_rollup", agentCols, []string{"interval_start", "agent_id"}, inAgents) + "\n" +
		"SELECT 1"
}

// rollupTo is the two CTEs p+"u" and p+"d" that bring the rows of table
// matching where to those of the CTE p+"n" (columns cols, key keys): an
// upsert of p+"n" that leaves rows with the same figures as they are, and
// a delete of the rows whose key p+"n" lacks.
//
// The delete looks the keys up with NOT IN, which PostgreSQL runs as a
// hashed subplan whatever it guesses of p+"n"'s size. NOT EXISTS was
// planned from that guess (a CTE of ten rows): a nested loop reading all
// of p+"n" for each stored row, 13 ms of a batch of 500 realistic contacts
// whose intervals held earlier batches' agent cells (469 cells beside
// 222). NOT IN differs from NOT EXISTS only when a key is NULL: p+"n"'s
// keys are its GROUP BY keys over rows filtered to non-null ids (channel
// COALESCEd), the table's its primary key.
func rollupTo(p, table, cols string, keys []string, where string) string {
	stored := make([]string, len(keys))
	for i, k := range keys {
		stored[i] = "o." + k
	}
	notIn := "(" + strings.Join(stored, ", ") + ") NOT IN (SELECT " + strings.Join(keys, ", ") + " FROM " + p + "n)"
	var sets, olds, news []string
	for _, c := range strings.Split(cols, ", ") {
		if !slices.Contains(keys, c) {
			sets = append(sets, c+" = excluded."+c)
			olds, news = append(olds, table+"."+c), append(news, "excluded."+c)
		}
	}
	// A cell whose figures stay the same (another queue's or agent's cell
	// in a touched interval) is not written again.
	changed := "(" + strings.Join(olds, ", ") + ") IS DISTINCT FROM (" + strings.Join(news, ", ") + ")"
	return p + "u AS (INSERT INTO " + table + " (" + cols + ") SELECT * FROM " + p + "n ON CONFLICT (" + strings.Join(keys, ", ") +
		") DO UPDATE SET " + strings.Join(sets, ", ") + " WHERE " + changed + "),\n" +
		p + "d AS (DELETE FROM " + table + " o WHERE " + where + " AND " + notIn + ")"
}

// splitRollupInsert splits a rollup's INSERT INTO t (cols) SELECT … into
// its columns (", "-separated) and its SELECT.
func splitRollupInsert(q string) (cols, sel string) {
	open := strings.IndexByte(q, '(')
	end := strings.Index(q, ")\nSELECT ")
	if open < 0 || end < open {
		panic("splitRollupInsert: not an INSERT INTO t (cols) SELECT: " + q)
	}
	names := strings.Split(q[open+1:end], ",")
	for i, c := range names {
		names[i] = strings.TrimSpace(c)
	}
	return strings.Join(names, ", "), q[end+2:]
}

// kColumn is a column of kpi_contact k that a rollup's SELECT reads.
var kColumn = regexp.MustCompile(`\bk\.([a-z_]+)`)

// kColumns lists the columns of kpi_contact that sels read, for the CTE k
// to keep only those: a MATERIALIZED CTE keeps every column it selects,
// and SELECT * computed and stored all of kpi_contact's for each contact
// (0.3-0.8 ms of the statement's 2-3 ms for 500 small contacts).
func kColumns(sels ...string) string {
	var cols []string
	for _, sel := range sels {
		for _, m := range kColumn.FindAllStringSubmatch(sel, -1) {
			cols = append(cols, m[1])
		}
	}
	slices.Sort(cols)
	return strings.Join(slices.Compact(cols), ", ")
}

// fromK makes a rollup's SELECT read the CTE k instead of kpi_contact.
func fromK(sel string) string {
	if strings.Count(sel, "FROM kpi_contact k") != 1 {
		panic("fromK: no single FROM kpi_contact k in " + sel)
	}
	return strings.Replace(sel, "FROM kpi_contact k", "FROM k", 1)
}

// pgRangeCond is rangeCond with PostgreSQL's numbered parameters $1 … $2n,
// in parentheses.
func pgRangeCond(col string, n int) string {
	return "(" + postgresDialect{}.bind(rangeCond(col, n)) + ")"
}
