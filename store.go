package connectreporting

import (
	"context"
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
}

// Len is the number of records in the batch.
func (b Batch) Len() int { return len(b.AgentEvents) + len(b.ContactRecords) + len(b.Rejected) }

// BatchResult counts the outcome of one stored batch.
type BatchResult struct {
	Stored    int // new agent events, new or newer contact records
	Duplicate int // already stored (same EventId; contact record not newer)
	Rejected  int // parked in rejected_record
}

// Add sums two results.
func (r BatchResult) Add(o BatchResult) BatchResult {
	return BatchResult{r.Stored + o.Stored, r.Duplicate + o.Duplicate, r.Rejected + o.Rejected}
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
