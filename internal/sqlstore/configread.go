package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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

// userDetailCols are the columns of connect_user_detail, as SaveUserDetails
// writes them.
var userDetailCols = []string{"user_id", "email", "last_modified", "read_at"}

// UserDetails returns every connect_user_detail row: what DescribeUser gave
// of a user, with the user's LastModifiedTime at that read.
func (s *Store) UserDetails(ctx context.Context) ([]connectreporting.UserDetail, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+strings.Join(userDetailCols, ", ")+" FROM connect_user_detail ORDER BY user_id")
	if err != nil {
		return nil, fmt.Errorf("read user details: %w", err)
	}
	defer rows.Close()
	out := []connectreporting.UserDetail{}
	for rows.Next() {
		var d connectreporting.UserDetail
		var email sql.NullString
		if err := rows.Scan(&d.UserID, &email, scanTime{&d.LastModified}, scanTime{&d.ReadAt}); err != nil {
			return nil, fmt.Errorf("read user details: %w", err)
		}
		d.Email = email.String
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read user details: %w", err)
	}
	return out, nil
}

// SaveUserDetails upserts save and deletes the details of the users in
// drop (users no longer listed), in one transaction.
func (s *Store) SaveUserDetails(ctx context.Context, save []connectreporting.UserDetail, drop []string) error {
	return s.inTx(ctx, "save user details", func(tx *sql.Tx) error {
		rows := make([][]any, len(save))
		for i, d := range save {
			rows[i] = []any{d.UserID, d.Email, d.LastModified, d.ReadAt}
		}
		u := upsert{table: "connect_user_detail", cols: userDetailCols, keys: userDetailCols[:1]}
		if err := u.exec(ctx, tx, s.dialect, rows); err != nil {
			return err
		}
		per := s.dialect.maxParams()
		for start := 0; start < len(drop); start += per {
			chunk := drop[start:min(start+per, len(drop))]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			q := "DELETE FROM connect_user_detail WHERE user_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ") + ")"
			if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
				return fmt.Errorf("delete %d user details: %w", len(chunk), err)
			}
		}
		return nil
	})
}
