package daemon

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
)

// apiGrace is how long a Kinesis call in flight at shutdown may take.
const apiGrace = 10 * time.Second

// position is where a shard is read from next.
type position struct {
	typ types.ShardIteratorType
	seq string // for AT_ / AFTER_SEQUENCE_NUMBER
}

// shardReader reads one shard it holds the lease of, from its checkpoint
// to its end (closed shard), until ctx is cancelled or the lease is lost.
type shardReader struct {
	c       *Consumer
	st      Stream
	stream  string // name, the lease key
	shardID string
	closed  bool // the listing says the shard is closed
	log     *slog.Logger

	pos    position
	lastCP string
	lost   bool // a batch was refused: the lease is another consumer's

	// since the last progress line
	lastStats         time.Time
	records, failures int64
	counts            connectreporting.BatchResult
	behind            int64
}

func (r *shardReader) stat(f func(s *ShardStats)) { r.c.update(r.stream, r.shardID, f) }

// run reads the shard; the result tells the stream runner whether the shard
// was read to its end (and finished) or its lease lost.
func (r *shardReader) run(ctx context.Context) shardDone {
	done := shardDone{id: r.shardID}
	r.log.Info("reading shard", "from", string(r.pos.typ), "sequence_number", r.pos.seq)
	r.stat(func(s *ShardStats) { s.State = "reading"; s.Checkpoint = r.lastCP })
	r.lastStats = time.Now()
	end := r.loop(ctx)
	r.progress(true)
	state := "stopped"
	switch {
	case r.lost:
		done.lost = true
		state = "lost"
	case end:
		done.closed = r.finishShard(ctx)
		if done.closed {
			state = "closed"
			r.log.Info("shard read to its end (closed by resharding)", "checkpoint", r.lastCP)
		}
	}
	r.stat(func(s *ShardStats) { s.State = state })
	return done
}

// finishShard marks the shard read to its end, so that its children may be
// read; false when ctx ended first or the lease was lost.
func (r *shardReader) finishShard(ctx context.Context) bool {
	err := r.c.retry(ctx, func() error {
		return r.c.Leases.FinishShard(ctx, r.stream, r.shardID, r.c.workerID())
	}, func(err error) {
		if errors.Is(err, connectreporting.ErrLeaseLost) {
			return
		}
		r.log.Error("finishing shard failed; retrying", "error", err)
		r.stat(func(s *ShardStats) { s.LastError = err.Error() })
	})
	if errors.Is(err, connectreporting.ErrLeaseLost) {
		r.lost = true
	}
	return err == nil
}

// loop reads until the shard ends (true) or ctx is cancelled (false).
func (r *shardReader) loop(ctx context.Context) bool {
	st := readState{minInterval: orDur(r.c.MinInterval, DefaultMinInterval)}
	for {
		if ctx.Err() != nil || r.lost {
			return false
		}
		if st.iter == nil && !r.openIterator(ctx, &st) {
			continue
		}
		if !sleepUntil(ctx, st.next) {
			return false
		}
		// A call in flight at shutdown is let finish (briefly), not aborted.
		cctx, cancel := graceContext(ctx, apiGrace)
		out, err := r.c.Client.GetRecords(cctx, &kinesis.GetRecordsInput{ShardIterator: st.iter, Limit: aws.Int32(r.c.limit()), StreamARN: r.arn()})
		cancel()
		st.next = time.Now().Add(st.minInterval)
		if ctx.Err() != nil {
			return false // shutdown: records read but not handled are read again at the next start
		}
		if err != nil {
			r.readFailed(&st, err)
			continue
		}
		st.throttled, st.errs = 0, 0
		r.behind = aws.ToInt64(out.MillisBehindLatest)
		if len(out.Records) > 0 && !r.store(ctx, &st, out.Records) {
			continue
		}
		r.progress(false)
		if out.NextShardIterator == nil {
			return true // closed and read to its end
		}
		st.iter = out.NextShardIterator
		if len(out.Records) == 0 {
			st.next = time.Now().Add(orDur(r.c.IdleWait, DefaultIdleWait))
		}
	}
}

// readState is loop's state between two GetRecords calls.
type readState struct {
	iter        *string
	throttled   int // consecutive throttling answers
	errs        int // consecutive other errors
	failed      int // consecutive Ingest failures
	next        time.Time
	minInterval time.Duration
}

// openIterator gets a shard iterator from the last position; false (after
// a back-off) when that failed.
func (r *shardReader) openIterator(ctx context.Context, st *readState) bool {
	it, err := r.iterator(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		st.errs++
		r.log.Warn("getting a shard iterator failed; retrying", "error", err, "from", string(r.pos.typ), "sequence_number", r.pos.seq)
		r.stat(func(s *ShardStats) { s.LastError = err.Error() })
		sleep(ctx, backoff(r.c.RetryBackoff, r.c.MaxBackoff, st.errs-1))
		return false
	}
	st.iter = it
	return true
}

// readFailed decides when to call GetRecords again after it failed, and
// whether a new iterator is needed.
func (r *shardReader) readFailed(st *readState, err error) {
	switch code := errorCode(err); code {
	case "ExpiredIteratorException":
		r.log.Info("shard iterator expired; acquiring a new one from the last position")
		st.iter = nil
	case "ProvisionedThroughputExceededException", "LimitExceededException", "KMSThrottlingException", "ThrottlingException":
		st.throttled++
		d := backoff(r.c.RetryBackoff, r.c.MaxBackoff, st.throttled-1)
		r.log.Debug("GetRecords throttled; backing off", "code", code, "wait_ms", d.Milliseconds())
		st.next = time.Now().Add(d)
	default:
		st.errs++
		r.log.Warn("GetRecords failed; retrying", "error", err)
		r.stat(func(s *ShardStats) { s.LastError = err.Error() })
		st.next = time.Now().Add(backoff(r.c.RetryBackoff, r.c.MaxBackoff, st.errs-1))
		if code == "ResourceNotFoundException" || code == "InvalidArgumentException" {
			st.iter = nil
		}
	}
}

// store paces the next read to stay under 2 MB/s per shard and stores the
// records; false (after a back-off, with the iterator dropped to read again
// from the first record not stored) when that failed.
func (r *shardReader) store(ctx context.Context, st *readState, recs []types.Record) bool {
	size := 0
	for _, rec := range recs {
		size += len(rec.Data) + len(aws.ToString(rec.PartitionKey))
	}
	if d := time.Duration(float64(size) / shardReadBytesPerSecond * float64(time.Second)); d > st.minInterval {
		st.next = time.Now().Add(d)
	}
	if !r.handle(ctx, recs) {
		if r.lost {
			return false
		}
		st.failed++
		st.iter = nil
		if ctx.Err() != nil {
			return false
		}
		sleep(ctx, backoff(r.c.RetryBackoff, r.c.MaxBackoff, st.failed-1))
		return false
	}
	st.failed = 0
	return true
}

func (r *shardReader) arn() *string {
	if isARN(r.st.Name) {
		return aws.String(r.st.Name)
	}
	return nil
}

func (r *shardReader) iterator(ctx context.Context) (*string, error) {
	in := &kinesis.GetShardIteratorInput{ShardId: aws.String(r.shardID), ShardIteratorType: r.pos.typ}
	if isARN(r.st.Name) {
		in.StreamARN = aws.String(r.st.Name)
	} else {
		in.StreamName = aws.String(r.st.Name)
	}
	if r.pos.seq != "" {
		in.StartingSequenceNumber = aws.String(r.pos.seq)
	}
	cctx, cancel := graceContext(ctx, apiGrace)
	defer cancel()
	out, err := r.c.Client.GetShardIterator(cctx, in)
	if err != nil {
		return nil, err
	}
	if out.ShardIterator == nil {
		return nil, errors.New("GetShardIterator returned no iterator")
	}
	return out.ShardIterator, nil
}

// handle ingests one batch, which checkpoints as it stores. It returns
// false when some records were not stored: the position is then the first
// of them (the checkpoint is the record before it), or the lease was lost.
func (r *shardReader) handle(ctx context.Context, recs []types.Record) bool {
	in := make([]ingest.Record, len(recs))
	for i, rec := range recs {
		in[i] = ingest.Record{
			Data:           rec.Data,
			PartitionKey:   aws.ToString(rec.PartitionKey),
			SequenceNumber: aws.ToString(rec.SequenceNumber),
			ArrivalTime:    aws.ToTime(rec.ApproximateArrivalTimestamp),
		}
	}
	// The batch in flight is finished even when shutdown begins, within
	// ShutdownGrace.
	wctx, cancel := graceContext(ctx, orDur(r.c.ShutdownGrace, DefaultShutdownGrace))
	defer cancel()
	res, err := r.c.Ingester.IngestShard(wctx, r.st.Source, in, connectreporting.ShardCheckpoint{Stream: r.stream, ShardID: r.shardID, Owner: r.c.workerID()})
	first := -1
	if len(res.Failed) > 0 {
		first = res.Failed[0]
	} else if err != nil {
		first = 0 // an error without an account of the records: none stored
	}
	if first >= len(in) {
		first = 0 // not an index of this batch: take none as stored
	}
	r.count(len(in), res)
	if first < 0 {
		r.checkpointed(in[len(in)-1].SequenceNumber)
		r.pos = position{types.ShardIteratorTypeAfterSequenceNumber, in[len(in)-1].SequenceNumber}
		return true
	}
	if first > 0 {
		r.checkpointed(in[first-1].SequenceNumber)
	}
	r.pos = position{types.ShardIteratorTypeAtSequenceNumber, in[first].SequenceNumber}
	if errors.Is(err, connectreporting.ErrLeaseLost) {
		r.lost = true
		r.log.Info("lease taken over by another consumer; records from here on are theirs", "first_sequence_number", in[first].SequenceNumber)
		return false
	}
	r.failures++
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	r.log.Error("records not stored; reading the shard again from the first of them after a backoff",
		"records", len(in), "not_stored", len(in)-first, "first_sequence_number", in[first].SequenceNumber, "error", msg)
	r.stat(func(s *ShardStats) { s.Failures++; s.LastError = msg })
	return false
}

func (r *shardReader) count(n int, res ingest.Result) {
	r.records += int64(n)
	r.counts = r.counts.Add(res.BatchResult)
	r.stat(func(s *ShardStats) {
		s.Records += int64(n)
		s.Stored += int64(res.Stored)
		s.Updated += int64(res.Updated)
		s.Duplicate += int64(res.Duplicate)
		s.Heartbeat += int64(res.Heartbeat)
		s.Rejected += int64(res.Rejected)
	})
}

func (r *shardReader) checkpointed(seq string) {
	r.lastCP = seq
	r.stat(func(s *ShardStats) { s.Checkpoint = seq })
}

// progress logs the shard's counts every StatsInterval (or now, when final).
func (r *shardReader) progress(final bool) {
	r.stat(func(s *ShardStats) { s.MillisBehindLatest = r.behind })
	if !final && time.Since(r.lastStats) < orDur(r.c.StatsInterval, DefaultStatsInterval) {
		return
	}
	r.lastStats = time.Now()
	attrs := append([]any{"records", r.records}, r.counts.LogAttrs()...)
	r.log.Info("shard progress", append(attrs, "failures", r.failures, "millis_behind_latest", r.behind, "checkpoint", r.lastCP)...)
	r.records, r.counts, r.failures = 0, connectreporting.BatchResult{}, 0
}

// errorCode is the API error code of a Kinesis error ("" if none).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// backoff is base doubled attempt times, capped, with jitter: a delay in
// [d/2, d).
func backoff(base, max time.Duration, attempt int) time.Duration {
	base = orDur(base, DefaultRetryBackoff)
	max = orDur(max, DefaultMaxBackoff)
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half)
}

// sleep waits d or until ctx is done; false when ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	return sleep(ctx, time.Until(t))
}

// graceContext is a context that is not cancelled with parent at once but
// grace after it: work in flight at shutdown may finish.
func graceContext(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(ctx, func() { t.Stop() })
	})
	return ctx, func() {
		stop()
		cancel()
	}
}
