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

// Ingester stores a batch of stream records; *ingest.Engine satisfies it.
// Result.Failed lists the records not stored (ascending); the consumer reads
// the shard again from the first of them.
type Ingester interface {
	Ingest(ctx context.Context, source string, recs []ingest.Record) (ingest.Result, error)
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
	Client      KinesisAPI
	Checkpoints connectreporting.StreamCheckpointStore
	Ingester    Ingester
	Streams     []Stream
	Logger      *slog.Logger

	Limit         int32         // records per GetRecords call (default DefaultLimit)
	IdleWait      time.Duration // pause after a GetRecords call that returned nothing (default 1 s)
	MinInterval   time.Duration // least time between two GetRecords calls of a shard (default 200 ms)
	ShardRefresh  time.Duration // how often shards are listed to find new ones (default 1 min)
	RetryBackoff  time.Duration // first delay after a failure or throttling (default 1 s), doubled per attempt, with jitter
	MaxBackoff    time.Duration // cap of that delay (default 30 s)
	ShutdownGrace time.Duration // how long the in-flight batch may take once ctx is cancelled (default 30 s)
	StatsInterval time.Duration // progress line per shard (default 1 min)

	mu    sync.Mutex
	stats map[string]*ShardStats
}

// ShardStats is what the consumer knows of one shard, for logs and the
// dashboard.
type ShardStats struct {
	Stream             string
	ShardID            string
	State              string // "reading", "closed" (read to its end), "skipped", "stopped"
	Records            int64  // records read and ingested (re-reads counted again)
	Stored             int64
	Duplicate          int64
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
	if c.Checkpoints == nil {
		errs = append(errs, errors.New("no checkpoint store"))
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

// streamRunner discovers the shards of one stream and runs a reader per
// shard, parents before children.
type streamRunner struct {
	c      *Consumer
	st     Stream
	name   string
	log    *slog.Logger
	shards map[string]*shardEntry
	done   chan shardDone
	active int
	listed bool // a listing succeeded: shards found later are new
}

type shardEntry struct {
	shard    types.Shard
	late     bool // found after the first listing: created while we ran
	started  bool
	finished bool
	consumed bool // its records were read (so its children start at TRIM_HORIZON)
}

type shardDone struct {
	id       string
	closed   bool // read to its end (false: stopped by shutdown)
	consumed bool
}

func newStreamRunner(c *Consumer, st Stream) *streamRunner {
	name := StreamName(st.Name)
	return &streamRunner{
		c: c, st: st, name: name,
		log:    c.log().With("stream", name, "source", st.Source),
		shards: map[string]*shardEntry{},
		done:   make(chan shardDone),
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
	r.log.Info("consuming stream", "shards", len(r.shards), "starting_position", r.st.StartingPosition)
	refresh := time.NewTicker(orDur(r.c.ShardRefresh, DefaultShardRefresh))
	defer refresh.Stop()
	for {
		r.startEligible(ctx)
		select {
		case <-ctx.Done():
			for r.active > 0 {
				r.finish(<-r.done)
			}
			r.log.Info("stream consumer stopped")
			return nil
		case d := <-r.done:
			r.finish(d)
			if d.closed {
				// Its children exist by now; look for them at once.
				if err := r.list(ctx); err != nil && ctx.Err() == nil {
					r.log.Warn("listing shards failed", "error", err)
				}
			}
		case <-refresh.C:
			if err := r.list(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("listing shards failed", "error", err)
			}
		}
	}
}

func (r *streamRunner) finish(d shardDone) {
	r.active--
	e := r.shards[d.id]
	e.consumed = e.consumed || d.consumed
	if d.closed {
		e.finished = true
	} else {
		e.started = false // stopped early (shutdown); never restarted after that
	}
}

// list reads every shard of the stream (all pages) into r.shards.
func (r *streamRunner) list(ctx context.Context) error {
	in := &kinesis.ListShardsInput{}
	if isARN(r.st.Name) {
		in.StreamARN = aws.String(r.st.Name)
	} else {
		in.StreamName = aws.String(r.st.Name)
	}
	var found []types.Shard
	for {
		cctx, cancel := graceContext(ctx, apiGrace)
		out, err := r.c.Client.ListShards(cctx, in)
		cancel()
		if err != nil {
			return fmt.Errorf("list shards: %w", err)
		}
		found = append(found, out.Shards...)
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		// Later pages name only the token.
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	for _, sh := range found {
		id := aws.ToString(sh.ShardId)
		if e, ok := r.shards[id]; ok {
			e.shard = sh // it may have closed since
			continue
		}
		r.shards[id] = &shardEntry{shard: sh, late: r.listed}
		if r.listed {
			r.log.Info("new shard", "shard", id, "parent", aws.ToString(sh.ParentShardId), "adjacent_parent", aws.ToString(sh.AdjacentParentShardId))
		}
	}
	r.listed = true
	return nil
}

// startEligible starts a reader for every shard whose parents (those still
// listed) have been read to their end.
func (r *streamRunner) startEligible(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	ids := make([]string, 0, len(r.shards))
	for id := range r.shards {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := r.shards[id]
		if e.started || e.finished {
			continue
		}
		ready, parentConsumed := true, false
		for _, p := range []*string{e.shard.ParentShardId, e.shard.AdjacentParentShardId} {
			pe, ok := r.shards[aws.ToString(p)]
			if p == nil || !ok {
				continue // no parent, or one past the retention period
			}
			if !pe.finished {
				ready = false
			}
			parentConsumed = parentConsumed || pe.consumed
		}
		if !ready {
			continue
		}
		fallback := types.ShardIteratorType(r.st.StartingPosition)
		if e.late || parentConsumed {
			fallback = types.ShardIteratorTypeTrimHorizon
		}
		sr := &shardReader{
			c: r.c, st: r.st, stream: r.name, shardID: id,
			closed:   e.shard.SequenceNumberRange != nil && e.shard.SequenceNumberRange.EndingSequenceNumber != nil,
			fallback: fallback,
			log:      r.log.With("shard", id),
		}
		e.started = true
		r.active++
		go func() { r.done <- sr.run(ctx) }()
	}
}
