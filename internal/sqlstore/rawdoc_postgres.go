package sqlstore

import (
	"bytes"
	"slices"
	"sync"
	"time"
)

// pgPartCols are the agent_event columns keying the parts cut out of raw
// on PostgreSQL (rawdoc.go, migration 00012), in encodedRaw.keys order.
var pgPartCols = [4]string{"configuration_sha256", "previous_configuration_sha256",
	"agent_status_sha256", "previous_agent_status_sha256"}

// pgEventCols are agent_event's columns as PostgreSQL's ingest writes them:
// agentEventCols with raw encoded, then the part keys (encodeEvent sets
// both in eventRow.stored).
var pgEventCols = func() []ingestCol[eventRow] {
	cols := slices.Clone(agentEventCols)
	for i, c := range cols {
		if c.name == "raw" {
			cols[i].get = func(e *eventRow) any { return e.stored.raw }
		}
	}
	for i, name := range pgPartCols {
		p, slot := i/2, i%2
		cols = append(cols, ingestCol[eventRow]{name, kBytes, func(e *eventRow) any { return e.stored.keys[p][slot] }})
	}
	return cols
}()

// partDay is the granularity of agent_event_part.last_event_timestamp: the
// newest event naming the part, truncated to the UTC day, so a part's row
// changes at most once a day of event time (and the same whatever order
// the events arrive in). maintain allows for it.
const partDay = 24 * time.Hour

type pgPart struct {
	key, text []byte
	last      time.Time
}

// pgEventParts are the parts the encoded events of evs name, in key order,
// each once, with the newest day of the events naming it.
func pgEventParts(evs []eventRow) []pgPart {
	var parts []pgPart
	byKey := map[string]int{}
	keep := func(key, text []byte, at time.Time) {
		at = at.UTC().Truncate(partDay)
		if i, ok := byKey[string(key)]; ok {
			if at.After(parts[i].last) {
				parts[i].last = at
			}
			return
		}
		byKey[string(key)] = len(parts)
		parts = append(parts, pgPart{key, text, at})
	}
	for i := range evs {
		ev := &evs[i]
		for p := range ev.stored.keys {
			for slot, key := range ev.stored.keys[p] {
				if key != nil {
					keep(key, ev.stored.texts[p][slot], ev.EventTimestamp)
				}
			}
		}
	}
	slices.SortFunc(parts, func(a, b pgPart) int { return bytes.Compare(a.key, b.key) })
	return parts
}

// encodeEvent sets ev's stored raw: encoded when ev is kept as history,
// else whole (it never reaches agent_event, only the staging table).
func encodeEvent(ev *eventRow, keys *partKeys) {
	ev.encoded = true
	if !ev.history {
		ev.stored = encodedRaw{raw: ev.Raw}
		return
	}
	ev.stored = encodeAgentRaw(ev.Raw, rawColumns{eventID: ev.EventID, eventType: ev.EventType,
		agentARN: ev.AgentARN, eventTime: ev.EventTimestamp}, keys)
}

// eventEncoder encodes a batch's events one at a time, in batch order, as
// the COPY stream of agent_event reaches them (on the connection's COPY
// goroutine: the client encodes the next rows while the server stores the
// ones sent), then, once the COPY is over (finish), those it did not reach:
// the events kept out of history, and all after a row the COPY failed on.
// An event is encoded once whatever path the batch then takes (the staged
// fallback, a retry of the transaction): its stored raw is kept in the
// batch. Every event is encoded by encodeEvent with the batch's one
// partKeys, in batch order, however far the COPY reached.
type eventEncoder struct {
	mu   sync.Mutex
	evs  []eventRow
	keys *partKeys
	done bool // finish was called: the COPY's goroutine encodes nothing more
}

func newEventEncoder(evs []eventRow) *eventEncoder {
	return &eventEncoder{evs: evs, keys: newPartKeys()}
}

// at encodes evs[i] (unless it is encoded already) and reports whether it
// may be read; false once finish was called (a COPY whose connection broke
// can leave its goroutine reading after CopyFrom returned).
func (e *eventEncoder) at(i int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return false
	}
	if !e.evs[i].encoded {
		encodeEvent(&e.evs[i], e.keys)
	}
	return true
}

// finish ends the COPY's share and encodes every event not encoded yet.
func (e *eventEncoder) finish() {
	e.mu.Lock()
	e.done = true
	e.mu.Unlock()
	for i := range e.evs {
		if !e.evs[i].encoded {
			encodeEvent(&e.evs[i], e.keys)
		}
	}
}

// pgPartSQL keeps each part once; an existing row only moves its
// last_event_timestamp forward. A batch's parts are mostly stored already
// with that day: they are left out before the upsert, which would lock
// each row it is offered even when its WHERE then leaves it as it is. Rows
// are written in key order, so concurrent batches lock them in the same
// order.
const pgPartSQL = `INSERT INTO agent_event_part AS s (sha256, part, last_event_timestamp)
SELECT n.sha256, n.part, n.last_event_timestamp
FROM unnest($1::bytea[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS n(sha256, part, last_event_timestamp, i)
LEFT JOIN agent_event_part o ON o.sha256 = n.sha256
WHERE o.sha256 IS NULL OR o.last_event_timestamp < n.last_event_timestamp
ORDER BY n.i
ON CONFLICT (sha256) DO UPDATE SET last_event_timestamp = excluded.last_event_timestamp
WHERE s.last_event_timestamp < excluded.last_event_timestamp`

// pgKnownParts are the parts a Store's batches committed to
// agent_event_part, each with the newest day it was stored with: a part
// known with its batch's day or a later one is in the table with that day
// or a later one (its row only moves forward), so the batch leaves it out
// of the upsert, and a batch whose parts are all known sends none. A
// realistic batch names mostly the parts of the batches before it (an
// agent's configuration and status change rarely).
//
// A Store forgets every part when one of its batches fails (the database
// may have gone back in time: a failover, a restore). Only maintain deletes
// parts, those whose day is more than a day before its cutoff: a Store
// forgets every part when it runs maintain; another process's maintain
// deletes only parts known with a day that old, which a batch leaves out
// only for events older still, whose raw maintain clears anyway (their
// document reads as NULL meanwhile, like a cleared raw).
type pgKnownParts struct {
	mu   sync.Mutex
	days map[string]time.Time
}

// maxKnownParts bounds pgKnownParts: past it, it starts again empty.
const maxKnownParts = 1 << 16

// unknown returns the parts of ps not known with their day or a later one.
func (k *pgKnownParts) unknown(ps []pgPart) []pgPart {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []pgPart
	for _, p := range ps {
		if d, ok := k.days[string(p.key)]; !ok || d.Before(p.last) {
			out = append(out, p)
		}
	}
	return out
}

// add records ps, upserted by a transaction that committed.
func (k *pgKnownParts) add(ps []pgPart) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.days == nil || len(k.days)+len(ps) > maxKnownParts {
		k.days = make(map[string]time.Time, len(ps))
	}
	for _, p := range ps {
		if d, ok := k.days[string(p.key)]; !ok || d.Before(p.last) {
			k.days[string(p.key)] = p.last
		}
	}
}

// forget drops every known part (maintain deleted some, or a batch failed).
func (k *pgKnownParts) forget() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.days = nil
}

// pgBatchParts are a batch's dealings with its Store's known parts: the
// parts its transaction upserted, made known when it commits.
type pgBatchParts struct {
	known   *pgKnownParts
	written []pgPart
}

// toWrite are the parts of ps the batch upserts (all of them without a
// Store's known parts); a retried transaction writes them again.
func (b *pgBatchParts) toWrite(ps []pgPart) []pgPart {
	if b == nil {
		return ps
	}
	b.written = b.known.unknown(ps)
	return b.written
}

// committed makes the parts the batch upserted known.
func (b *pgBatchParts) committed() {
	if b != nil {
		b.known.add(b.written)
	}
}

// pgPartsStmt is the statement storing a batch's parts, in the
// transaction that stores the events naming them; ok is false when there
// are none.
func pgPartsStmt(parts []pgPart) (st stmt, ok bool) {
	if len(parts) == 0 {
		return stmt{}, false
	}
	keys := make([][]byte, len(parts))
	texts := make([]string, len(parts))
	last := make([]time.Time, len(parts))
	for i, p := range parts {
		keys[i], texts[i], last[i] = p.key, string(p.text), p.last
	}
	return stmt{what: "agent event parts", query: pgPartSQL, args: []any{keys, texts, last}}, true
}
