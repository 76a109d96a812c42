package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// CurrentRoutingProfileQueues returns the current routing_profile_queue
// rows (valid_to NULL), ordered by routing profile, queue and channel. The
// configuration syncer passes the rows of routing profiles that did not
// change back to SyncConfiguration instead of listing their queues again.
func (s *Store) CurrentRoutingProfileQueues(ctx context.Context) ([]connectreporting.RoutingProfileQueue, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT routing_profile_id, queue_id, channel, priority, "+s.dialect.quoteIdent("delay")+
		" FROM routing_profile_queue WHERE valid_to IS NULL ORDER BY routing_profile_id, queue_id, channel")
	if err != nil {
		return nil, fmt.Errorf("read routing profile queues: %w", err)
	}
	defer rows.Close()
	out := []connectreporting.RoutingProfileQueue{}
	for rows.Next() {
		var q connectreporting.RoutingProfileQueue
		var prio, delay sql.NullInt64
		if err := rows.Scan(&q.RoutingProfileID, &q.QueueID, &q.Channel, &prio, &delay); err != nil {
			return nil, fmt.Errorf("read routing profile queues: %w", err)
		}
		q.Priority, q.Delay = int(prio.Int64), int(delay.Int64)
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read routing profile queues: %w", err)
	}
	return out, nil
}
