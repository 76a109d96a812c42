package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/dbtest"
)

// rollupTables are the tables of migration 00010, each with an order that
// makes its rows comparable.
var rollupTables = []struct{ table, order string }{
	{"queue_interval_rollup", "interval_start, queue_id, channel"},
	{"agent_interval_rollup", "interval_start, agent_id"},
	{"agent_day_rollup", "time_zone, local_date, agent_id"},
	{"connect_queue_interval_rollup", "interval_start, queue_id, channel"},
}

// rollupSnapshot reads every rollup row as text.
func rollupSnapshot(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range rollupTables {
		_, rows := dbtest.Rows(t, s.DB(), "SELECT * FROM "+r.table+" ORDER BY "+r.order)
		for _, row := range rows {
			for i, v := range row {
				if tm, ok := v.(time.Time); ok { // one form whatever the driver
					row[i] = tm.UTC().Format(time.RFC3339)
				}
				if b, ok := v.([]byte); ok {
					row[i] = string(b)
				}
			}
			out[r.table] = append(out[r.table], fmt.Sprint(row...))
		}
	}
	return out
}

// recomputed empties the rollups and rebuilds them from contact_record and
// queue_interval_metric alone.
func recomputed(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	for _, r := range rollupTables {
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM "+r.table); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RebuildRollups(ctx, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return rollupSnapshot(t, s)
}

// TestIntegrationRollupsEqualRecomputation stores contacts and interval
// metrics through the store, with replays, in-batch duplicates,
// out-of-order versions and contacts whose queue, agent and initiation
// interval change, and checks after every step that the rollups equal a
// recomputation from the stored rows (so no interval keeps a contact that
// moved away, and nothing counts twice).
func TestIntegrationRollupsEqualRecomputation(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip(err)
	}
	// 14:00 UTC is 23:00 in Tokyo: moving c1 by 80 minutes moves it to the
	// next Tokyo day.
	base := time.Date(2026, 3, 2, 14, 0, 5, 0, time.UTC)
	i64 := func(v int64) *int64 { return &v }
	contact := func(id string, version int, queue, agent string, init time.Time, queueSecs int64) connectreporting.ContactRecord {
		c := connectreporting.ContactRecord{ContactID: id, Channel: "VOICE", InitiationMethod: "INBOUND", InitiationTimestamp: init,
			QueueID: queue, QueueName: "Queue " + queue, EnqueueTimestamp: init.Add(time.Second), QueueDurationSeconds: i64(queueSecs),
			DisconnectTimestamp: init.Add(10 * time.Minute), LastUpdateTimestamp: init.Add(time.Duration(10+version) * time.Minute),
			Raw: []byte(fmt.Sprintf(`{"ContactId":%q,"v":%d}`, id, version))}
		if agent != "" {
			c.AgentID, c.ConnectedToAgentTimestamp = agent, init.Add(time.Duration(1+queueSecs)*time.Second)
			c.AgentInteractionDurationSeconds, c.CustomerHoldDurationSeconds = i64(100+queueSecs), i64(queueSecs%7)
			c.AfterContactWorkDurationSeconds, c.NumberOfHolds = i64(30), i64(queueSecs%2)
		}
		return c
	}
	metric := func(queue, name string, at time.Time, v float64) connectreporting.IntervalMetric {
		return connectreporting.IntervalMetric{QueueID: queue, Channel: "VOICE", IntervalStart: at, IntervalEnd: at.Add(15 * time.Minute),
			MetricName: name, Value: v}
	}
	c1 := contact("c1", 1, "q1", "a1", base, 12)
	c2 := contact("c2", 1, "q1", "a2", base.Add(3*time.Minute), 25)
	c3 := contact("c3", 1, "q2", "", base.Add(20*time.Minute), 40) // abandoned
	c1moved := contact("c1", 2, "q2", "a3", base.Add(80*time.Minute), 8)
	c2later := contact("c2", 2, "q1", "a2", base.Add(3*time.Minute), 19)
	c3answered := contact("c3", 3, "q2", "a1", base.Add(20*time.Minute), 40)
	iv := base.Truncate(15 * time.Minute)
	// A wide batch: 620 contacts 30 minutes apart (620 ranges: more than
	// three statements' worth, rangesPerStatement) of 620 agents (more
	// than agentsPerStatement), then newer versions of every other one
	// with another agent, 15 minutes later.
	var wide, wideMoved []connectreporting.ContactRecord
	for i := range 620 {
		at := base.Add(48*time.Hour + time.Duration(i)*30*time.Minute)
		wide = append(wide, contact(fmt.Sprintf("w%03d", i), 1, "q1", fmt.Sprintf("wa%03d", i), at, int64(i%50)))
		if i%2 == 0 {
			wideMoved = append(wideMoved, contact(fmt.Sprintf("w%03d", i), 2, "q2", fmt.Sprintf("wb%03d", i), at.Add(15*time.Minute), int64(i%30)))
		}
	}

	type step struct {
		batches [][]connectreporting.ContactRecord
		metrics [][]connectreporting.IntervalMetric
	}
	steps := []struct {
		name string
		step
	}{
		{"first delivery", step{batches: [][]connectreporting.ContactRecord{{c1, c2, c3}}}},
		{"replay", step{batches: [][]connectreporting.ContactRecord{{c1, c2, c3}, {c3, c2}}}},
		{"duplicates and an older version in one batch", step{batches: [][]connectreporting.ContactRecord{{c2later, c2, c2later, c1}}}},
		{"contact moves queue, agent and interval", step{batches: [][]connectreporting.ContactRecord{{c1moved}}}},
		{"older version after the move changes nothing", step{batches: [][]connectreporting.ContactRecord{{c1, c2}}}},
		{"abandoned contact later answered", step{batches: [][]connectreporting.ContactRecord{{c3answered}, {c3}}}},
		{"interval metrics stored, re-pulled and corrected", step{metrics: [][]connectreporting.IntervalMetric{
			{metric("q1", "CONTACTS_QUEUED", iv, 2), metric("q1", "SUM_HANDLE_TIME", iv, 300), metric("q2", "CONTACTS_QUEUED", iv.Add(time.Hour), 1)},
			{metric("q1", "CONTACTS_QUEUED", iv, 3), metric("q1", "MAX_QUEUED_TIME", iv, 25)},
		}}},
	}
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			// Two zones whose days cut the intervals differently.
			dsn := testDSN(t, dialect)
			s := openStoreDSN(t, dsn, Options{TimeZones: []*time.Location{time.UTC, tokyo}})
			for _, st := range steps {
				for _, b := range st.batches {
					if _, err := s.StoreBatch(ctx, connectreporting.Batch{ContactRecords: b}); err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
				}
				for _, ms := range st.metrics {
					if err := s.StoreIntervalMetrics(ctx, ms); err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
				}
				kept := rollupSnapshot(t, s)
				if want := recomputed(t, s); !equalSnapshots(kept, want) {
					t.Fatalf("%s: rollups kept at ingest differ from a recomputation\nkept: %v\nwant: %v", st.name, kept, want)
				}
			}
			// The end state, by hand: c1 left 10:00 for q2 at 11:15, c2's
			// newer version answered in 19 s, c3 answered by a1.
			checkScalars(t, s, "SELECT COUNT(*), SUM(contacts_queued), SUM(contacts_answered), SUM(answered_within_sl), SUM(contacts_abandoned) FROM queue_interval_rollup", 3, 3, 3, 2, 0)
			checkScalars(t, s, "SELECT contacts_queued, max_queue_seconds FROM queue_interval_rollup WHERE queue_id = 'q1'", 1, 19)
			checkScalars(t, s, "SELECT COUNT(*), SUM(contacts_handled) FROM agent_interval_rollup WHERE agent_id = 'a1'", 1, 1)
			checkScalars(t, s, "SELECT COUNT(*), SUM(contacts_handled) FROM agent_day_rollup", 6, 6)
			checkScalars(t, s, "SELECT COUNT(*) FROM agent_day_rollup WHERE agent_id = 'a3' AND time_zone = 'Asia/Tokyo' AND local_date = '2026-03-03'", 1)
			checkScalars(t, s, "SELECT contacts_queued, handle_seconds, max_queue_seconds FROM connect_queue_interval_rollup WHERE queue_id = 'q1'", 3, 300, 25)
			// A start with another threshold rebuilds the rollups at it: of
			// the answered 19 s, 8 s and 40 s, one is within 10 s.
			s = openStoreDSN(t, dsn, Options{TimeZones: []*time.Location{time.UTC, tokyo}, ServiceLevelSeconds: 10})
			checkScalars(t, s, "SELECT MIN(sl_threshold_seconds), MAX(sl_threshold_seconds), SUM(answered_within_sl) FROM queue_interval_rollup", 10, 10, 1)
			if kept, want := rollupSnapshot(t, s), recomputed(t, s); !equalSnapshots(kept, want) {
				t.Fatalf("after the threshold changed: kept %v, want %v", kept, want)
			}
			for _, b := range [][]connectreporting.ContactRecord{wide, wideMoved} {
				if _, err := s.StoreBatch(ctx, connectreporting.Batch{ContactRecords: b}); err != nil {
					t.Fatal(err)
				}
				if kept, want := rollupSnapshot(t, s), recomputed(t, s); !equalSnapshots(kept, want) {
					t.Fatalf("wide batch of %d contacts: rollups kept at ingest differ from a recomputation", len(b))
				}
			}
			checkScalars(t, s, "SELECT COUNT(DISTINCT agent_id), SUM(contacts_handled) FROM agent_day_rollup WHERE agent_id LIKE 'w%'", 620, 1240) // two zones
		})
	}
}

func equalSnapshots(a, b map[string][]string) bool {
	for _, r := range rollupTables {
		if !slices.Equal(a[r.table], b[r.table]) {
			return false
		}
	}
	return true
}

// TestPGContactWritersTakeTurns: three writers store contact batches of
// the same intervals and agents at once, each contact delivered by two of
// them in two versions; the rollups' lock (taken with the read of the
// stored versions, lockAndProbe) makes them take turns, so every batch
// succeeds and the rollups equal their recomputation.
func TestPGContactWritersTakeTurns(t *testing.T) {
	first, dsn := openIngestStorePG(t, Options{})
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	writers := make([][]connectreporting.Batch, 3)
	for w := range writers {
		for b := range 8 {
			var crs []connectreporting.ContactRecord
			for i := range 40 {
				id := fmt.Sprintf("c-%d-%02d", (w+b)%4, i) // shared by writers w and w±1 in turn
				at := base.Add(time.Duration(i*37+w*60) * time.Second)
				crs = append(crs, contactRecord(id, at, fmt.Sprintf("a%d", (i+w)%7), map[string]string{"w": fmt.Sprint(w)}))
			}
			writers[w] = append(writers[w], connectreporting.Batch{ContactRecords: crs})
		}
	}
	storeConcurrently(t, dsn, Options{}, writers...)
	if kept, want := rollupSnapshot(t, first), recomputed(t, first); !equalSnapshots(kept, want) {
		t.Fatalf("rollups kept by concurrent writers differ from a recomputation\nkept: %v\nwant: %v", kept, want)
	}
	checkScalars(t, first, "SELECT COUNT(*) FROM contact_record", 160)
}

// TestPGRollupsKeepUnchangedCells: a batch recomputes every queue cell of
// the intervals it touches; the cells whose figures stay the same (here
// q1's, beside q2's changed contact) are not written again (their row
// stays where it was), the changed one is, and the rollups equal their
// recomputation.
// TestPGContactRollupPlan holds the contact rollup statement's plan to
// what keeps it cheap: the deletes of cells no contact holds any more look
// the recomputed cells up by hash (planned from the CTE's guessed size, a
// NOT EXISTS was a nested loop reading every recomputed cell for each
// stored one: 13 ms of a realistic batch), the contacts of the touched
// intervals are kept with only the columns the rollups read, and
// report_interval can be read by the touched intervals' range (the join
// on interval_start alone read all of it: 8,736 rows at 90 days).
func TestPGContactRollupPlan(t *testing.T) {
	s, _ := openIngestStorePG(t, Options{})
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 1, 0, 0, time.UTC)
	var b connectreporting.Batch
	for i := range 40 {
		b.ContactRecords = append(b.ContactRecords, contactRecord(fmt.Sprintf("c-%d", i), at.Add(time.Duration(i)*time.Minute), fmt.Sprintf("a%d", i%8), nil))
	}
	if _, err := s.StoreBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	ranges := intervalRanges([]time.Time{at.Add(-10 * time.Minute), at.Add(30 * time.Minute)})
	var args []any
	eachChunk(ranges, postgresDialect{}, func(n int, a []any) { args = a })
	st := pgIngest{}.contactRollups(len(ranges), args, []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"})
	plan := explain(t, s, "", "EXPLAIN (VERBOSE) "+st.query, st.args...)
	if n := hashedNotIn(plan); n != 2 {
		t.Errorf("%d deletes look the recomputed cells up by hash, want 2:\n%s", n, plan)
	}
	_, cte, _ := strings.Cut(plan, "CTE k\n")
	if out, _, _ := strings.Cut(cte, "\n  CTE "); !strings.Contains(out, "Output:") || strings.Contains(out, "disconnect_reason") {
		t.Errorf("CTE k keeps columns the rollups do not read:\n%s", out)
	}
	// A test's report_interval is small enough to scan; what matters is
	// that an index can find the range, as it does at 90 days.
	plan = explain(t, s, "SET LOCAL enable_seqscan = off", "EXPLAIN "+st.query, st.args...)
	if !indexedRange(plan, "report_interval_start_idx", "interval_start") {
		t.Errorf("report_interval is not read by the touched intervals' range:\n%s", plan)
	}
}

// hashedNotIn counts the filters of plan that look keys up in a hashed
// subplan: "NOT (hashed SubPlan 4)" up to PostgreSQL 16, "NOT (ANY
// ((o.k = (hashed SubPlan 4).col1) …))" from 17.
func hashedNotIn(plan string) int {
	n := 0
	for _, l := range strings.Split(plan, "\n") {
		if strings.Contains(l, "Filter: (NOT (") && strings.Contains(l, "hashed SubPlan") {
			n++
		}
	}
	return n
}

// indexedRange tells whether plan reads index by a range of col (an Index
// Cond right under the index's scan).
func indexedRange(plan, index, col string) bool {
	lines := strings.Split(plan, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if strings.Contains(lines[i], " "+index+" ") && strings.Contains(lines[i+1], "Index Cond: (("+col+" >= ") {
			return true
		}
	}
	return false
}

// TestPGContactRollupStatementKept: the statement for n ranges is made
// once (0.14 ms and 46 KB a batch when it was made at each) and is the
// statement for n.
func TestPGContactRollupStatementKept(t *testing.T) {
	w := pgIngest{}
	for n := 1; n <= 3; n++ {
		for range 2 {
			if got := w.contactRollups(n, nil, nil).query; got != pgContactRollupSQL(n) {
				t.Fatalf("statement for %d ranges differs from pgContactRollupSQL(%d)", n, n)
			}
		}
	}
	if a := testing.AllocsPerRun(20, func() { w.contactRollups(2, []any{1, 2, 3, 4}, nil) }); a > 5 {
		t.Errorf("%.0f allocations to give the statement, want it kept", a)
	}
}

// explain returns the plan q has (EXPLAIN …), in a transaction rolled
// back, after set (a SET LOCAL, or "").
func explain(t *testing.T, s *Store, set, q string, args ...any) string {
	t.Helper()
	tx, err := s.DB().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if set != "" {
		if _, err := tx.Exec(set); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := tx.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

func TestPGRollupsKeepUnchangedCells(t *testing.T) {
	s, _ := openIngestStorePG(t, Options{})
	at := time.Date(2026, 3, 2, 9, 1, 0, 0, time.UTC)
	c1 := contactRecord("c-1", at, "a1", nil)
	c2 := contactRecord("c-2", at.Add(time.Minute), "a2", nil)
	c2.QueueID, c2.QueueName = "q2", "Q2"
	c2newer := c2
	c2newer.LastUpdateTimestamp = c2.LastUpdateTimestamp.Add(time.Minute)
	c2newer.QueueDurationSeconds = new(int64)
	const q = "SELECT queue_id, ctid::text FROM queue_interval_rollup"
	for i, b := range [][]connectreporting.ContactRecord{{c1, c2}, {c2newer}} {
		before := rowIDs(t, s, q)
		if _, err := s.StoreBatch(context.Background(), connectreporting.Batch{ContactRecords: b}); err != nil {
			t.Fatal(err)
		}
		after := rowIDs(t, s, q)
		if i == 1 && (after["q-sales"] != before["q-sales"] || after["q2"] == before["q2"]) {
			t.Errorf("queue cells moved from %v to %v: want q-sales's kept, q2's written", before, after)
		}
	}
	if kept, want := rollupSnapshot(t, s), recomputed(t, s); !equalSnapshots(kept, want) {
		t.Fatalf("rollups differ from a recomputation\nkept: %v\nwant: %v", kept, want)
	}
}
