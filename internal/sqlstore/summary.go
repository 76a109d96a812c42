package sqlstore

import (
	"context"
	"fmt"
)

// Summary is a handful of counts of what the store holds, for a live status
// line (the demo's).
type Summary struct {
	AgentsOn        int64 // agents whose current status is not offline
	InQueue         int64 // contacts waiting, by the newest real-time snapshots
	QueueSnapshots  int64 // queue_realtime_snapshot rows
	IntervalMetrics int64 // queue_interval_metric rows
	Users           int64 // current connect_user rows
}

// Summary counts what the store holds. It is portable SQL.
func (s *Store) Summary(ctx context.Context) (Summary, error) {
	var sum Summary
	for _, q := range []struct {
		into *int64
		sql  string
	}{
		{&sum.AgentsOn, "SELECT COUNT(*) FROM agent_state WHERE status_type IS NOT NULL AND status_type <> 'OFFLINE'"},
		{&sum.InQueue, "SELECT COALESCE(SUM(contacts_in_queue), 0) FROM queue_realtime_current"},
		{&sum.QueueSnapshots, "SELECT COUNT(*) FROM queue_realtime_snapshot"},
		{&sum.IntervalMetrics, "SELECT COUNT(*) FROM queue_interval_metric"},
		{&sum.Users, "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL"},
	} {
		var n float64 // SUM of a float column on some dialects
		if err := s.db.QueryRowContext(ctx, q.sql).Scan(&n); err != nil {
			return sum, fmt.Errorf("summary: %w", err)
		}
		*q.into = int64(n)
	}
	return sum, nil
}
