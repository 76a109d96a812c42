package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

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
	Logger    *slog.Logger // default slog.Default()
	ChunkSize int          // records per StoreBatch call (transaction); default DefaultChunkSize
	// Now is the clock for RejectedRecord.ReceivedAt when a record has no
	// ArrivalTime; default time.Now. It is called from several goroutines
	// at once (a chunk is decoded in parts side by side).
	Now func() time.Time
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
// When the store refuses a chunk because of its values (an error matching
// connectreporting.ErrData), the chunk is split in halves, and halves of
// halves, until the records the store refuses are single: each is parked as
// a rejected record with the store's error, and the rest is stored. A
// record never blocks a stream.
//
// When a chunk cannot be stored for any other reason (the database is down),
// Result.Failed holds the indexes of that chunk's records and of every later
// one, nothing after it is attempted, and the store's error is returned
// wrapped. The counts of what was stored before stay in the Result.
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
	r, err := e.newRun(source, shard)
	if err != nil {
		return Result{Failed: indexes(0, len(recs))}, err
	}
	size, lo := e.chunkSize(), 0
	failed, err := r.pipe(ctx, func() []Record {
		hi := min(lo+size, len(recs))
		chunk := recs[lo:hi]
		lo = hi
		return chunk
	})
	if err != nil {
		r.res.Failed = indexes(failed, len(recs))
		err = fmt.Errorf("ingest %s: records %d-%d of %d not stored: %w", source, failed, len(recs)-1, len(recs), err)
	}
	r.st.log(r.log, len(recs), r.res, r.start, err)
	return r.res, err
}

// run is one ingest call: its chunks go through pipe, and what it logs.
type run struct {
	e      *Engine
	log    *slog.Logger
	source string
	home   Kind
	shard  *connectreporting.ShardCheckpoint
	start  time.Time
	st     stats
	res    Result
}

func (e *Engine) newRun(source string, shard *connectreporting.ShardCheckpoint) (*run, error) {
	home, err := KindOf(source)
	if err == nil && e.Store == nil {
		err = errors.New("no store")
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return &run{e: e, log: e.logger().With("source", source), source: source, home: home, shard: shard, start: time.Now()}, nil
}

// decodedChunk is a chunk of records and their decoded items; lo is the
// index of its first record among all the records of the run.
type decodedChunk struct {
	lo    int
	recs  []Record
	items []item
	st    stats // of the decoding
}

// pipe stores the chunks next yields (until an empty one), in order, one
// StoreBatch call (transaction) each, and decodes the next chunk in a
// goroutine of its own while the previous one is stored: the database's
// work and the decoding's overlap, on a machine with a core to spare.
// When a chunk cannot be stored (or ctx ends), no later chunk is stored
// or yielded; pipe returns the index of the chunk's first record and the
// error. next is called from the decoding goroutine only, and never again
// once pipe has returned.
func (r *run) pipe(ctx context.Context, next func() []Record) (failed int, err error) {
	chunks := make(chan decodedChunk, 1)
	stop := make(chan struct{})
	go func() {
		defer close(chunks)
		for lo := 0; ; {
			select {
			case <-stop:
				return
			default:
			}
			t := time.Now()
			recs := next()
			if len(recs) == 0 {
				return
			}
			d := decodedChunk{lo: lo, recs: recs}
			d.items = r.e.decodeChunk(r.log, r.source, r.home, recs, &d.st)
			d.st.decoding = time.Since(t)
			lo += len(recs)
			chunks <- d
		}
	}()
	t := time.Now()
	for d := range chunks {
		r.st.addDecoding(d.st)
		if err != nil {
			continue // draining: the decoder stops at its next chunk
		}
		r.st.waiting += time.Since(t)
		if err = ctx.Err(); err == nil {
			var br connectreporting.BatchResult
			t = time.Now()
			br, err = r.e.storeItems(ctx, r.log, chunkOf{r.source, d.recs, r.shard}, d.items, &r.st)
			r.st.storing += time.Since(t)
			r.res.BatchResult = r.res.BatchResult.Add(br)
		}
		t = time.Now()
		if err != nil {
			failed = d.lo
			close(stop)
			continue
		}
		r.st.chunks++
	}
	return failed, err
}

// stats are what one Ingest call logs besides the store's counts.
type stats struct {
	chunks       int
	otherKind    int
	firstOther   string
	decodeErrors int
	storeRefused int // records the store refused, parked by bisection
	// Where the time went: reading and decoding chunks (in the decoding
	// goroutine), storing them, and waiting for a decoded chunk to store
	// (about none when decoding keeps ahead and the store sets the pace).
	decoding, storing, waiting time.Duration
}

// addDecoding adds the counts of a chunk's decoding d.
func (s *stats) addDecoding(d stats) {
	if s.otherKind == 0 {
		s.firstOther = d.firstOther
	}
	s.otherKind += d.otherKind
	s.decodeErrors += d.decodeErrors
	s.decoding += d.decoding
}

func (s *stats) log(log *slog.Logger, n int, res Result, start time.Time, err error) {
	if s.otherKind > 0 {
		log.Warn("records of the other kind on this stream, stored where they belong; check the Connect instance's data streaming configuration",
			"count", s.otherKind, "first_sequence_number", s.firstOther)
	}
	attrs := append([]any{"records", n}, res.LogAttrs()...)
	attrs = append(attrs,
		"other_kind", s.otherKind, "refused_by_store", s.storeRefused, "chunks", s.chunks, "failed", len(res.Failed),
		"duration_ms", time.Since(start).Milliseconds(),
		"decode_ms", s.decoding.Milliseconds(), "store_ms", s.storing.Milliseconds(), "store_waited_ms", s.waiting.Milliseconds())
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

// item is one record of a chunk, decoded or rejected.
type item struct {
	idx  int // index in the chunk
	kind Kind
	ev   connectreporting.AgentEvent
	cr   connectreporting.ContactRecord
	rej  *connectreporting.RejectedRecord
}

// decodeChunk decodes recs into their items. A chunk of 2*minPart
// records or more is decoded in parts side by side, one goroutine a
// part, as many as GOMAXPROCS: a batch's decoding can take about half as
// long on 2 cores when the other one is free (a Lambda batch, the first
// chunk of a file). The items and the counts are the same either way.
func (e *Engine) decodeChunk(log *slog.Logger, source string, home Kind, recs []Record, st *stats) []item {
	items := make([]item, len(recs))
	parts := min(runtime.GOMAXPROCS(0), len(recs)/minPart)
	if parts <= 1 {
		e.decodePart(log, source, home, recs, items, 0, st)
		return items
	}
	size := (len(recs) + parts - 1) / parts
	sts := make([]stats, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := min(p*size, len(recs)), min((p+1)*size, len(recs))
		wg.Go(func() { e.decodePart(log, source, home, recs[lo:hi], items[lo:hi], lo, &sts[p]) })
	}
	wg.Wait()
	for _, ps := range sts {
		st.addDecoding(ps) // in order: the first record of the other kind stays the first
	}
	return items
}

// minPart is the fewest records decodeChunk gives a goroutine of its own.
const minPart = 64

// decodePart decodes recs, which start at index lo of their chunk, into
// items (as long as recs).
func (e *Engine) decodePart(log *slog.Logger, source string, home Kind, recs []Record, items []item, lo int, st *stats) {
	for i, rec := range recs {
		it := item{idx: lo + i}
		var err error
		if rec.Size > len(rec.Data) {
			err = fmt.Errorf("%w (%d bytes)", ErrRecordTooLarge, rec.Size)
		} else {
			it.kind, it.ev, it.cr, err = decode(home, rec.Data)
		}
		switch {
		case err != nil:
			st.decodeErrors++
			r := e.reject(source, rec, err.Error())
			it.rej = &r
			log.Warn("record rejected", "sequence_number", rec.SequenceNumber, "partition_key", rec.PartitionKey, "bytes", len(rec.Data), "error", r.Error)
		case it.kind != home:
			if st.otherKind == 0 {
				st.firstOther = rec.SequenceNumber
			}
			st.otherKind++
			log.Debug("record of the other kind", "kind", it.kind.String(), "sequence_number", rec.SequenceNumber)
		}
		items[i] = it
	}
}

// chunkOf is what storeItems needs to know of the chunk its items come from.
type chunkOf struct {
	source string
	recs   []Record
	shard  *connectreporting.ShardCheckpoint // the daemon's lease, or nil
}

// batchOf is the batch of items; under a lease it moves the shard's
// checkpoint to the record of its last item.
func (c chunkOf) batchOf(items []item) connectreporting.Batch {
	var b connectreporting.Batch
	for i := range items {
		switch it := &items[i]; {
		case it.rej != nil:
			b.Rejected = append(b.Rejected, *it.rej)
		case it.kind == KindAgentEvent:
			b.AgentEvents = append(b.AgentEvents, it.ev)
		default:
			b.ContactRecords = append(b.ContactRecords, it.cr)
		}
	}
	if c.shard != nil && len(items) > 0 {
		cp := *c.shard
		cp.SequenceNumber = c.recs[items[len(items)-1].idx].SequenceNumber
		b.Checkpoint = &cp
	}
	return b
}

// storeItems stores items in one StoreBatch call. When the store refuses
// them for their values (connectreporting.ErrData), it stores each half
// the same way, in order (so a shard's checkpoint only moves forward), down
// to the single record, which it parks with the store's error. Any other
// error is returned, with the counts of what was stored.
func (e *Engine) storeItems(ctx context.Context, log *slog.Logger, c chunkOf, items []item, st *stats) (connectreporting.BatchResult, error) {
	br, err := e.Store.StoreBatch(ctx, c.batchOf(items))
	if err == nil || !errors.Is(err, connectreporting.ErrData) || len(items) == 0 {
		return br, err
	}
	if len(items) == 1 {
		if items[0].rej != nil {
			return br, err // the parked record itself was refused: nothing left to isolate
		}
		rec := c.recs[items[0].idx]
		r := e.reject(c.source, rec, "refused by the database: "+err.Error())
		st.storeRefused++
		log.Warn("record refused by the database, parked", "sequence_number", rec.SequenceNumber, "partition_key", rec.PartitionKey, "bytes", len(rec.Data), "error", r.Error)
		return e.Store.StoreBatch(ctx, c.batchOf([]item{{idx: items[0].idx, rej: &r}}))
	}
	mid := len(items) / 2
	a, err := e.storeItems(ctx, log, c, items[:mid], st)
	if err != nil {
		return a, err
	}
	b, err := e.storeItems(ctx, log, c, items[mid:], st)
	return a.Add(b), err
}

// reject makes the rejected record of rec, within what rejected_record's
// columns hold on every dialect: the partition key and sequence number are
// clipped to connectreporting.MaxPartitionKeyLen and MaxSequenceNumberLen, the payload to
// connectreporting.MaxPayloadLen (the error says so).
func (e *Engine) reject(source string, rec Record, reason string) connectreporting.RejectedRecord {
	received := connectreporting.UTC(rec.ArrivalTime)
	if received.IsZero() || !connectreporting.TimeInRange(received) {
		received = e.now()
	}
	payload := rec.Data
	if rec.Size > len(payload) || len(payload) > connectreporting.MaxPayloadLen {
		size := max(rec.Size, len(payload))
		payload = payload[:min(len(payload), connectreporting.MaxPayloadLen)]
		reason += fmt.Sprintf(" (payload truncated: the first %d of %d bytes kept)", len(payload), size)
	}
	return connectreporting.RejectedRecord{
		Source:         source,
		PartitionKey:   clipTail(rec.PartitionKey, connectreporting.MaxPartitionKeyLen),
		SequenceNumber: clipHead(rec.SequenceNumber, connectreporting.MaxSequenceNumberLen),
		ReceivedAt:     received,
		Error:          clipTail(strings.ToValidUTF8(reason, "\uFFFD"), maxErrorLen),
		Payload:        payload,
	}
}

// maxErrorLen bounds the error text of a rejected record.
const maxErrorLen = 4000

// clipTail keeps the start of s, at most n UTF-16 units with the "…" that
// marks the cut.
func clipTail(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if connectreporting.TextLen(s) <= n {
		return s
	}
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > n-1 {
			return s[:i] + "…"
		}
	}
	return s
}

// clipHead keeps the end of s (a file's sequence number "path:n" keeps n).
func clipHead(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if connectreporting.TextLen(s) <= n {
		return s
	}
	units := 0
	for i := len(s); i > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if units += utf16.RuneLen(r); units > n-1 {
			return "…" + s[i:]
		}
		i -= size
	}
	return s
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
	// The fast path: the kind from the top-level fields as the record is
	// cleaned (one pass over the bytes), then the one decoder (a single
	// streaming read). A record it
	// cannot tell, or that its decoder refuses, takes the full path below,
	// which gives the same answer and explains the refusal.
	if kind, doc, ok := sniffKind(data); ok {
		switch kind {
		case KindAgentEvent:
			if ev, err = agentevents.DecodeClean(doc); err == nil {
				return kind, ev, cr, nil
			}
		case KindContactRecord:
			if cr, err = ctr.DecodeClean(doc); err == nil {
				return kind, ev, cr, nil
			}
		}
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
