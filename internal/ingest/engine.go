package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/agentevents"
	"github.com/connect-reporting/connect-reporting/internal/ctr"
)

// DefaultChunkSize is the number of records stored in one transaction when
// Engine.ChunkSize is not set.
const DefaultChunkSize = 500

// Engine decodes stream records and stores them through an IngestStore.
// The zero value is not usable: Store is required; the other fields have
// defaults. An Engine is safe for concurrent use if its Store is.
type Engine struct {
	Store     connectreporting.IngestStore
	Logger    *slog.Logger     // default slog.Default()
	ChunkSize int              // records per StoreBatch call (transaction); default DefaultChunkSize
	Now       func() time.Time // clock for RejectedRecord.ReceivedAt when a record has no ArrivalTime; default time.Now
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) chunkSize() int {
	if e.ChunkSize > 0 {
		return e.ChunkSize
	}
	return DefaultChunkSize
}

// Ingest decodes recs, which arrived on the stream source
// (connectreporting.SourceAgentEvents or SourceCTR), and stores them in
// chunks of ChunkSize records, one Store.StoreBatch call (one transaction)
// each.
//
// A record of the other kind (an agent event on the CTR stream) is decoded
// with the other decoder and stored where it belongs, with a warning. A
// record that decodes with neither becomes a connectreporting.RejectedRecord
// of its chunk: it is parked, counted as Rejected and never retried.
//
// When a chunk cannot be stored, Result.Failed holds the indexes of that
// chunk's records and of every later one, nothing after it is attempted,
// and the store's error is returned wrapped. The counts of the chunks
// stored before stay in the Result.
func (e *Engine) Ingest(ctx context.Context, source string, recs []Record) (Result, error) {
	return e.ingest(ctx, source, recs, nil)
}

// IngestShard is Ingest for records read from a Kinesis shard under a
// lease (the daemon): each chunk's transaction also moves the shard's
// checkpoint to the chunk's last record, fenced on the lease of
// shard.Owner (shard.SequenceNumber is ignored). When the lease is lost,
// that chunk and every later record are Failed and the error matches
// connectreporting.ErrLeaseLost.
func (e *Engine) IngestShard(ctx context.Context, source string, recs []Record, shard connectreporting.ShardCheckpoint) (Result, error) {
	return e.ingest(ctx, source, recs, &shard)
}

func (e *Engine) ingest(ctx context.Context, source string, recs []Record, shard *connectreporting.ShardCheckpoint) (Result, error) {
	var res Result
	home, err := KindOf(source)
	if err == nil && e.Store == nil {
		err = errors.New("no store")
	}
	if err != nil {
		res.Failed = indexes(0, len(recs))
		return res, fmt.Errorf("ingest: %w", err)
	}
	log := e.logger().With("source", source)
	start := time.Now()
	size := e.chunkSize()
	var st stats
	for lo := 0; lo < len(recs); lo += size {
		hi := min(lo+size, len(recs))
		if err := ctx.Err(); err != nil {
			res.Failed = indexes(lo, len(recs))
			st.log(log, len(recs), res, start, err)
			return res, fmt.Errorf("ingest %s: records %d-%d of %d not stored: %w", source, lo, len(recs)-1, len(recs), err)
		}
		batch := e.decodeChunk(log, source, home, recs[lo:hi], &st)
		if shard != nil {
			cp := *shard
			cp.SequenceNumber = recs[hi-1].SequenceNumber
			batch.Checkpoint = &cp
		}
		br, err := e.Store.StoreBatch(ctx, batch)
		if err != nil {
			res.Failed = indexes(lo, len(recs))
			st.log(log, len(recs), res, start, err)
			return res, fmt.Errorf("ingest %s: storing records %d-%d of %d: %w", source, lo, hi-1, len(recs), err)
		}
		res.BatchResult = res.BatchResult.Add(br)
		st.chunks++
	}
	st.log(log, len(recs), res, start, nil)
	return res, nil
}

// stats are what one Ingest call logs besides the store's counts.
type stats struct {
	chunks       int
	otherKind    int
	firstOther   string
	decodeErrors int
}

func (s *stats) log(log *slog.Logger, n int, res Result, start time.Time, err error) {
	if s.otherKind > 0 {
		log.Warn("records of the other kind on this stream, stored where they belong; check the Connect instance's data streaming configuration",
			"count", s.otherKind, "first_sequence_number", s.firstOther)
	}
	attrs := []any{
		"records", n, "stored", res.Stored, "duplicate", res.Duplicate, "rejected", res.Rejected,
		"other_kind", s.otherKind, "chunks", s.chunks, "failed", len(res.Failed),
		"duration_ms", time.Since(start).Milliseconds(),
	}
	if err != nil {
		log.Error("ingest failed", append(attrs, "error", err)...)
		return
	}
	// Debug: the runtimes log their own line per invocation or shard
	// progress, and the ingest command prints its counts.
	log.Debug("ingested", attrs...)
}

func indexes(lo, hi int) []int {
	if hi <= lo {
		return nil
	}
	out := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

func (e *Engine) decodeChunk(log *slog.Logger, source string, home Kind, recs []Record, st *stats) connectreporting.Batch {
	var b connectreporting.Batch
	for _, rec := range recs {
		kind, ev, cr, err := decode(home, rec.Data)
		switch {
		case err != nil:
			st.decodeErrors++
			received := connectreporting.UTC(rec.ArrivalTime)
			if received.IsZero() {
				received = e.now()
			}
			reason := strings.ToValidUTF8(err.Error(), "\uFFFD")
			b.Rejected = append(b.Rejected, connectreporting.RejectedRecord{
				Source:         source,
				PartitionKey:   rec.PartitionKey,
				SequenceNumber: rec.SequenceNumber,
				ReceivedAt:     received,
				Error:          reason,
				Payload:        rec.Data,
			})
			log.Warn("record rejected", "sequence_number", rec.SequenceNumber, "partition_key", rec.PartitionKey, "bytes", len(rec.Data), "error", reason)
			continue
		case kind != home:
			if st.otherKind == 0 {
				st.firstOther = rec.SequenceNumber
			}
			st.otherKind++
			log.Debug("record of the other kind", "kind", kind.String(), "sequence_number", rec.SequenceNumber)
		}
		if kind == KindAgentEvent {
			b.AgentEvents = append(b.AgentEvents, ev)
		} else {
			b.ContactRecords = append(b.ContactRecords, cr)
		}
	}
	return b
}

// Decode decodes one record of either kind; home, the kind of the stream it
// came from, decides which decoder explains a record of neither kind. The
// error of a record that decodes with neither decoder wraps a
// *connectreporting.DecodeError (errors.Is(err, connectreporting.ErrMalformed)).
func Decode(home Kind, data []byte) (Kind, connectreporting.AgentEvent, connectreporting.ContactRecord, error) {
	return decode(home, data)
}

func decode(home Kind, data []byte) (kind Kind, ev connectreporting.AgentEvent, cr connectreporting.ContactRecord, err error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return KindUnknown, ev, cr, &connectreporting.DecodeError{Reason: "empty record"}
	}
	kind, derr := DetectKind(data)
	switch kind {
	case KindAgentEvent:
		if ev, err = agentevents.Decode(data); err != nil {
			return KindUnknown, ev, cr, fmt.Errorf("agent event: %w", err)
		}
		return kind, ev, cr, nil
	case KindContactRecord:
		if cr, err = ctr.Decode(data); err != nil {
			return KindUnknown, ev, cr, fmt.Errorf("contact record: %w", err)
		}
		return kind, ev, cr, nil
	}
	if !errors.Is(derr, errNoKind) {
		// Not JSON, or not an object: both decoders would say the same.
		return KindUnknown, ev, cr, derr
	}
	// An object without (or with both) kinds' marks: let the decoders
	// decide and explain, the one of the stream the record came from first.
	var evErr, crErr error
	tryAgent := func() bool { ev, evErr = agentevents.Decode(data); return evErr == nil }
	tryCTR := func() bool { cr, crErr = ctr.Decode(data); return crErr == nil }
	if home == KindContactRecord {
		if tryCTR() {
			return KindContactRecord, ev, cr, nil
		}
		if tryAgent() {
			return KindAgentEvent, ev, cr, nil
		}
		return KindUnknown, ev, cr, &connectreporting.DecodeError{Reason: "not a contact record (" + crErr.Error() + ") nor an agent event (" + evErr.Error() + ")"}
	}
	if tryAgent() {
		return KindAgentEvent, ev, cr, nil
	}
	if tryCTR() {
		return KindContactRecord, ev, cr, nil
	}
	return KindUnknown, ev, cr, &connectreporting.DecodeError{Reason: "not an agent event (" + evErr.Error() + ") nor a contact record (" + crErr.Error() + ")"}
}
