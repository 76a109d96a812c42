package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

var (
	_ connectreporting.LeaseStore            = (*Store)(nil)
	_ connectreporting.StreamCheckpointStore = (*Store)(nil)
)

// The statements of the shard leases (stream_lease), written with ?
// placeholders for every dialect (Store.q rewrites them). Each changes one
// row by its key, so no statement waits on more than one row lock.
const (
	leaseSelectSQL = "SELECT stream_name, shard_id, lease_owner, lease_counter, sequence_number, updated_at FROM stream_lease WHERE stream_name = ? ORDER BY shard_id"
	// leaseTakeSQL: compare and set on the counter the taker observed.
	leaseTakeSQL = "UPDATE stream_lease SET lease_owner = ?, lease_counter = lease_counter + 1, updated_at = ? " +
		"WHERE stream_name = ? AND shard_id = ? AND lease_counter = ? AND sequence_number <> 'SHARD_END'"
	leaseRenewSQL   = "UPDATE stream_lease SET lease_counter = lease_counter + 1, updated_at = ? WHERE stream_name = ? AND shard_id = ? AND lease_owner = ?"
	leaseReleaseSQL = "UPDATE stream_lease SET lease_owner = NULL, lease_counter = lease_counter + 1, updated_at = ? WHERE stream_name = ? AND shard_id = ? AND lease_owner = ?"
	leaseFinishSQL  = "UPDATE stream_lease SET lease_owner = NULL, lease_counter = lease_counter + 1, sequence_number = 'SHARD_END', updated_at = ? " +
		"WHERE stream_name = ? AND shard_id = ? AND lease_owner = ?"
	// leaseCheckpointSQL is the fence of a batch's transaction: the
	// checkpoint moves only while the writer holds the lease.
	leaseCheckpointSQL = "UPDATE stream_lease SET sequence_number = ?, updated_at = ? WHERE stream_name = ? AND shard_id = ? AND lease_owner = ?"
)

// leaseInsert adds free leases, keeping those that exist.
var leaseInsert = upsert{table: "stream_lease", cols: []string{"stream_name", "shard_id", "lease_counter", "sequence_number", "updated_at"},
	keys: []string{"stream_name", "shard_id"}, ignore: true}

// leaseStatements are the lease statements by name, for the golden test of
// each dialect's rendering.
var leaseStatements = map[string]string{
	"select": leaseSelectSQL, "take": leaseTakeSQL, "renew": leaseRenewSQL,
	"release": leaseReleaseSQL, "finish": leaseFinishSQL, "checkpoint": leaseCheckpointSQL,
}

// Leases returns every lease of a stream, by shard id.
func (s *Store) Leases(ctx context.Context, stream string) ([]connectreporting.ShardLease, error) {
	var out []connectreporting.ShardLease
	err := s.each(ctx, leaseSelectSQL, []any{stream}, func(r *sql.Rows) error {
		var l connectreporting.ShardLease
		var owner sql.NullString
		if err := r.Scan(&l.Stream, &l.ShardID, &owner, &l.Counter, &l.Checkpoint, scanTime{&l.UpdatedAt}); err != nil {
			return err
		}
		l.Owner = owner.String
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read leases of %s: %w", stream, err)
	}
	return out, nil
}

// CreateLeases adds the free leases not there yet with their initial
// checkpoints; existing leases are left as they are.
func (s *Store) CreateLeases(ctx context.Context, leases []connectreporting.ShardLease) error {
	if len(leases) == 0 {
		return nil
	}
	now := s.now().UTC()
	rows := make([][]any, len(leases))
	for i, l := range leases {
		if l.Checkpoint == "" {
			return fmt.Errorf("create lease %s/%s: no initial checkpoint", l.Stream, l.ShardID)
		}
		rows[i] = []any{l.Stream, l.ShardID, int64(0), l.Checkpoint, now}
	}
	return s.inTx(ctx, "create leases", func(tx *sql.Tx) error {
		return leaseInsert.exec(ctx, tx, s.dialect, rows)
	})
}

// TakeLease makes owner the holder of l if its counter is still l.Counter.
func (s *Store) TakeLease(ctx context.Context, l connectreporting.ShardLease, owner string) (bool, error) {
	n, err := s.execCount(ctx, leaseTakeSQL, owner, s.dialect.arg(s.now().UTC()), l.Stream, l.ShardID, l.Counter)
	if err != nil {
		return false, fmt.Errorf("take lease %s/%s: %w", l.Stream, l.ShardID, err)
	}
	return n == 1, nil
}

// RenewLease increments the counter of a lease owner holds.
func (s *Store) RenewLease(ctx context.Context, stream, shardID, owner string) (bool, error) {
	n, err := s.execCount(ctx, leaseRenewSQL, s.dialect.arg(s.now().UTC()), stream, shardID, owner)
	if err != nil {
		return false, fmt.Errorf("renew lease %s/%s: %w", stream, shardID, err)
	}
	return n == 1, nil
}

// ReleaseLease frees a lease owner holds.
func (s *Store) ReleaseLease(ctx context.Context, stream, shardID, owner string) error {
	if _, err := s.execCount(ctx, leaseReleaseSQL, s.dialect.arg(s.now().UTC()), stream, shardID, owner); err != nil {
		return fmt.Errorf("release lease %s/%s: %w", stream, shardID, err)
	}
	return nil
}

// FinishShard marks a shard read to its end and frees its lease.
func (s *Store) FinishShard(ctx context.Context, stream, shardID, owner string) error {
	n, err := s.execCount(ctx, leaseFinishSQL, s.dialect.arg(s.now().UTC()), stream, shardID, owner)
	if err != nil {
		return fmt.Errorf("finish shard %s/%s: %w", stream, shardID, err)
	}
	if n != 1 {
		return fmt.Errorf("finish shard %s/%s as %s: %w", stream, shardID, owner, connectreporting.ErrLeaseLost)
	}
	return nil
}

// checkpointInTx is the fence of a batch: it moves the checkpoint inside
// the batch's transaction only while cp.Owner holds the lease.
func (s *Store) checkpointInTx(ctx context.Context, tx *sql.Tx, cp connectreporting.ShardCheckpoint) error {
	if cp.SequenceNumber == "" || cp.Owner == "" {
		return fmt.Errorf("checkpoint %s/%s: no sequence number or owner", cp.Stream, cp.ShardID)
	}
	r, err := tx.ExecContext(ctx, s.countQ(leaseCheckpointSQL), cp.SequenceNumber, s.dialect.arg(s.now().UTC()), cp.Stream, cp.ShardID, cp.Owner)
	if err != nil {
		return fmt.Errorf("checkpoint %s/%s: %w", cp.Stream, cp.ShardID, err)
	}
	if n, err := r.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("checkpoint %s/%s at %s as %s: %w", cp.Stream, cp.ShardID, cp.SequenceNumber, cp.Owner, connectreporting.ErrLeaseLost)
	}
	return nil
}

// countQ is s.q for a statement whose row count decides: on SQL Server it
// first turns NOCOUNT off, so the count is reported whatever a batch before
// it on the connection set.
func (s *Store) countQ(query string) string {
	return s.dialect.rowCountPrefix() + s.q(query)
}

func (s *Store) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	return s.execCountOn(ctx, s.db, query, args...)
}

// execer is what runs a statement: the store's *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// execCountOn is execCount on db or inside a transaction.
func (s *Store) execCountOn(ctx context.Context, db execer, query string, args ...any) (int64, error) {
	r, err := db.ExecContext(ctx, s.countQ(query), args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// StreamCheckpoint returns the sequence number of the last record stored
// from a shard; ok is false when the shard has none (no lease, or not read
// yet, or read to its end: see Leases).
func (s *Store) StreamCheckpoint(ctx context.Context, stream, shardID string) (string, bool, error) {
	var seq string
	err := s.db.QueryRowContext(ctx, s.q("SELECT sequence_number FROM stream_lease WHERE stream_name = ? AND shard_id = ?"), stream, shardID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) || isPosition(seq) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read stream checkpoint %s/%s: %w", stream, shardID, err)
	}
	return seq, true, nil
}

// SetStreamCheckpoint moves a shard's checkpoint forward to seq whoever
// holds its lease, creating a free lease if there is none (an operator's
// tool; consumers checkpoint with their batches). Kinesis sequence numbers
// only grow within a shard, so an older one never moves the checkpoint
// back.
func (s *Store) SetStreamCheckpoint(ctx context.Context, stream, shardID, seq string) error {
	if seq == "" || isPosition(seq) {
		return fmt.Errorf("set stream checkpoint %s/%s: %q is not a sequence number", stream, shardID, seq)
	}
	return s.inTx(ctx, "set stream checkpoint "+stream+"/"+shardID, func(tx *sql.Tx) error {
		var cur string
		// On SQL Server the read holds the key (present or not) until the
		// write: two writers of one shard take turns (updateLockHint).
		err := tx.QueryRowContext(ctx, s.q("SELECT sequence_number FROM stream_lease"+s.dialect.updateLockHint()+" WHERE stream_name = ? AND shard_id = ?"), stream, shardID).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return leaseInsert.exec(ctx, tx, s.dialect, [][]any{{stream, shardID, int64(0), seq, s.now().UTC()}})
		}
		if err != nil || (!isPosition(cur) && !sequenceAfter(seq, cur)) {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("UPDATE stream_lease SET sequence_number = ?, updated_at = ? WHERE stream_name = ? AND shard_id = ?"),
			seq, s.dialect.arg(s.now().UTC()), stream, shardID)
		return err
	})
}

// isPosition says a checkpoint is a starting position or SHARD_END, not a
// sequence number.
func isPosition(cp string) bool {
	switch cp {
	case connectreporting.CheckpointTrimHorizon, connectreporting.CheckpointLatest, connectreporting.CheckpointShardEnd:
		return true
	}
	return false
}
