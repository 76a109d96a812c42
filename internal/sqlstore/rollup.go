package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/report"
)

// Rollups (migration 00010). The KPI views over contacts and Connect's
// interval metrics read tables kept at write time, one row per 15-minute
// UTC interval and queue (or agent), instead of aggregating every contact
// of the range at query time:
//
//	queue_interval_rollup          kpi_contact per interval, queue, channel
//	agent_interval_rollup          kpi_contact per interval, agent
//	agent_day_rollup               agent_interval_rollup per zone, local day, agent (rollup_agentday.go)
//	connect_queue_interval_rollup  queue_interval_metric pivoted, per interval, queue, channel
//
// A rollup is kept equal to its definition (the INSERT … SELECT below over
// the source) by recomputing, in the transaction that writes the source,
// every interval the write touched: its rows are deleted and rebuilt from
// the source. For contacts the touched intervals are those of the stored
// versions the batch may replace and those of the batch's versions, so a
// replay, a duplicate, an older version or a contact whose initiation moved
// leaves the rollups exactly equal to a recomputation (on PostgreSQL a
// contact batch does it in one statement, rollup_postgres.go). Writers of a source
// take turns on its rollups (dialect.lockRollups) from before they read
// what they replace until they commit, so concurrent batches cannot
// interleave.
//
// Service level: queue_interval_rollup counts answered_within_sl at
// report_setting's service_level_seconds and keeps that threshold in
// sl_threshold_seconds; PrepareReports rebuilds the rollups when the
// threshold changes (report_setting rollup_service_level_seconds records
// what they were built with). Rows of intervals whose source rows were
// deleted (Maintain's KeepDays) are kept, like the interval metrics.

// rollup is one rollup table and how to compute it.
type rollup struct {
	table string
	// source is the column of the source the touched intervals select on
	// (indexed).
	source string
	// insert is the INSERT … SELECT … WHERE (%s) GROUP BY of the table;
	// %s is a condition on source.
	insert string
}

// slExpr is report_setting's service-level threshold (default 20), the
// views' threshold; %s casts its text value to an integer.
const slExpr = `(SELECT COALESCE(MAX(CASE WHEN name = 'service_level_seconds' THEN %s END), 20) AS sl FROM report_setting)`

var queueRollup = rollup{table: "queue_interval_rollup", source: "k.initiation_timestamp", insert: `INSERT INTO queue_interval_rollup (interval_start, queue_id, channel, queue_name,
    contacts_queued, contacts_answered, contacts_handled, contacts_abandoned, contacts_left_queue,
    answered_within_sl, sl_threshold_seconds, transferred_out, callbacks, contacts_put_on_hold,
    handle_seconds, talk_seconds, hold_seconds, hold_seconds_on_hold, acw_seconds, acw_contacts,
    answer_seconds, abandon_seconds, max_queue_seconds)
SELECT k.interval_start, k.queue_id, COALESCE(k.channel, ''), MAX(k.queue_name),
    SUM(k.queued), SUM(k.answered), SUM(k.handled), SUM(k.abandoned), SUM(k.left_queue),
    SUM(CASE WHEN k.answered = 1 AND k.queue_seconds < s.sl THEN 1 ELSE 0 END), MAX(s.sl),
    SUM(k.transferred_out), SUM(k.callback * k.queued), SUM(k.put_on_hold),
    COALESCE(SUM(k.handle_seconds), 0), COALESCE(SUM(k.talk_seconds), 0), COALESCE(SUM(k.hold_seconds), 0),
    COALESCE(SUM(CASE WHEN k.put_on_hold = 1 THEN k.hold_seconds END), 0),
    COALESCE(SUM(k.acw_seconds), 0), COUNT(k.acw_seconds),
    COALESCE(SUM(CASE WHEN k.answered = 1 THEN k.queue_seconds END), 0),
    COALESCE(SUM(CASE WHEN k.abandoned = 1 THEN k.queue_seconds END), 0),
    MAX(CASE WHEN k.left_queue = 1 THEN k.queue_seconds END)
FROM kpi_contact k CROSS JOIN ` + slExpr + ` s
WHERE k.enqueue_timestamp IS NOT NULL AND k.queue_id IS NOT NULL AND (%s)
GROUP BY k.interval_start, k.queue_id, k.channel`}

// agentIntervalSelect is agent_interval_rollup's definition; %s is a
// condition on kpi_contact k.
const agentIntervalSelect = `SELECT k.interval_start, k.agent_id, SUM(k.handled) AS contacts_handled,
    COALESCE(SUM(k.handle_seconds), 0) AS handle_seconds, COALESCE(SUM(k.talk_seconds), 0) AS talk_seconds,
    COALESCE(SUM(k.hold_seconds), 0) AS hold_seconds, COALESCE(SUM(k.acw_seconds), 0) AS acw_seconds
FROM kpi_contact k
WHERE k.connected_to_agent_timestamp IS NOT NULL AND k.agent_id IS NOT NULL AND (%s)
GROUP BY k.interval_start, k.agent_id`

var agentRollup = rollup{table: "agent_interval_rollup", source: "k.initiation_timestamp", insert: `INSERT INTO agent_interval_rollup (interval_start, agent_id,
    contacts_handled, handle_seconds, talk_seconds, hold_seconds, acw_seconds)
` + agentIntervalSelect}

// connectMetricCols are the columns of connect_queue_interval_rollup (and
// kpi_connect_queue_interval) and the GetMetricDataV2 metric each holds.
var connectMetricCols = [][2]string{
	{"contacts_created", "CONTACTS_CREATED"}, {"contacts_queued", "CONTACTS_QUEUED"},
	{"contacts_handled", "CONTACTS_HANDLED"}, {"contacts_abandoned", "CONTACTS_ABANDONED"},
	{"transferred_out", "CONTACTS_TRANSFERRED_OUT"}, {"contacts_put_on_hold", "CONTACTS_PUT_ON_HOLD"},
	{"contacts_left_queue", "SERVICE_LEVEL_20__COUNT"}, {"answered_in_20", "SUM_CONTACTS_ANSWERED_IN_20"},
	{"answered_in_60", "SUM_CONTACTS_ANSWERED_IN_60"}, {"abandoned_in_20", "SUM_CONTACTS_ABANDONED_IN_20"},
	{"abandoned_in_60", "SUM_CONTACTS_ABANDONED_IN_60"}, {"handle_seconds", "SUM_HANDLE_TIME"},
	{"hold_seconds", "SUM_HOLD_TIME"}, {"acw_seconds", "SUM_AFTER_CONTACT_WORK_TIME"},
	{"talk_seconds", "SUM_INTERACTION_TIME"}, {"max_queue_seconds", "MAX_QUEUED_TIME"},
	{"handle_sum", "AVG_HANDLE_TIME__SUM"}, {"handle_count", "AVG_HANDLE_TIME__COUNT"},
	{"answer_sum", "AVG_QUEUE_ANSWER_TIME__SUM"}, {"answer_count", "AVG_QUEUE_ANSWER_TIME__COUNT"},
	{"acw_sum", "AVG_AFTER_CONTACT_WORK_TIME__SUM"}, {"acw_count", "AVG_AFTER_CONTACT_WORK_TIME__COUNT"},
	{"hold_sum", "AVG_HOLD_TIME__SUM"}, {"hold_count", "AVG_HOLD_TIME__COUNT"},
	{"abandon_sum", "AVG_ABANDON_TIME__SUM"}, {"abandon_count", "AVG_ABANDON_TIME__COUNT"},
}

var connectRollup = func() rollup {
	cols := make([]string, len(connectMetricCols))
	pivot := make([]string, len(connectMetricCols))
	for i, c := range connectMetricCols {
		cols[i] = c[0]
		pivot[i] = "MAX(CASE WHEN m.metric_name = '" + c[1] + "' THEN m.value END)"
	}
	return rollup{table: "connect_queue_interval_rollup", source: "m.interval_start",
		insert: "INSERT INTO connect_queue_interval_rollup (interval_start, queue_id, channel, " + strings.Join(cols, ", ") + ")\n" +
			"SELECT m.interval_start, m.queue_id, m.channel, " + strings.Join(pivot, ", ") + "\n" +
			"FROM queue_interval_metric m\nWHERE (%s)\nGROUP BY m.interval_start, m.queue_id, m.channel"}
}()

// contactRollups are the rollups of contact_record, connectRollups those
// of queue_interval_metric.
var (
	contactRollups = []rollup{queueRollup, agentRollup}
	connectRollups = []rollup{connectRollup}
)

// sql is the rollup's INSERT with the dialect's integer cast.
func (r rollup) sql(d dialect, cond string) string {
	q := strings.Replace(r.insert, slExpr, fmt.Sprintf(slExpr, d.intCast("value")), 1)
	return fmt.Sprintf(q, cond)
}

// timeRange is a span [lo, hi) of whole 15-minute UTC intervals.
type timeRange struct{ lo, hi time.Time }

// intervalRanges returns the 15-minute UTC intervals of ts (zero times
// ignored) as sorted ranges, adjacent intervals merged.
func intervalRanges(ts []time.Time) []timeRange {
	starts := make([]time.Time, 0, len(ts))
	for _, t := range ts {
		if !t.IsZero() {
			starts = append(starts, report.Floor(t, time.UTC))
		}
	}
	slices.SortFunc(starts, time.Time.Compare)
	starts = slices.Compact(starts)
	var out []timeRange
	for _, s := range starts {
		if n := len(out); n > 0 && out[n-1].hi.Equal(s) {
			out[n-1].hi = report.End(s, time.UTC)
			continue
		}
		out = append(out, timeRange{s, report.End(s, time.UTC)})
	}
	return out
}

// rangesPerStatement keeps a refresh statement's parameters well under
// every dialect's limit.
const rangesPerStatement = 200

// stmt is one statement of a rollup refresh: what it does (for errors),
// its SQL in the dialect's placeholders, and its arguments.
type stmt struct {
	what, query string
	args        []any
}

// stmtRunner runs statements in order in tx and stops at the first error.
// execEach runs them one at a time; on PostgreSQL a batch's statements go
// in one round trip (pgIngest.pipeline).
type stmtRunner func(ctx context.Context, tx *sql.Tx, stmts []stmt) error

func execEach(ctx context.Context, tx *sql.Tx, stmts []stmt) error {
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	return nil
}

// refreshRollups recomputes the intervals of ranges of rollups from their
// sources: per rollup, one DELETE and one INSERT … SELECT per 200 ranges.
func refreshRollups(ctx context.Context, tx *sql.Tx, d dialect, rollups []rollup, ranges []timeRange) error {
	var stmts []stmt
	eachChunk(ranges, d, func(n int, args []any) {
		stmts = refreshChunk(stmts, d, rollups, n, args, "")
	})
	return execEach(ctx, tx, stmts)
}

// refreshChunk appends to stmts the statements recomputing rollups for n
// ranges (args); and, when not empty, is a further condition with one %s
// for the column it restricts (agent_id in the rollup, k.agent_id in the
// source).
func refreshChunk(stmts []stmt, d dialect, rollups []rollup, n int, args []any, and string) []stmt {
	for _, r := range rollups {
		del, src := rangeCond("interval_start", n), rangeCond(r.source, n)
		if and != "" {
			del, src = "("+del+")"+fmt.Sprintf(and, "agent_id"), "("+src+")"+fmt.Sprintf(and, "k.agent_id")
		}
		stmts = append(stmts,
			stmt{"refresh " + r.table + ": delete", d.bind("DELETE FROM " + r.table + " WHERE " + del), args},
			stmt{"refresh " + r.table, d.bind(r.sql(d, src)), args})
	}
	return stmts
}

// touchedCells are the initiation times and agents of the contact
// versions a batch stores or may replace.
type touchedCells struct {
	at     []time.Time
	agents map[string]bool
}

func (tc *touchedCells) add(t time.Time, agent string) {
	tc.at = append(tc.at, t)
	if agent != "" {
		if tc.agents == nil {
			tc.agents = map[string]bool{}
		}
		tc.agents[agent] = true
	}
}

// agentList is the touched agents, sorted.
func (tc *touchedCells) agentList() []string {
	return slices.Sorted(maps.Keys(tc.agents))
}

// agentsPerStatement bounds the agent ids of one statement: the agent
// day difference carries 200 ranges and the agents twice, under SQL
// Server's parameter limit.
const agentsPerStatement = 500

// refreshContactRollups recomputes the contact rollups of ranges: the
// queue rollup for whole intervals, the agent rollup only for agents
// (the other agents' cells hold none of the batch's contacts, old or new,
// so they cannot change), keeping agent_day_rollup by difference
// (rollup_agentday.go). Its statements, a handful for a batch, run
// through w's runner (stmtRunnerOf) in the order they are made; a
// contactRollupWriter makes one statement per chunk of ranges instead.
func refreshContactRollups(ctx context.Context, tx *sql.Tx, d dialect, w ingestWriter, ranges []timeRange, agents []string) error {
	var stmts []stmt
	eachChunk(ranges, d, func(n int, args []any) {
		if cw, ok := w.(contactRollupWriter); ok {
			stmts = append(stmts, cw.contactRollups(n, args, agents))
			return
		}
		stmts = refreshChunk(stmts, d, []rollup{queueRollup}, n, args, "")
		for lo := 0; lo < len(agents); lo += agentsPerStatement {
			stmts = refreshAgents(stmts, d, n, args, agents[lo:min(lo+agentsPerStatement, len(agents))])
		}
	})
	if len(stmts) > 0 && len(agents) > 0 {
		stmts = append(stmts, dropEmptyAgentDays)
	}
	return stmtRunnerOf(w)(ctx, tx, stmts)
}

// contactRollupWriter is an ingestWriter with its own statement for
// refreshContactRollups' chunks (PostgreSQL: rollup_postgres.go).
type contactRollupWriter interface {
	contactRollups(n int, args []any, agents []string) stmt
}

// refreshAgents appends the statements that move agent_day_rollup by the
// difference between the recomputed and the stored agent_interval_rollup
// rows of n ranges (args) and agents, then store the recomputed rows.
func refreshAgents(stmts []stmt, d dialect, n int, args []any, agents []string) []stmt {
	all := slices.Clone(args)
	for _, a := range agents {
		all = append(all, a)
	}
	in := " AND %s IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(agents)), ", ") + ")"
	stmts = append(stmts, addAgentDayDifference(d, n, all, in))
	return refreshChunk(stmts, d, []rollup{agentRollup}, n, all, in)
}

// eachChunk calls f with up to 200 ranges at a time: their number and
// their bounds as arguments (lo, hi, lo, hi, …).
func eachChunk(ranges []timeRange, d dialect, f func(n int, args []any)) {
	for lo := 0; lo < len(ranges); lo += rangesPerStatement {
		chunk := ranges[lo:min(lo+rangesPerStatement, len(ranges))]
		args := make([]any, 0, 2*len(chunk))
		for _, r := range chunk {
			args = append(args, d.arg(r.lo), d.arg(r.hi))
		}
		f(len(chunk), args)
	}
}

// rangeCond is "col in any of n ranges [?, ?)".
func rangeCond(col string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "(" + col + " >= ? AND " + col + " < ?)"
	}
	return strings.Join(parts, " OR ")
}

// rollupSettingSL is the report_setting row holding the service-level
// threshold the rollups were last rebuilt with.
const rollupSettingSL = "rollup_service_level_seconds"

// sourceSpans select the oldest and newest instant each rollup source
// holds, through an index.
var sourceSpans = []struct {
	rollups   []rollup
	agentDays bool // agent_day_rollup is built from these rollups
	query     string
}{
	{contactRollups, true, "SELECT MIN(initiation_timestamp), MAX(initiation_timestamp) FROM contact_record"},
	{connectRollups, false, "SELECT MIN(interval_start), MAX(interval_start) FROM queue_interval_metric"},
}

// RebuildRollups recomputes the rollup tables (queue_interval_rollup,
// agent_interval_rollup, connect_queue_interval_rollup, and
// agent_day_rollup for the days of those intervals) for the 15-minute
// UTC intervals that overlap [from, to), from contact_record and
// queue_interval_metric, in one transaction. A zero from and to rebuild the
// whole span of the stored contacts and metrics. Writes through the store
// keep the rollups themselves; call this after loading either table by
// other means (a bulk load, hand-written SQL). Intervals whose source rows
// were deleted are emptied.
func (s *Store) RebuildRollups(ctx context.Context, from, to time.Time) error {
	return s.inTx(ctx, "rebuild rollups", func(tx *sql.Tx) error {
		return s.rebuildRollups(ctx, tx, from, to)
	})
}

func (s *Store) rebuildRollups(ctx context.Context, tx *sql.Tx, from, to time.Time) error {
	if err := s.dialect.lockRollups(ctx, tx); err != nil {
		return err
	}
	for _, src := range sourceSpans {
		lo, hi := from, to
		if lo.IsZero() && hi.IsZero() {
			if err := tx.QueryRowContext(ctx, src.query).Scan(scanTime{&lo}, scanTime{&hi}); err != nil {
				return fmt.Errorf("span of %s: %w", src.rollups[0].table, err)
			}
			if lo.IsZero() {
				continue
			}
			hi = hi.Add(time.Nanosecond)
		}
		if !lo.Before(hi) {
			continue
		}
		r := []timeRange{{report.Floor(lo, time.UTC), report.Ceil(hi, time.UTC)}}
		if err := refreshRollups(ctx, tx, s.dialect, src.rollups, r); err != nil {
			return err
		}
		if src.agentDays {
			if err := rebuildAgentDays(ctx, tx, s.dialect, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// keepRollupThreshold rebuilds every rollup when the service-level
// threshold they were built with (rollupSettingSL) is not sl, and records
// sl: the first start after migration 00010 fills them this way.
func (s *Store) keepRollupThreshold(ctx context.Context, sl int) error {
	return s.inTx(ctx, "rollups", func(tx *sql.Tx) error {
		if err := s.dialect.lockRollups(ctx, tx); err != nil {
			return err
		}
		var built sql.NullString
		err := tx.QueryRowContext(ctx, s.q("SELECT value FROM report_setting WHERE name = ?"), rollupSettingSL).Scan(&built)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("read %s: %w", rollupSettingSL, err)
		}
		if built.String == strconv.Itoa(sl) {
			return nil
		}
		start := time.Now()
		if err := s.rebuildRollups(ctx, tx, time.Time{}, time.Time{}); err != nil {
			return err
		}
		s.logger().InfoContext(ctx, "rebuilt report rollups", "service_level_seconds", sl,
			"was", built.String, "took", time.Since(start).Round(time.Millisecond))
		u := upsert{table: "report_setting", cols: []string{"name", "value", "updated_at"}, keys: []string{"name"}}
		return u.exec(ctx, tx, s.dialect, [][]any{{rollupSettingSL, strconv.Itoa(sl), s.now().UTC()}})
	})
}
