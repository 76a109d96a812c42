package connectreporting

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Batch is what one ingest call stores, in one transaction: the decoded
// records of one Kinesis batch or file chunk, and the records that could not
// be decoded. A batch may mix agent events and contact records (an agent
// event on the CTR stream is stored where it belongs).
type Batch struct {
	AgentEvents    []AgentEvent
	ContactRecords []ContactRecord
	Rejected       []RejectedRecord
	// Checkpoint, when set, is written in the batch's transaction, fenced
	// on the shard's lease: if Checkpoint.Owner no longer holds the lease,
	// nothing of the batch is stored and StoreBatch returns an error
	// matching ErrLeaseLost.
	Checkpoint *ShardCheckpoint
}

// ShardCheckpoint is where a Kinesis consumer is in one shard after a
// batch: the sequence number of the batch's last record, written by the
// lease holder Owner.
type ShardCheckpoint struct {
	Stream, ShardID, SequenceNumber, Owner string
}

// Len is the number of records in the batch.
func (b Batch) Len() int { return len(b.AgentEvents) + len(b.ContactRecords) + len(b.Rejected) }

// BatchResult counts the outcome of one stored batch, so that the counts are
// what the tables show: from an empty database, agent_event and
// contact_record hold Stored rows, rejected_record Rejected rows (less the
// records rejected again on a replay, which keep their one row).
type BatchResult struct {
	Stored    int // new rows: agent events, contact records of a new contact
	Updated   int // contact records that replaced an older stored version of their contact
	Duplicate int // changed nothing: an EventId already stored (or twice in the batch), a contact record not newer than the stored or batched version
	Heartbeat int // HEART_BEAT events, which only refresh agent_state (not rows unless heartbeats are stored)
	Rejected  int // parked in rejected_record
}

// Add sums two results.
func (r BatchResult) Add(o BatchResult) BatchResult {
	return BatchResult{
		Stored: r.Stored + o.Stored, Updated: r.Updated + o.Updated, Duplicate: r.Duplicate + o.Duplicate,
		Heartbeat: r.Heartbeat + o.Heartbeat, Rejected: r.Rejected + o.Rejected,
	}
}

// Total is the number of records the result accounts for.
func (r BatchResult) Total() int {
	return r.Stored + r.Updated + r.Duplicate + r.Heartbeat + r.Rejected
}

// String is the counts as the commands print them.
func (r BatchResult) String() string {
	return fmt.Sprintf("stored %d, updated %d, duplicate %d, heartbeat %d, rejected %d",
		r.Stored, r.Updated, r.Duplicate, r.Heartbeat, r.Rejected)
}

// LogAttrs are the counts as log/slog attributes.
func (r BatchResult) LogAttrs() []any {
	return []any{"stored", r.Stored, "updated", r.Updated, "duplicate", r.Duplicate, "heartbeat", r.Heartbeat, "rejected", r.Rejected}
}

// IngestStore stores stream records exactly once. StoreBatch is one
// transaction: on error nothing of the batch is stored and the caller retries
// it whole. Replaying a batch, in any order, leaves the database unchanged.
type IngestStore interface {
	StoreBatch(ctx context.Context, b Batch) (BatchResult, error)
}

// SnapshotStore keeps real-time observations: a history row per observation
// and the latest value per queue/channel and agent.
type SnapshotStore interface {
	StoreQueueSnapshots(ctx context.Context, s []QueueSnapshot) error
	StoreAgentSnapshots(ctx context.Context, s []AgentSnapshot) error
}

// MetricStore keeps historical interval metrics: queue metrics upserted on
// (queue_id, channel, interval_start, metric_name), agent metrics on
// (agent_id, channel, interval_start, metric_name).
type MetricStore interface {
	StoreIntervalMetrics(ctx context.Context, m []IntervalMetric) error
	StoreAgentIntervalMetrics(ctx context.Context, m []AgentIntervalMetric) error
}

// CheckpointStore keeps poller and stream-consumer watermarks.
type CheckpointStore interface {
	// Checkpoint returns the checkpoint of poller and scope; ok is false when none exists.
	Checkpoint(ctx context.Context, poller, scope string) (cp Checkpoint, ok bool, err error)
	SetCheckpoint(ctx context.Context, poller, scope string, watermark time.Time) error
}

// ConfigStore keeps configuration history (valid_from / valid_to rows).
type ConfigStore interface {
	SyncConfiguration(ctx context.Context, c Configuration) (ConfigChanges, error)
	// CurrentRoutingProfileQueues returns the current routing-profile queue
	// rows, so that a sync can pass on those of unchanged routing profiles.
	CurrentRoutingProfileQueues(ctx context.Context) ([]RoutingProfileQueue, error)
	// UserDetails returns every stored UserDetail; SaveUserDetails upserts
	// save and deletes the details of the users in drop, in one transaction.
	UserDetails(ctx context.Context) ([]UserDetail, error)
	SaveUserDetails(ctx context.Context, save []UserDetail, drop []string) error
}

// Store is everything connect-reporting keeps.
type Store interface {
	IngestStore
	SnapshotStore
	MetricStore
	CheckpointStore
	ConfigStore
	Close() error
}

// StreamCheckpointStore keeps where the daemon's Kinesis consumers are: the
// sequence number of the last record stored, per stream and shard.
type StreamCheckpointStore interface {
	// StreamCheckpoint returns the checkpoint of a shard; ok is false when none exists.
	StreamCheckpoint(ctx context.Context, stream, shardID string) (sequenceNumber string, ok bool, err error)
	SetStreamCheckpoint(ctx context.Context, stream, shardID, sequenceNumber string) error
}

// Checkpoint values of a shard lease that are not sequence numbers.
const (
	// CheckpointTrimHorizon and CheckpointLatest say where a shard not yet
	// read starts.
	CheckpointTrimHorizon = "TRIM_HORIZON"
	CheckpointLatest      = "LATEST"
	// CheckpointShardEnd marks a shard closed by resharding and read to its
	// end: its children may be read.
	CheckpointShardEnd = "SHARD_END"
)

// ErrLeaseLost says the caller no longer holds a shard's lease: another
// consumer took it over, and nothing was written.
var ErrLeaseLost = errors.New("shard lease not held")

// ShardLease is one shard of a stream as consumers share it, as the
// Kinesis Client Library does: at most one Owner reads the shard; the
// owner increments Counter to renew; a lease whose Counter stays unchanged
// for the lease duration is expired and may be taken over.
type ShardLease struct {
	Stream, ShardID string
	Owner           string // "" when free
	Counter         int64
	// Checkpoint is the sequence number of the last record stored, or
	// CheckpointTrimHorizon, CheckpointLatest (not read yet) or
	// CheckpointShardEnd (read to its end).
	Checkpoint string
	UpdatedAt  time.Time
}

// LeaseStore keeps the shard leases of the daemon's Kinesis consumers. The
// owner's checkpoints are written with its batches (Batch.Checkpoint).
type LeaseStore interface {
	// Leases returns every lease of a stream, by shard id.
	Leases(ctx context.Context, stream string) ([]ShardLease, error)
	// CreateLeases adds the leases not there yet (Owner and Counter are
	// ignored: new leases are free); existing ones are left as they are.
	CreateLeases(ctx context.Context, leases []ShardLease) error
	// TakeLease makes owner the holder of l if its counter is still
	// l.Counter (compare and set); false when another consumer moved it.
	TakeLease(ctx context.Context, l ShardLease, owner string) (bool, error)
	// RenewLease increments the counter of a lease owner holds; false when
	// it holds it no longer.
	RenewLease(ctx context.Context, stream, shardID, owner string) (bool, error)
	// ReleaseLease frees a lease owner holds (a no-op if it does not).
	ReleaseLease(ctx context.Context, stream, shardID, owner string) error
	// FinishShard sets the checkpoint of a shard read to its end to
	// CheckpointShardEnd and frees its lease; ErrLeaseLost if owner does
	// not hold it.
	FinishShard(ctx context.Context, stream, shardID, owner string) error
}
