package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/clock"
)

// MaintainOptions says what Store.Maintain drops. Zero days keep everything.
type MaintainOptions struct {
	// RawDays > 0 sets raw to NULL on agent events and contact records
	// older than that many days (event_timestamp / last_update_timestamp):
	// every column reports read stays; only the original JSON goes. On
	// PostgreSQL the agent_event_part rows no raw names any more go too
	// (after KeepDays as well; see deleteParts).
	RawDays int
	// KeepDays > 0 deletes stream rows and real-time snapshots older than
	// that many days (see retentionTables). Interval metrics, agent status
	// intervals, configuration history and report_interval are kept.
	KeepDays int
	// Now is the clock the ages are measured from (default the store's).
	Now time.Time
}

// MaintainResult is what Store.Maintain did.
type MaintainResult struct {
	RawCleared map[string]int64 // table -> rows whose raw was set to NULL
	Deleted    map[string]int64 // table -> rows deleted
	Index      []string         // the maintenance statements run (VACUUM, REINDEX, ALTER INDEX…)
}

// rawTables are the tables whose raw column RawDays clears, with the
// timestamp that dates a row.
var rawTables = []struct{ table, at string }{
	{"agent_event", "event_timestamp"},
	{"contact_record", "last_update_timestamp"},
}

// retentionTables are the tables KeepDays deletes from, in this order
// (contact attributes before their contact record), with the condition on
// the cutoff (one ? placeholder).
var retentionTables = []struct{ table, where string }{
	{"contact_attribute", "contact_id IN (SELECT contact_id FROM contact_record WHERE last_update_timestamp < ?)"},
	{"contact_record", "last_update_timestamp < ?"},
	{"agent_event", "event_timestamp < ?"},
	{"queue_realtime_snapshot", "snapshot_time < ?"},
	{"agent_realtime_snapshot", "snapshot_time < ?"},
	{"rejected_record", "received_at < ?"},
}

// maintainedTables are the big tables whose indexes and statistics the
// index maintenance looks after.
var maintainedTables = []string{"agent_event", "contact_record", "contact_attribute", "agent_status_interval",
	"queue_realtime_snapshot", "agent_realtime_snapshot", "queue_interval_metric", "agent_interval_metric"}

// pgMaintainedTables are maintainedTables and those only PostgreSQL has.
var pgMaintainedTables = append(slices.Clone(maintainedTables), "agent_event_part")

// Maintain applies the retention settings, then maintains indexes and
// statistics the way the dialect needs (see maintainIndexes): what the
// earlier deployment left to the operator. It is safe to run while data
// arrives, and again at any time.
func (s *Store) Maintain(ctx context.Context, o MaintainOptions) (MaintainResult, error) {
	res := MaintainResult{RawCleared: map[string]int64{}, Deleted: map[string]int64{}}
	now := o.Now
	if now.IsZero() {
		now = s.now()
	}
	if o.RawDays < 0 || o.KeepDays < 0 {
		return res, fmt.Errorf("maintain: negative retention (raw %d days, keep %d days)", o.RawDays, o.KeepDays)
	}
	var partCutoff time.Time // agent events older than this have no raw left
	if o.RawDays > 0 {
		partCutoff = now.UTC().AddDate(0, 0, -o.RawDays)
		cutoff := s.dialect.arg(partCutoff)
		for _, t := range rawTables {
			n, err := s.execCount(ctx, "UPDATE "+t.table+" SET "+s.clearRawSet(t.table)+" WHERE "+t.at+" < ? AND raw IS NOT NULL", cutoff)
			if err != nil {
				return res, fmt.Errorf("maintain: clear raw of %s: %w", t.table, err)
			}
			res.RawCleared[t.table] = n
		}
	}
	if o.KeepDays > 0 {
		keep := now.UTC().AddDate(0, 0, -o.KeepDays)
		if err := s.deleteOld(ctx, keep, res.Deleted); err != nil {
			return res, err
		}
		partCutoff = clock.Later(partCutoff, keep)
	}
	if err := s.deleteParts(ctx, partCutoff, res.Deleted); err != nil {
		return res, err
	}
	var err error
	res.Index, err = s.dialect.maintainIndexes(ctx, s)
	return res, err
}

// deleteOld deletes the rows older than cutoff, in one transaction.
func (s *Store) deleteOld(ctx context.Context, cutoff time.Time, deleted map[string]int64) error {
	return s.inTx(ctx, "maintain: delete old rows", func(tx *sql.Tx) error {
		for _, t := range retentionTables {
			n, err := s.execCountOn(ctx, tx, "DELETE FROM "+t.table+" WHERE "+t.where, s.dialect.arg(cutoff))
			if err != nil {
				return fmt.Errorf("%s: %w", t.table, err)
			}
			deleted[t.table] = n
		}
		return nil
	})
}

// clearRawSet is the SET clause clearing raw of table: on PostgreSQL
// agent_event also forgets the parts its raw named (agent_event_part).
func (s *Store) clearRawSet(table string) string {
	set := "raw = NULL"
	if table == "agent_event" && s.dialect.String() == DialectPostgres {
		for _, c := range pgPartCols {
			set += ", " + c + " = NULL"
		}
	}
	return set
}

// deleteParts deletes the agent_event_part rows (PostgreSQL) that no agent
// event with raw names any more, when agent events older than cutoff have
// no raw left (zero cutoff: nothing is deleted). A part's
// last_event_timestamp is its newest event truncated to the UTC day
// (partDay), so its events are all older than a day after it. An event
// delivered again after its raw was cleared names its parts anew.
func (s *Store) deleteParts(ctx context.Context, cutoff time.Time, deleted map[string]int64) error {
	if cutoff.IsZero() || s.dialect.String() != DialectPostgres {
		return nil
	}
	n, err := s.execCount(ctx, "DELETE FROM agent_event_part WHERE last_event_timestamp <= ?", s.dialect.arg(cutoff.Add(-partDay)))
	if err != nil {
		return fmt.Errorf("maintain: delete agent event parts: %w", err)
	}
	deleted["agent_event_part"] = n
	s.parts.forget()
	return nil
}

// Thresholds of the index maintenance.
var (
	// pgReindexMinBytes: smaller PostgreSQL indexes are never rebuilt.
	pgReindexMinBytes int64 = 8 << 20
	// pgBloatFactor: an index this many times larger than its rows need is
	// rebuilt (REINDEX CONCURRENTLY, which does not block writers).
	pgBloatFactor = 2.0
	// sqliteVacuumFreeRatio: a SQLite file with this share of free pages
	// is vacuumed (when it is not in incremental auto-vacuum mode).
	sqliteVacuumFreeRatio = 0.25
)

// pgBloatedIndexesSQL lists the indexes of the maintained tables larger
// than pgBloatFactor times an estimate of what their rows need (tuples x
// (16 bytes of tuple header and item pointer + the key columns' average
// width from pg_stats) / 90% fill factor) and at least pgReindexMinBytes.
const pgBloatedIndexesSQL = `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(st.avg_width), 0) AS width
    FROM unnest(i.indkey::int2[]) AS k(attnum)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = t.relname AND st.attname = a.attname
) w
WHERE n.nspname = current_schema() AND t.relname = ANY($1) AND i.indisvalid AND c.reltuples >= 0
    AND pg_relation_size(c.oid) >= $2
    AND pg_relation_size(c.oid) > $3 * GREATEST(c.reltuples, 1) * (16 + w.width) / 0.9
ORDER BY 1`

// maintainPostgres vacuums and analyzes the big tables (autovacuum may lag
// behind bulk loads and the retention's deletes), then rebuilds the
// bloated indexes concurrently.
func (s *Store) maintainPostgres(ctx context.Context) ([]string, error) {
	var ran []string
	exec := func(q string) error {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("maintain: %s: %w", q, err)
		}
		ran = append(ran, q)
		return nil
	}
	if err := exec("VACUUM (ANALYZE) " + strings.Join(pgMaintainedTables, ", ")); err != nil {
		return ran, err
	}
	var bloated []string
	err := s.each(ctx, pgBloatedIndexesSQL, []any{pgMaintainedTables, pgReindexMinBytes, pgBloatFactor}, func(r *sql.Rows) error {
		var name string
		err := r.Scan(&name)
		bloated = append(bloated, name)
		return err
	})
	if err != nil {
		return ran, fmt.Errorf("maintain: find bloated indexes: %w", err)
	}
	for _, ix := range bloated {
		if err := exec("REINDEX INDEX CONCURRENTLY " + ix); err != nil {
			return ran, err
		}
	}
	return ran, nil
}

// maintainSQLite gives free pages back (incrementally when the file is in
// incremental auto-vacuum mode, else by VACUUM when a quarter of it is
// free) and refreshes the planner's statistics (PRAGMA optimize).
func (s *Store) maintainSQLite(ctx context.Context) ([]string, error) {
	var mode, free, pages int64
	for q, dst := range map[string]*int64{"PRAGMA auto_vacuum": &mode, "PRAGMA freelist_count": &free, "PRAGMA page_count": &pages} {
		if err := s.db.QueryRowContext(ctx, q).Scan(dst); err != nil {
			return nil, fmt.Errorf("maintain: %s: %w", q, err)
		}
	}
	var todo []string
	switch {
	case mode == 2: // INCREMENTAL
		todo = append(todo, "PRAGMA incremental_vacuum")
	case pages > 0 && float64(free)/float64(pages) >= sqliteVacuumFreeRatio:
		todo = append(todo, "VACUUM")
	}
	todo = append(todo, "PRAGMA optimize")
	for i, q := range todo {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return todo[:i], fmt.Errorf("maintain: %s: %w", q, err)
		}
	}
	return todo, nil
}

// mssqlMaintainSQL reorganizes the maintained tables' indexes fragmented
// 5-30% and rebuilds those fragmented more (the thresholds Microsoft's
// documentation suggests; indexes under 1,000 pages are left alone), then
// updates their statistics. It returns the statements it ran, one a line.
func mssqlMaintainSQL() string {
	quoted := make([]string, len(maintainedTables))
	for i, t := range maintainedTables {
		quoted[i] = "N'" + t + "'"
	}
	names := strings.Join(quoted, ", ")
	return `SET NOCOUNT ON;
DECLARE @sql nvarchar(max) = N'';
SELECT @sql = @sql + N'ALTER INDEX ' + QUOTENAME(i.name) + N' ON ' + QUOTENAME(SCHEMA_NAME(o.schema_id)) + N'.' + QUOTENAME(o.name)
	+ CASE WHEN s.avg_fragmentation_in_percent > 30 THEN N' REBUILD;' ELSE N' REORGANIZE;' END + NCHAR(10)
FROM sys.dm_db_index_physical_stats(DB_ID(), NULL, NULL, NULL, 'LIMITED') s
JOIN sys.indexes i ON i.object_id = s.object_id AND i.index_id = s.index_id
JOIN sys.objects o ON o.object_id = s.object_id
WHERE o.type = 'U' AND o.name IN (` + names + `) AND i.name IS NOT NULL
	AND s.alloc_unit_type_desc = 'IN_ROW_DATA' AND s.page_count >= 1000 AND s.avg_fragmentation_in_percent >= 5;
SELECT @sql = @sql + N'UPDATE STATISTICS ' + QUOTENAME(SCHEMA_NAME(o.schema_id)) + N'.' + QUOTENAME(o.name) + N';' + NCHAR(10)
FROM sys.objects o WHERE o.type = 'U' AND o.name IN (` + names + `);
EXEC sys.sp_executesql @sql;
SELECT @sql;`
}

func (s *Store) maintainSQLServer(ctx context.Context) ([]string, error) {
	var ran string
	if err := s.db.QueryRowContext(ctx, mssqlMaintainSQL()).Scan(&ran); err != nil {
		return nil, fmt.Errorf("maintain: index maintenance: %w", err)
	}
	var out []string
	for _, line := range strings.Split(ran, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out, nil
}

// Lines describes the result for people and logs: the rows of each table
// whose raw was cleared, the rows deleted, then each maintenance statement.
func (r MaintainResult) Lines() []string {
	var out []string
	counts := func(label string, m map[string]int64, tables []string) {
		if len(m) == 0 {
			return
		}
		parts := make([]string, 0, len(tables))
		for _, t := range tables {
			if n, ok := m[t]; ok {
				parts = append(parts, fmt.Sprintf("%s %d", t, n))
			}
		}
		out = append(out, label+": "+strings.Join(parts, ", "))
	}
	raw := make([]string, len(rawTables))
	for i, t := range rawTables {
		raw[i] = t.table
	}
	del := make([]string, len(retentionTables))
	for i, t := range retentionTables {
		del[i] = t.table
	}
	del = append(del, "agent_event_part")
	counts("raw cleared", r.RawCleared, raw)
	counts("deleted", r.Deleted, del)
	for _, q := range r.Index {
		out = append(out, "ran: "+q)
	}
	return out
}
