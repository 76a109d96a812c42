package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

var queueSnapshotCols = []string{"snapshot_time", "queue_id", "channel", "queue_arn",
	"agents_online", "agents_available", "agents_on_contact", "agents_on_call",
	"agents_after_contact_work", "agents_non_productive", "agents_error", "agents_staffed",
	"contacts_in_queue", "contacts_scheduled", "oldest_contact_age_seconds",
	"slots_active", "slots_available"}

func queueSnapshotRow(q *connectreporting.QueueSnapshot) []any {
	return []any{q.SnapshotTime, q.QueueID, connectreporting.NormalizeChannel(q.Channel), q.QueueARN,
		q.AgentsOnline, q.AgentsAvailable, q.AgentsOnContact, q.AgentsOnCall,
		q.AgentsAfterContactWork, q.AgentsNonProductive, q.AgentsError, q.AgentsStaffed,
		q.ContactsInQueue, q.ContactsScheduled, q.OldestContactAgeSeconds,
		q.SlotsActive, q.SlotsAvailable}
}

// StoreQueueSnapshots appends one history row per queue and channel to
// queue_realtime_snapshot and sets queue_realtime_current to the latest
// observation, in one transaction. Storing the same snapshot twice changes
// nothing; an older snapshot never overwrites a newer current row.
func (s *Store) StoreQueueSnapshots(ctx context.Context, snaps []connectreporting.QueueSnapshot) error {
	if len(snaps) == 0 {
		return nil
	}
	rows := make([][]any, len(snaps))
	for i := range snaps {
		if snaps[i].QueueID == "" || snaps[i].SnapshotTime.IsZero() {
			return fmt.Errorf("store queue snapshots: snapshot %d has no queue id or time", i)
		}
		rows[i] = queueSnapshotRow(&snaps[i])
	}
	return s.inTx(ctx, "store queue snapshots", func(tx *sql.Tx) error {
		hist := upsert{table: "queue_realtime_snapshot", cols: queueSnapshotCols, keys: []string{"snapshot_time", "queue_id", "channel"}}
		if err := hist.exec(ctx, tx, s.dialect, lastPerKey(rows, 0, 1, 2)); err != nil {
			return err
		}
		return s.refreshCurrent(ctx, tx, "queue_realtime_current", queueSnapshotCols, []string{"queue_id", "channel"}, latestRows(rows, 0, 1, 2))
	})
}

var agentSnapshotCols = []string{"snapshot_time", "agent_id", "agent_arn", "username", "status_name",
	"status_arn", "status_start_timestamp", "contact_count", "routing_profile_id", "contacts_by_channel"}

// StoreAgentSnapshots appends agent_realtime_snapshot rows and sets
// agent_realtime_current, like StoreQueueSnapshots.
func (s *Store) StoreAgentSnapshots(ctx context.Context, snaps []connectreporting.AgentSnapshot) error {
	if len(snaps) == 0 {
		return nil
	}
	rows := make([][]any, len(snaps))
	for i := range snaps {
		a := &snaps[i]
		if a.AgentID == "" || a.SnapshotTime.IsZero() {
			return fmt.Errorf("store agent snapshots: snapshot %d has no agent id or time", i)
		}
		var byChannel any
		if len(a.ContactsByChannel) > 0 {
			b, err := json.Marshal(a.ContactsByChannel) // map keys sorted: stable text
			if err != nil {
				return fmt.Errorf("store agent snapshots: %w", err)
			}
			byChannel = string(b)
		}
		rows[i] = []any{a.SnapshotTime, a.AgentID, a.AgentARN, a.Username, a.StatusName,
			a.StatusARN, a.StatusStartTimestamp, int64(a.ContactCount), a.RoutingProfileID, byChannel}
	}
	return s.inTx(ctx, "store agent snapshots", func(tx *sql.Tx) error {
		hist := upsert{table: "agent_realtime_snapshot", cols: agentSnapshotCols, keys: []string{"snapshot_time", "agent_id"}}
		if err := hist.exec(ctx, tx, s.dialect, lastPerKey(rows, 0, 1)); err != nil {
			return err
		}
		return s.refreshCurrent(ctx, tx, "agent_realtime_current", agentSnapshotCols, []string{"agent_id"}, latestRows(rows, 0, 1))
	})
}

// rowKey is the key of a row (the values at keyIdx) as the databases
// compare it: times to the microsecond, in UTC.
func rowKey(r []any, keyIdx []int) string {
	var b strings.Builder
	for _, j := range keyIdx {
		if t, ok := r[j].(time.Time); ok {
			b.WriteString(t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano))
		} else {
			fmt.Fprint(&b, r[j])
		}
		b.WriteByte(0)
	}
	return b.String()
}

// lastPerKey keeps the last row of each key (the values at keyIdx), in
// first-seen order: one statement may not write a row twice (SQL Server's
// MERGE fails with Msg 8672, PostgreSQL's ON CONFLICT DO UPDATE "cannot
// affect row a second time").
func lastPerKey(rows [][]any, keyIdx ...int) [][]any {
	at := make(map[string]int, len(rows))
	out := make([][]any, 0, len(rows))
	for _, r := range rows {
		k := rowKey(r, keyIdx)
		if i, dup := at[k]; dup {
			out[i] = r
			continue
		}
		at[k] = len(out)
		out = append(out, r)
	}
	return out
}

// latestRows keeps, per key (the values at keyIdx), the row with the newest
// time at index timeIdx.
func latestRows(rows [][]any, timeIdx int, keyIdx ...int) [][]any {
	best := map[string]int{}
	var order []string
	for i, r := range rows {
		k := rowKey(r, keyIdx)
		b, ok := best[k]
		if !ok {
			best[k] = i
			order = append(order, k)
			continue
		}
		if r[timeIdx].(time.Time).After(rows[b][timeIdx].(time.Time)) {
			best[k] = i
		}
	}
	out := make([][]any, 0, len(order))
	for _, k := range order {
		out = append(out, rows[best[k]])
	}
	return out
}

// refreshCurrent upserts the current table with rows (one per key), except
// where the current row is already as new or newer: snapshot_time only
// moves forward, also when two pollers' writes race.
func (s *Store) refreshCurrent(ctx context.Context, tx *sql.Tx, table string, cols, keys []string, rows [][]any) error {
	u := upsert{table: table, cols: cols, keys: keys, newer: "snapshot_time"}
	return u.exec(ctx, tx, s.dialect, rows)
}

var intervalMetricCols = []string{"queue_id", "channel", "interval_start", "metric_name", "interval_end", "value", "updated_at"}

// intervalRow is one interval metric of either table: id is the queue or
// agent id.
type intervalRow struct {
	id, channel string
	start, end  time.Time
	name        string
	value       float64
}

// storeIntervalRows upserts table on (idCol, channel, interval_start,
// metric_name) in one transaction: a re-pulled interval replaces the value
// (late data corrects it); the same value again changes nothing. Within
// one call the last value of a key wins.
func (s *Store) storeIntervalRows(ctx context.Context, what, table, idCol string, n int, at func(i int) intervalRow) error {
	if n == 0 {
		return nil
	}
	now := s.now().UTC()
	rows := make([][]any, 0, n)
	var sp span
	for i := range n {
		m := at(i)
		sp.add(m.start, m.end)
		if m.id == "" || m.name == "" || m.start.IsZero() || m.end.IsZero() {
			return fmt.Errorf("%s: metric %d lacks %s, name or interval", what, i, idCol)
		}
		rows = append(rows, []any{m.id, connectreporting.NormalizeChannel(m.channel), m.start, m.name, m.end, m.value, now})
	}
	rows = lastPerKey(rows, 0, 1, 2, 3)
	if err := s.coverSpan(ctx, sp); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		if table == "queue_interval_metric" {
			if err := s.dialect.lockRollups(ctx, tx); err != nil {
				return err
			}
		}
		cols := append([]string{idCol}, intervalMetricCols[1:]...)
		u := upsert{table: table, cols: cols, keys: cols[:4]}
		if err := u.exec(ctx, tx, s.dialect, rows); err != nil || table != "queue_interval_metric" {
			return err
		}
		// kpi_connect_queue_interval reads the pivot kept beside (rollup.go).
		starts := make([]time.Time, len(rows))
		for i, r := range rows {
			starts[i] = r[2].(time.Time)
		}
		return refreshRollups(ctx, tx, s.dialect, connectRollups, intervalRanges(starts))
	})
}

// StoreIntervalMetrics upserts queue_interval_metric on (queue_id, channel,
// interval_start, metric_name): a re-pulled interval replaces the value
// (late data corrects it); the same value again changes nothing.
func (s *Store) StoreIntervalMetrics(ctx context.Context, ms []connectreporting.IntervalMetric) error {
	return s.storeIntervalRows(ctx, "store interval metrics", "queue_interval_metric", "queue_id", len(ms), func(i int) intervalRow {
		m := &ms[i]
		return intervalRow{m.QueueID, m.Channel, m.IntervalStart, m.IntervalEnd, m.MetricName, m.Value}
	})
}

// StoreAgentIntervalMetrics upserts agent_interval_metric on (agent_id,
// channel, interval_start, metric_name), like StoreIntervalMetrics.
func (s *Store) StoreAgentIntervalMetrics(ctx context.Context, ms []connectreporting.AgentIntervalMetric) error {
	return s.storeIntervalRows(ctx, "store agent interval metrics", "agent_interval_metric", "agent_id", len(ms), func(i int) intervalRow {
		m := &ms[i]
		return intervalRow{m.AgentID, m.Channel, m.IntervalStart, m.IntervalEnd, m.MetricName, m.Value}
	})
}

// Checkpoint returns the watermark of poller and scope.
func (s *Store) Checkpoint(ctx context.Context, poller, scope string) (connectreporting.Checkpoint, bool, error) {
	cp := connectreporting.Checkpoint{Poller: poller, Scope: scope}
	err := s.db.QueryRowContext(ctx, s.q("SELECT watermark, updated_at FROM poll_checkpoint WHERE poller = ? AND scope = ?"), poller, scope).
		Scan(scanTime{&cp.Watermark}, scanTime{&cp.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return cp, false, nil
	}
	if err != nil {
		return cp, false, fmt.Errorf("read checkpoint %s/%s: %w", poller, scope, err)
	}
	return cp, true, nil
}

// SetCheckpoint sets the watermark of poller and scope.
func (s *Store) SetCheckpoint(ctx context.Context, poller, scope string, watermark time.Time) error {
	return s.inTx(ctx, "set checkpoint "+poller+"/"+scope, func(tx *sql.Tx) error {
		u := upsert{table: "poll_checkpoint", cols: []string{"poller", "scope", "watermark", "updated_at"}, keys: []string{"poller", "scope"}}
		return u.exec(ctx, tx, s.dialect, [][]any{{poller, scope, watermark, s.now().UTC()}})
	})
}

// sequenceAfter compares Kinesis sequence numbers (decimal strings of up to
// 128 digits) numerically.
func sequenceAfter(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}
