// Package daemon is the long-lived runtime of connect-reporting
// (`connect-reporting run --config FILE`) for teams not on AWS Lambda: a
// Kinesis consumer that feeds the agent event and contact record streams to
// the ingest engine with checkpoints in the database, a scheduler that runs
// the pollers on their intervals (optionally only in business hours), and
// the configuration file of both.
//
// The consumer keeps the contract of the Lambda handlers: at least once in,
// exactly once stored. A batch is handed to an Ingester (ingest.Engine);
// when some of its records are not stored, the shard's checkpoint is set
// just before the first of them and the shard is read again from there
// after a backoff, as Lambda's BatchItemFailures make the event-source
// mapping do. Records that cannot be decoded are parked by the engine and
// never block a shard.
//
// Several consumers (daemons) share a stream's shards through a lease per
// shard in the database (connectreporting.LeaseStore), as the Kinesis
// Client Library does: renewed by counter, taken over when expired
// (compare and set), balanced by stealing from the most loaded. The
// checkpoint is committed in the same transaction as the records and only
// while the writer still holds the lease, so a consumer that lost its lease
// stores nothing.
//
// Why a consumer of our own rather than harlow/kinesis-consumer (which
// telegraf uses) or the KCL: exactly-once storage needs the checkpoint in
// the same SQL transaction as the data, fenced on the lease. The former
// checkpoints after the handler returns, outside that transaction, and has
// no leases (two processes both read every shard); the latter keeps leases
// and checkpoints in DynamoDB, which cannot commit with the report database
// and is one more service on-premises. Parents-before-children after
// resharding and the Lambda BatchItemFailures contract are kept too.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
)

// KinesisAPI is the part of the Kinesis client the consumer uses;
// *kinesis.Client satisfies it.
type KinesisAPI interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Ingester stores a batch of a shard's records and, in the same
// transactions, the shard's checkpoint, fenced on the lease of shard.Owner;
// *ingest.Engine satisfies it. Result.Failed lists the records not stored
// (ascending); the consumer reads the shard again from the first of them,
// or stops reading it when the error matches connectreporting.ErrLeaseLost.
type Ingester interface {
	IngestShard(ctx context.Context, source string, recs []ingest.Record, shard connectreporting.ShardCheckpoint) (ingest.Result, error)
}

// Starting positions of a shard that has no checkpoint.
const (
	StartTrimHorizon = "TRIM_HORIZON" // the oldest record kept (the default)
	StartLatest      = "LATEST"       // only records put after the consumer starts
)

// Stream is one Kinesis data stream to consume.
type Stream struct {
	// Name is the stream's name or ARN. Checkpoints are kept under the
	// name (the last segment of an ARN), so switching between the two
	// keeps them.
	Name string
	// Source is connectreporting.SourceAgentEvents or SourceCTR: the kind
	// of records the stream carries (records of the other kind are stored
	// where they belong anyway).
	Source string
	// StartingPosition is StartTrimHorizon (default) or StartLatest, for
	// shards without a checkpoint. Shards created by resharding while the
	// consumer runs, and children of shards it has read, always start at
	// TRIM_HORIZON so no record between parent and child is skipped.
	StartingPosition string
}

// StreamName returns the name of a stream given by name or ARN
// (arn:aws:kinesis:region:account:stream/NAME).
func StreamName(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		if i := strings.LastIndex(nameOrARN, "/"); i >= 0 {
			return nameOrARN[i+1:]
		}
	}
	return nameOrARN
}

func isARN(s string) bool { return strings.HasPrefix(s, "arn:") }

// Defaults of the Consumer's tuning fields.
const (
	DefaultLimit         = 10000 // GetRecords maximum
	DefaultIdleWait      = time.Second
	DefaultMinInterval   = 200 * time.Millisecond // 5 GetRecords per second per shard
	DefaultShardRefresh  = time.Minute
	DefaultRetryBackoff  = time.Second
	DefaultMaxBackoff    = 30 * time.Second
	DefaultShutdownGrace = 30 * time.Second
	DefaultStatsInterval = time.Minute

	// shardReadBytesPerSecond is Kinesis's read limit per shard (2 MB/s).
	shardReadBytesPerSecond = 2 << 20
)

// Consumer reads Kinesis streams shard by shard and hands every batch to
// an Ingester, keeping each shard's position in a StreamCheckpointStore.
// Client, Checkpoints, Ingester and Streams are required; the rest have
// defaults. Run it once.
type Consumer struct {
	Client   KinesisAPI
	Leases   connectreporting.LeaseStore
	Ingester Ingester
	Streams  []Stream
	Logger   *slog.Logger

	// WorkerID names this consumer in the leases it holds; it must differ
	// between consumers (default NewWorkerID()).
	WorkerID string
	// LeaseDuration is how long a lease lives unrenewed before others take
	// it over (default DefaultLeaseDuration); leases are renewed and
	// rebalanced every third of it.
	LeaseDuration time.Duration

	Limit         int32         // records per GetRecords call (default DefaultLimit)
	IdleWait      time.Duration // pause after a GetRecords call that returned nothing (default 1 s)
	MinInterval   time.Duration // least time between two GetRecords calls of a shard (default 200 ms)
	ShardRefresh  time.Duration // how often shards are listed to find new ones (default 1 min)
	RetryBackoff  time.Duration // first delay after a failure or throttling (default 1 s), doubled per attempt, with jitter
	MaxBackoff    time.Duration // cap of that delay (default 30 s)
	ShutdownGrace time.Duration // how long the in-flight batch may take once ctx is cancelled (default 30 s)
	StatsInterval time.Duration // progress line per shard (default 1 min)

	mu     sync.Mutex
	stats  map[string]*ShardStats
	idOnce sync.Once
}

func (c *Consumer) workerID() string {
	c.idOnce.Do(func() {
		if c.WorkerID == "" {
			c.WorkerID = NewWorkerID()
		}
	})
	return c.WorkerID
}

func (c *Consumer) leaseDuration() time.Duration { return orDur(c.LeaseDuration, DefaultLeaseDuration) }

// ShardStats is what the consumer knows of one shard, for logs and the
// dashboard.
type ShardStats struct {
	Stream             string
	ShardID            string
	State              string // "reading", "closed" (read to its end), "skipped", "stopped", "lost" (lease taken over)
	Records            int64  // records read and ingested (re-reads counted again)
	Stored             int64  // the counts of connectreporting.BatchResult
	Updated            int64
	Duplicate          int64
	Heartbeat          int64
	Rejected           int64
	Failures           int64 // Ingest calls that left records unstored
	MillisBehindLatest int64
	Checkpoint         string // last sequence number checkpointed
	LastError          string
	UpdatedAt          time.Time
}

// Stats returns a snapshot of every shard's counters, by stream and shard.
func (c *Consumer) Stats() []ShardStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]ShardStats, 0, len(c.stats))
	for _, s := range c.stats {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Stream != out[j].Stream {
			return out[i].Stream < out[j].Stream
		}
		return out[i].ShardID < out[j].ShardID
	})
	return out
}

func (c *Consumer) update(stream, shard string, f func(s *ShardStats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stats == nil {
		c.stats = map[string]*ShardStats{}
	}
	k := stream + "/" + shard
	s := c.stats[k]
	if s == nil {
		s = &ShardStats{Stream: stream, ShardID: shard}
		c.stats[k] = s
	}
	f(s)
	s.UpdatedAt = time.Now().UTC()
}

func (c *Consumer) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func orDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (c *Consumer) limit() int32 {
	if c.Limit > 0 && c.Limit <= DefaultLimit {
		return c.Limit
	}
	return DefaultLimit
}

func (c *Consumer) check() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("no Kinesis client"))
	}
	if c.Leases == nil {
		errs = append(errs, errors.New("no lease store"))
	}
	if c.Ingester == nil {
		errs = append(errs, errors.New("no ingester"))
	}
	if len(c.Streams) == 0 {
		errs = append(errs, errors.New("no streams"))
	}
	seen := map[string]bool{}
	for i, s := range c.Streams {
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("stream %d: no name", i))
		}
		if seen[StreamName(s.Name)] {
			errs = append(errs, fmt.Errorf("stream %q given twice", s.Name))
		}
		seen[StreamName(s.Name)] = true
		if _, err := ingest.KindOf(s.Source); err != nil {
			errs = append(errs, fmt.Errorf("stream %q: source %q is not %s or %s", s.Name, s.Source, connectreporting.SourceAgentEvents, connectreporting.SourceCTR))
		}
		switch s.StartingPosition {
		case "", StartLatest, StartTrimHorizon:
		default:
			errs = append(errs, fmt.Errorf("stream %q: starting position %q is not %s or %s", s.Name, s.StartingPosition, StartTrimHorizon, StartLatest))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("daemon: consumer: %w", err)
	}
	return nil
}

// Run consumes every stream until ctx is cancelled, then lets each shard
// finish its in-flight batch (within ShutdownGrace), checkpoints and
// returns nil. It returns an error early only when the configuration is
// wrong or a stream does not exist at start.
func (c *Consumer) Run(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(c.Streams))
	for _, st := range c.Streams {
		if st.StartingPosition == "" {
			st.StartingPosition = StartTrimHorizon
		}
		go func() {
			err := newStreamRunner(c, st).run(ctx)
			if err != nil {
				cancel() // one stream missing stops the daemon: a configuration error
			}
			errc <- err
		}()
	}
	var errs []error
	for range c.Streams {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// streamRunner discovers the shards of one stream, keeps their leases and
// runs a reader per shard this consumer holds, parents before children.
type streamRunner struct {
	c       *Consumer
	st      Stream
	name    string
	log     *slog.Logger
	shards  map[string]types.Shard // the last listing
	seen    map[string]observed    // leases as last observed
	held    map[string]bool        // leases this consumer holds
	readers map[string]context.CancelFunc
	done    chan shardDone
}

type shardDone struct {
	id     string
	closed bool // read to its end and finished (SHARD_END)
	lost   bool // the lease was taken over
}

func newStreamRunner(c *Consumer, st Stream) *streamRunner {
	name := StreamName(st.Name)
	return &streamRunner{
		c: c, st: st, name: name,
		log:     c.log().With("stream", name, "source", st.Source),
		shards:  map[string]types.Shard{},
		seen:    map[string]observed{},
		held:    map[string]bool{},
		readers: map[string]context.CancelFunc{},
		done:    make(chan shardDone),
	}
}

func (r *streamRunner) run(ctx context.Context) error {
	// The first listing decides whether the stream exists at all.
	for attempt := 0; ; attempt++ {
		err := r.list(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		if code := errorCode(err); code == "ResourceNotFoundException" || code == "InvalidArgumentException" {
			return fmt.Errorf("daemon: stream %s: %w", r.st.Name, err)
		}
		r.log.Warn("listing shards failed; retrying", "error", err, "attempt", attempt+1)
		if !sleep(ctx, backoff(r.c.RetryBackoff, r.c.MaxBackoff, attempt)) {
			return nil
		}
	}
	r.log.Info("consuming stream", "shards", len(r.shards), "starting_position", r.st.StartingPosition, "worker", r.c.workerID())
	refresh := time.NewTicker(orDur(r.c.ShardRefresh, DefaultShardRefresh))
	defer refresh.Stop()
	renew := time.NewTicker(r.c.leaseDuration() / 3)
	defer renew.Stop()
	for {
		r.balance(ctx)
		select {
		case <-ctx.Done():
			r.stop()
			return nil
		case d := <-r.done:
			r.finish(d)
			if d.closed {
				// Its children exist by now; look for them at once.
				r.relist(ctx)
			}
		case <-refresh.C:
			r.relist(ctx)
		case <-renew.C:
			r.renew(ctx)
		}
	}
}

// stop waits for every reader to end (each finishes its batch in flight)
// and frees their leases for the other consumers.
func (r *streamRunner) stop() {
	for len(r.readers) > 0 {
		r.finish(<-r.done)
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiGrace)
	defer cancel()
	for id := range r.held {
		if err := r.c.Leases.ReleaseLease(ctx, r.name, id, r.c.workerID()); err != nil {
			r.log.Warn("releasing lease failed; it expires instead", "shard", id, "error", err)
		}
	}
	r.log.Info("stream consumer stopped")
}

func (r *streamRunner) finish(d shardDone) {
	if cancel := r.readers[d.id]; cancel != nil {
		cancel()
	}
	delete(r.readers, d.id)
	if d.closed || d.lost {
		delete(r.held, d.id)
	}
}

func (r *streamRunner) relist(ctx context.Context) {
	if err := r.list(ctx); err != nil && ctx.Err() == nil {
		r.log.Warn("listing shards failed", "error", err)
	}
}

// renew increments the counter of every lease held; a lease that was
// taken over stops its reader.
func (r *streamRunner) renew(ctx context.Context) {
	for id := range r.held {
		ok, err := r.c.Leases.RenewLease(ctx, r.name, id, r.c.workerID())
		if err != nil {
			// The reader goes on: if the lease expires meanwhile, its next
			// checkpoint is refused and it stops then.
			r.log.Warn("renewing lease failed", "shard", id, "error", err)
			continue
		}
		if !ok {
			r.lost(id)
		}
	}
}

func (r *streamRunner) lost(id string) {
	r.log.Info("lease taken over by another consumer; stopping the shard's reader", "shard", id)
	delete(r.held, id)
	if cancel := r.readers[id]; cancel != nil {
		cancel()
	}
}

// list reads every shard of the stream (all pages) into r.shards and
// creates the leases of shards that have none.
func (r *streamRunner) list(ctx context.Context) error {
	in := &kinesis.ListShardsInput{}
	if isARN(r.st.Name) {
		in.StreamARN = aws.String(r.st.Name)
	} else {
		in.StreamName = aws.String(r.st.Name)
	}
	found := map[string]types.Shard{}
	for {
		cctx, cancel := graceContext(ctx, apiGrace)
		out, err := r.c.Client.ListShards(cctx, in)
		cancel()
		if err != nil {
			return fmt.Errorf("list shards: %w", err)
		}
		for _, sh := range out.Shards {
			id := aws.ToString(sh.ShardId)
			if _, ok := r.shards[id]; !ok && len(r.shards) > 0 {
				r.log.Info("new shard", "shard", id, "parent", aws.ToString(sh.ParentShardId), "adjacent_parent", aws.ToString(sh.AdjacentParentShardId))
			}
			found[id] = sh
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		// Later pages name only the token.
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	r.shards = found
	leases, err := r.leases(ctx)
	if err != nil {
		return err
	}
	create := newLeases(r.st, r.name, found, leases)
	for _, l := range create {
		if l.Checkpoint == connectreporting.CheckpointShardEnd {
			r.log.Info("closed shard skipped (starting position LATEST)", "shard", l.ShardID)
			r.c.update(r.name, l.ShardID, func(s *ShardStats) { s.State = "skipped" })
		}
	}
	if err := r.c.Leases.CreateLeases(ctx, create); err != nil {
		return fmt.Errorf("create leases: %w", err)
	}
	return nil
}

func (r *streamRunner) leases(ctx context.Context) (map[string]connectreporting.ShardLease, error) {
	ls, err := r.c.Leases.Leases(ctx, r.name)
	if err != nil {
		return nil, err
	}
	v := leaseView{me: r.c.workerID(), duration: r.c.leaseDuration(), now: time.Now(), seen: r.seen}
	return v.observe(ls), nil
}

// balance takes the leases this consumer should hold (expired ones, or
// one stolen from the most loaded consumer) and starts a reader for every
// lease held that has none.
func (r *streamRunner) balance(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	leases, err := r.leases(ctx)
	if err != nil {
		r.log.Warn("reading leases failed", "error", err)
		return
	}
	me := r.c.workerID()
	for id := range r.held {
		if l, ok := leases[id]; !ok || l.Owner != me {
			r.lost(id)
		}
	}
	v := leaseView{me: me, duration: r.c.leaseDuration(), now: time.Now(), seen: r.seen}
	busy := map[string]bool{}
	for id := range r.readers {
		busy[id] = true
	}
	took := false
	for _, l := range v.plan(available(r.shards, leases), busy) {
		ok, err := r.c.Leases.TakeLease(ctx, l, me)
		if err != nil {
			r.log.Warn("taking lease failed", "shard", l.ShardID, "error", err)
			continue
		}
		if ok {
			r.log.Info("lease taken", "shard", l.ShardID, "from", l.Owner, "checkpoint", l.Checkpoint)
			r.held[l.ShardID], took = true, true
		}
	}
	if took {
		// Read again: the checkpoints as they are now that the lease is ours.
		if leases, err = r.leases(ctx); err != nil {
			r.log.Warn("reading leases failed", "error", err)
			return
		}
	}
	for id := range r.held {
		if r.readers[id] == nil && leases[id].Owner == me {
			r.startReader(ctx, leases[id])
		}
	}
}

func (r *streamRunner) startReader(ctx context.Context, l connectreporting.ShardLease) {
	sh := r.shards[l.ShardID]
	rctx, cancel := context.WithCancel(ctx)
	sr := &shardReader{
		c: r.c, st: r.st, stream: r.name, shardID: l.ShardID,
		closed: sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil,
		pos:    startPosition(l.Checkpoint),
		log:    r.log.With("shard", l.ShardID),
	}
	if sr.pos.seq != "" {
		sr.lastCP = sr.pos.seq
	}
	r.readers[l.ShardID] = cancel
	go func() { r.done <- sr.run(rctx) }()
}
