package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// StoreBatch stores one batch of stream records in one transaction and a
// small constant number of statements, whatever the batch size:
//
//   - agent_event rows are inserted once per event_id; a repeated event_id
//     counts as Duplicate. HEART_BEAT events only refresh agent_state unless
//     Options.StoreHeartbeats is set.
//   - agent_state (one row per agent) moves only forward in event time,
//     ordered by (last_event_timestamp, last_event_id).
//   - contact_record keeps the version with the newest last_update_timestamp;
//     on equal timestamps the version whose raw_sha256 is greater wins, so the
//     result never depends on arrival order. contact_attribute rows are
//     replaced together with the record.
//   - rejected records are appended to rejected_record.
//   - b.Checkpoint, when set, moves the shard's lease checkpoint in the
//     same transaction, only if b.Checkpoint.Owner still holds the lease
//     (else nothing is stored and the error matches ErrLeaseLost).
//
// On error nothing of the batch is stored. An error caused by the batch's
// values (a constraint, an out-of-range value) matches
// connectreporting.ErrData: retrying the same batch would fail the same way.
// Any other error is a connection or transient failure: the caller retries.
func (s *Store) StoreBatch(ctx context.Context, b connectreporting.Batch) (connectreporting.BatchResult, error) {
	w := s.dialect.ingestWriter(s)
	p := prepareBatch(b, s.storeHeartbeats())
	if p.empty() && b.Checkpoint == nil {
		return p.res, nil
	}
	days := s.missingDays(batchSpan(p))
	res, err := retryDeadlocks(ctx, s, "store batch", func() (connectreporting.BatchResult, error) {
		return runBatch(ctx, s.DB(), s.dialect, w, p, func(tx *sql.Tx) error {
			if err := s.writeReportDays(ctx, tx, days); err != nil || b.Checkpoint == nil {
				return err
			}
			// Last in the transaction: the checkpoint, fenced on the lease.
			return s.checkpointInTx(ctx, tx, *b.Checkpoint)
		})
	})
	if err != nil {
		// A failed batch may be the database going away: a failover to a
		// replica without the latest commits, a restore. The parts known
		// may be gone with them, so the next batch upserts all its parts.
		s.parts.forget()
		s.logger().ErrorContext(ctx, "store batch failed",
			"agent_events", len(b.AgentEvents), "contact_records", len(b.ContactRecords),
			"rejected", len(b.Rejected), "err", err)
		return connectreporting.BatchResult{}, asDataError(err)
	}
	s.markDays(days)
	if c, ok := w.(interface{ committed() }); ok {
		c.committed()
	}
	s.logger().DebugContext(ctx, "stored batch", res.LogAttrs()...)
	return res, nil
}

// ingestWriter writes a prepared batch inside a transaction; one per dialect.
type ingestWriter interface {
	writeEvents(ctx context.Context, tx *sql.Tx, evs []eventRow) (stored int, err error)
	writeContacts(ctx context.Context, tx *sql.Tx, crs []contactRow) (stored int, err error)
	writeRejected(ctx context.Context, tx *sql.Tx, rs []connectreporting.RejectedRecord) error
	// writeStatusIntervals brings agent_status_interval up to date with the
	// agent events stored in the transaction (see statusBounds).
	writeStatusIntervals(ctx context.Context, tx *sql.Tx, evs []eventRow) error
}

// pipeliner is an ingestWriter that sends statements in one round trip.
type pipeliner interface {
	pipeline(ctx context.Context, tx *sql.Tx, stmts []stmt) error
}

// stmtRunnerOf is w's pipeline when it has one, else execEach.
func stmtRunnerOf(w ingestWriter) stmtRunner {
	if p, ok := w.(pipeliner); ok {
		return p.pipeline
	}
	return execEach
}

// flusher is an ingestWriter that may keep statements of writeEvents
// back for the next round trip (pgIngest.runLater); flush runs what
// writeStatusIntervals did not take along.
type flusher interface {
	flush(ctx context.Context, tx *sql.Tx) error
}

// connWriter is an ingestWriter that also talks to the driver connection
// the batch's transaction runs on (PostgreSQL's COPY, which database/sql
// does not carry).
type connWriter interface {
	// onConn prepares conn (outside any transaction) and returns the
	// writer for the batch's transaction on it.
	onConn(context.Context, *sql.Conn) (ingestWriter, error)
}

func runBatch(ctx context.Context, db *sql.DB, d dialect, w ingestWriter, p preparedBatch, also func(*sql.Tx) error) (res connectreporting.BatchResult, err error) {
	res = p.res
	conn, err := db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("store batch: connection: %w", err)
	}
	defer conn.Close()
	if cw, ok := w.(connWriter); ok {
		if w, err = cw.onConn(ctx, conn); err != nil {
			return res, fmt.Errorf("store batch: %w", err)
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("store batch: begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if len(p.events) > 0 {
		stored, err := w.writeEvents(ctx, tx, p.events)
		if err != nil {
			return res, fmt.Errorf("store batch: write %d agent events: %w", len(p.events), err)
		}
		// A heartbeat counts as one whether or not it moved agent_state (it
		// is no row; a redelivered or stale one is no Duplicate either).
		res.Stored += stored
		res.Duplicate += p.historyEvents - stored
		res.Heartbeat += p.stateOnlyEvents
		if err := w.writeStatusIntervals(ctx, tx, p.events); err != nil {
			return res, fmt.Errorf("store batch: agent status intervals: %w", err)
		}
		// What the events left for a later round trip goes now, before
		// the rollups' lock is taken (lock order).
		if f, ok := w.(flusher); ok {
			if err := f.flush(ctx, tx); err != nil {
				return res, fmt.Errorf("store batch: %w", err)
			}
		}
	}
	if len(p.contacts) > 0 {
		// The rollups' writers take turns from before the stored versions
		// are read until commit (rollup.go).
		existing, touched, err := lockAndProbe(ctx, tx, d, w, p.contacts)
		if err != nil {
			return res, fmt.Errorf("store batch: %w", err)
		}
		stored, err := w.writeContacts(ctx, tx, p.contacts)
		if err != nil {
			return res, fmt.Errorf("store batch: write %d contact records: %w", len(p.contacts), err)
		}
		for i := range p.contacts {
			touched.add(p.contacts[i].InitiationTimestamp, p.contacts[i].AgentID)
		}
		if err := refreshContactRollups(ctx, tx, d, w, intervalRanges(touched.at), touched.agentList()); err != nil {
			return res, fmt.Errorf("store batch: %w", err)
		}
		// Every contact new to the table is stored; the rest of what was
		// written replaced an older version.
		res.Stored += len(p.contacts) - existing
		res.Updated += stored - (len(p.contacts) - existing)
		res.Duplicate += len(p.contacts) - stored
	}
	if len(p.rejected) > 0 {
		if err := w.writeRejected(ctx, tx, p.rejected); err != nil {
			return res, fmt.Errorf("store batch: write %d rejected records: %w", len(p.rejected), err)
		}
		res.Rejected += len(p.rejected)
	}
	if also != nil {
		if err := also(tx); err != nil {
			return res, fmt.Errorf("store batch: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("store batch: commit: %w", err)
	}
	return res, nil
}

// contactProber is an ingestWriter that takes the rollups' lock and reads
// the stored versions of a batch's contacts (existingContacts) in one
// round trip (PostgreSQL).
type contactProber interface {
	lockAndProbe(ctx context.Context, tx *sql.Tx, crs []contactRow) (int, touchedCells, error)
}

// lockAndProbe takes the rollups' lock, then reads what existingContacts
// does.
func lockAndProbe(ctx context.Context, tx *sql.Tx, d dialect, w ingestWriter, crs []contactRow) (int, touchedCells, error) {
	if p, ok := w.(contactProber); ok {
		return p.lockAndProbe(ctx, tx, crs)
	}
	if err := d.lockRollups(ctx, tx); err != nil {
		return 0, touchedCells{}, err
	}
	return existingContacts(ctx, tx, d, crs)
}

// existingContacts counts the contacts of crs that contact_record already
// holds, so a batch tells new contacts (Stored) from newer versions
// (Updated), marks them (contactRow.stored: a writer may insert the others
// without looking for them again), and returns their stored initiation
// timestamps and agents: the intervals and agents whose rollups a
// replacing version may change. crs is sorted by contact_id. One statement
// per 500 ids.
func existingContacts(ctx context.Context, tx *sql.Tx, d dialect, crs []contactRow) (int, touchedCells, error) {
	var tc touchedCells
	n := 0
	for lo := 0; lo < len(crs); lo += 500 {
		hi := min(lo+500, len(crs))
		var q strings.Builder
		args := make([]any, 0, hi-lo)
		q.WriteString("SELECT contact_id, initiation_timestamp, agent_id FROM contact_record WHERE contact_id IN (")
		for i := lo; i < hi; i++ {
			if i > lo {
				q.WriteString(", ")
			}
			q.WriteString(d.placeholder(i - lo + 1))
			args = append(args, crs[i].ContactID)
		}
		q.WriteString(")")
		rows, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return 0, tc, fmt.Errorf("read stored contacts: %w", err)
		}
		k, err := scanStored(rows, crs[lo:hi], &tc)
		rows.Close()
		if err != nil {
			return 0, tc, fmt.Errorf("read stored contacts: %w", err)
		}
		n += k
	}
	return n, tc, nil
}

// rowReader is what scanStored reads: database/sql's or pgx's rows.
type rowReader interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanStored reads the (contact_id, initiation_timestamp, agent_id) rows
// of a query: it marks the contact of crs (sorted by contact_id) each row
// is, adds the row's cell to tc, and returns how many it read.
func scanStored(rows rowReader, crs []contactRow, tc *touchedCells) (int, error) {
	n := 0
	for rows.Next() {
		var id string
		var t time.Time
		var agent sql.NullString
		if err := rows.Scan(&id, scanTime{&t}, &agent); err != nil {
			return 0, err
		}
		if i, ok := slices.BinarySearchFunc(crs, id, func(c contactRow, id string) int { return strings.Compare(c.ContactID, id) }); ok {
			crs[i].stored = true
		}
		tc.add(t, agent.String)
		n++
	}
	return n, rows.Err()
}

// eventRow is one distinct agent event of a batch.
type eventRow struct {
	*connectreporting.AgentEvent
	// history: stored as an agent_event row.
	history bool
	// state: the newest event of its agent in this batch, offered to agent_state.
	state bool
	// stored is raw as PostgreSQL stores it (rawdoc.go), set by
	// encodeEvent (encoded: it was).
	stored  encodedRaw
	encoded bool
}

// contactRow is the newest version of one contact in a batch.
type contactRow struct {
	*connectreporting.ContactRecord
	rawHash string
	attrs   []attribute // sorted by name
	// stored: contact_record holds a version of it (existingContacts).
	stored bool
}

type attribute struct{ name, value string }

type preparedBatch struct {
	events          []eventRow   // distinct event ids, sorted by event_id
	historyEvents   int          // events with history set
	stateOnlyEvents int          // events not kept as history (heartbeats): Heartbeat, whether or not they move agent_state
	contacts        []contactRow // newest version per contact_id, sorted by contact_id
	rejected        []connectreporting.RejectedRecord
	res             connectreporting.BatchResult // counts settled before writing (in-batch duplicates)
}

func (p preparedBatch) empty() bool {
	return len(p.events) == 0 && len(p.contacts) == 0 && len(p.rejected) == 0
}

// prepareBatch dedupes and orders a batch so that each statement touches a
// row at most once and rows are locked in key order (no deadlocks between
// concurrent batches). In-batch duplicates and superseded contact versions
// are counted as Duplicate here.
func prepareBatch(b connectreporting.Batch, storeHeartbeats bool) preparedBatch {
	var p preparedBatch
	seenRejected := make(map[string]bool, len(b.Rejected))
	for _, r := range b.Rejected {
		k := r.Source + "\x00" + r.PartitionKey + "\x00" + r.SequenceNumber + "\x00" + string(r.Payload)
		if seenRejected[k] {
			p.res.Rejected++ // the same record twice in a batch is parked once
			continue
		}
		seenRejected[k] = true
		p.rejected = append(p.rejected, r)
	}

	p.prepareEvents(b.AgentEvents, storeHeartbeats)
	newest := make(map[string]int) // agent_id -> index in p.events
	for i := range p.events {
		e := &p.events[i]
		if e.history {
			p.historyEvents++
		} else {
			p.stateOnlyEvents++
		}
		if e.AgentID == "" || e.EventTimestamp.IsZero() {
			continue
		}
		j, ok := newest[e.AgentID]
		if !ok || eventAfter(e.AgentEvent, p.events[j].AgentEvent) {
			newest[e.AgentID] = i
		}
	}
	for _, i := range newest {
		p.events[i].state = true
	}

	byID := make(map[string]int, len(b.ContactRecords))
	for i := range b.ContactRecords {
		c := &b.ContactRecords[i]
		if c.ContactID == "" {
			p.rejected = append(p.rejected, rejectFromStore(connectreporting.SourceCTR, c.Raw, "contact record without ContactId"))
			continue
		}
		row := contactRow{ContactRecord: c, rawHash: rawHash(c.Raw)}
		j, ok := byID[c.ContactID]
		if !ok {
			byID[c.ContactID] = len(p.contacts)
			p.contacts = append(p.contacts, row)
			continue
		}
		p.res.Duplicate++
		if contactNewer(row, p.contacts[j]) {
			p.contacts[j] = row
		}
	}
	slices.SortFunc(p.contacts, func(a, b contactRow) int { return strings.Compare(a.ContactID, b.ContactID) })
	for i := range p.contacts {
		c := &p.contacts[i]
		c.attrs = make([]attribute, 0, len(c.Attributes))
		for k, v := range c.Attributes {
			c.attrs = append(c.attrs, attribute{k, v})
		}
		slices.SortFunc(c.attrs, func(a, b attribute) int { return strings.Compare(a.name, b.name) })
	}
	return p
}

// prepareEvents sets p.events: the events of evs with an id, the first of
// each id (the others count as Duplicate), sorted by event_id; an event
// without an id is rejected. The events are sorted by pointer before the
// rows are made: an eventRow is a few hundred bytes, which sorting moved
// about (most of the batch's client CPU before its COPY).
func (p *preparedBatch) prepareEvents(evs []connectreporting.AgentEvent, storeHeartbeats bool) {
	seen := make(map[string]bool, len(evs))
	order := make([]*connectreporting.AgentEvent, 0, len(evs))
	for i := range evs {
		e := &evs[i]
		if e.EventID == "" {
			p.rejected = append(p.rejected, rejectFromStore(connectreporting.SourceAgentEvents, e.Raw, "agent event without EventId"))
			continue
		}
		if seen[e.EventID] {
			p.res.Duplicate++
			continue
		}
		seen[e.EventID] = true
		order = append(order, e)
	}
	slices.SortFunc(order, func(a, b *connectreporting.AgentEvent) int { return strings.Compare(a.EventID, b.EventID) })
	p.events = make([]eventRow, len(order))
	for i, e := range order {
		p.events[i] = eventRow{AgentEvent: e, history: storeHeartbeats || e.EventType != connectreporting.AgentEventHeartBeat}
	}
}

// eventAfter orders agent events as agent_state does: by event time, then
// event id (byte order).
func eventAfter(a, b *connectreporting.AgentEvent) bool {
	if c := a.EventTimestamp.Compare(b.EventTimestamp); c != 0 {
		return c > 0
	}
	return a.EventID > b.EventID
}

// contactNewer orders contact versions as contact_record does: by
// last_update_timestamp (absent is oldest), then raw_sha256.
func contactNewer(a, b contactRow) bool {
	if c := a.LastUpdateTimestamp.Compare(b.LastUpdateTimestamp); c != 0 {
		return c > 0
	}
	return a.rawHash > b.rawHash
}

func rawHash(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

func rejectFromStore(source string, raw []byte, reason string) connectreporting.RejectedRecord {
	return connectreporting.RejectedRecord{
		Source:     source,
		ReceivedAt: time.Now().UTC(),
		Error:      reason,
		Payload:    raw,
	}
}
