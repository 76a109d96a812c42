package sqlstore

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strings"
	"time"
)

// On PostgreSQL an agent event's raw is stored encoded (migration 00012):
// the two copies of the agent's configuration (CurrentAgentSnapshot and
// PreviousAgentSnapshot .Configuration, two thirds of a realistic event)
// and of its status (.AgentStatus) are kept once per distinct text in
// agent_event_part, and the values that agent_event's own columns already
// hold (EventId, AgentARN, EventType, EventTimestamp, AWSAccountId, and
// the instance's ARN wherever it occurs) are left out. Each cut is replaced by a control byte, which JSON text never
// holds (RFC 8259 allows none outside strings, and strings must escape
// them), so the stored text says unambiguously where each piece goes back.
// The view agent_event_document puts them back with replace(): the
// document comes back byte for byte as the decoder handed it over. It puts
// the parts in before the columns' values, so a part may hold those
// markers too: a status keeps the event's own time marked (partText).
//
// Markers and what each stands for:
const (
	markConfiguration         = '\x01' // the part configuration_sha256 names
	markPreviousConfiguration = '\x02' // the part previous_configuration_sha256 names
	markEventID               = '\x03' // `"` + event_id + `"`
	markAgentARN              = '\x04' // `"` + agent_arn + `"`
	markInstanceARN           = '\x05' // agent_arn before "/agent/", everywhere else in raw
	markAgentStatus           = '\x06' // the part agent_status_sha256 names
	markPreviousAgentStatus   = '\x07' // the part previous_agent_status_sha256 names
	markEventTimestamp        = '\x08' // `"` + event_timestamp as Connect writes it + `"`
	markEventType             = '\x0e' // `"` + event_type + `"`
	markAccount               = '\x0f' // `"` + the account in agent_arn + `"`
)

// rawColumns are the agent_event columns an encoded raw is read back with.
type rawColumns struct {
	eventID, eventType, agentARN string
	eventTime                    time.Time
}

// rawMembers are the top-level members of an agent event cut out of raw
// when their value is exactly what value gives from the row's columns ("":
// never), with their markers.
var rawMembers = []struct {
	member string
	mark   byte
	value  func(rawColumns) string
}{
	{"EventId", markEventID, func(c rawColumns) string { return quoted(c.eventID) }},
	{"AgentARN", markAgentARN, func(c rawColumns) string { return quoted(c.agentARN) }},
	{"EventType", markEventType, func(c rawColumns) string { return quoted(c.eventType) }},
	{"EventTimestamp", markEventTimestamp, func(c rawColumns) string { return quoted(connectTime(c.eventTime)) }},
	{"AWSAccountId", markAccount, func(c rawColumns) string { return quoted(arnAccount(c.agentARN)) }},
}

// quoted is s between quotes ("" for ""): the JSON text of a string
// that needs no escapes, as the view builds it ('"' || column || '"').
func quoted(s string) string {
	if s == "" {
		return ""
	}
	return `"` + s + `"`
}

// connectTime is t as Connect writes event timestamps and the view's
// to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') gives it
// back ("" for a time that format cannot give back exactly).
func connectTime(t time.Time) string {
	if t.IsZero() || t.Year() < 1000 || t.Year() > 9999 || t.Nanosecond()%int(time.Millisecond) != 0 {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// arnAccount is the account of an ARN (its fifth ':' field, as the view's
// split_part gives it; "" when there is none).
func arnAccount(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 5 {
		return ""
	}
	return f[4]
}

// rawParts are the members of both agent snapshots kept in agent_event_part,
// with the marker of the current snapshot's (the previous snapshot's is the
// next byte).
var rawParts = [2]struct {
	member string
	mark   byte
}{{"Configuration", markConfiguration}, {"AgentStatus", markAgentStatus}}

// instanceARN is the part of an agent's ARN before "/agent/": the ARN of
// its Connect instance ("" when agentARN has no such part).
func instanceARN(agentARN string) string {
	i := strings.Index(agentARN, "/agent/")
	if i <= 0 {
		return ""
	}
	return agentARN[:i]
}

// partKeyLen is how many bytes of SHA-256 key a part: 128 bits, enough
// that two distinct parts never share one.
const partKeyLen = 16

// encodedRaw is an agent event's raw as PostgreSQL stores it.
type encodedRaw struct {
	raw []byte
	// keys[p][0] and keys[p][1] key rawParts[p] of the current and the
	// previous snapshot (nil: not cut out). keys[p][1] is nil too when the
	// previous snapshot's part is the current one's: both places then hold
	// the current one's marker.
	keys  [2][2][]byte
	texts [2][2][]byte // the parts' JSON text
}

// encoded reports whether raw was encoded (else it is kept whole).
func (e encodedRaw) encoded() bool { return e.keys[0][0] != nil }

// encodeAgentRaw encodes raw, the compact JSON of one agent event stored
// with the columns cols; keys keys the parts and knows the texts they were
// in the batch's events before (a batch's cache, or nil). A document it
// cannot encode (no current configuration object, white space or control
// bytes, not an object) comes back as it is, not encoded: agent_event then
// keeps it whole.
func encodeAgentRaw(raw []byte, cols rawColumns, keys *partKeys) encodedRaw {
	whole := encodedRaw{raw: raw}
	sc := agentRawScan{raw: raw, cols: cols, keys: keys, cuts: make([]rawCut, 0, len(rawMembers)+2*len(rawParts))}
	ok := scanObject(raw, 0, sc.valueEnd, sc.member) == len(raw) && !sc.bad
	cuts, parts := sc.cuts, sc.parts
	if !ok || parts[0][0].to == 0 {
		return whole
	}
	for p := range parts {
		if parts[p][0].to != 0 {
			keys.remember(cols.agentARN, p, raw[parts[p][0].from:parts[p][0].to])
		}
	}
	var e encodedRaw
	for p := range parts {
		cur, prev := parts[p][0], parts[p][1]
		if cur.to == 0 {
			continue // a previous part without a current one stays in raw
		}
		cuts = append(cuts, cur)
		text := raw[cur.from:cur.to]
		e.texts[p][0] = partText(p, text, cols)
		e.keys[p][0] = keys.key(e.texts[p][0])
		if prev.to == 0 {
			continue
		}
		if prevText := raw[prev.from:prev.to]; bytes.Equal(prevText, text) {
			prev.mark = cur.mark
		} else {
			e.texts[p][1] = partText(p, prevText, cols)
			e.keys[p][1] = keys.key(e.texts[p][1])
		}
		cuts = append(cuts, prev)
	}
	e.raw = applyCuts(raw, cuts, []byte(instanceARN(cols.agentARN)))
	return e
}

// statusPart is the index in rawParts of AgentStatus.
const statusPart = 1

// partText is the text part p is kept as. A status's StartTimestamp is the
// event's own time when the event is the one that changed it (every event
// of a batch of new status starts): such a status text is named by that
// event alone, a part row for each event, unless the time is marked as
// the top-level EventTimestamp is (markEventTimestamp: agent_event_document
// replaces the marker after it put the parts in, so every occurrence of
// the quoted time comes back as it was). The marked text is the same for
// every event that changed the agent to that status.
func partText(p int, text []byte, cols rawColumns) []byte {
	if p != statusPart {
		return text
	}
	at := quoted(connectTime(cols.eventTime))
	if at == "" || !bytes.Contains(text, []byte(at)) {
		return text
	}
	return bytes.ReplaceAll(text, []byte(at), []byte{markEventTimestamp})
}

// agentRawScan finds, in one pass over an agent event's compact JSON, the
// top-level members rawMembers cuts out and the parts of both snapshots.
type agentRawScan struct {
	raw   []byte
	cols  rawColumns
	keys  *partKeys
	cuts  []rawCut
	parts [2][2]rawCut // [part][slot]; to == 0: none
	bad   bool         // a snapshot object is not compact JSON
}

// member cuts out a top-level member whose value is what the columns give.
func (sc *agentRawScan) member(key, v []byte, at int) bool {
	for _, m := range rawMembers {
		if string(key) == m.member {
			if want := m.value(sc.cols); want != "" && string(v) == want {
				sc.cuts = append(sc.cuts, rawCut{at, at + len(v), m.mark})
			}
			return true
		}
	}
	return true
}

// valueEnd is where a top-level value ends when it is a snapshot object,
// scanned (once) for its parts by snapshot; -1 for any other value.
func (sc *agentRawScan) valueEnd(key []byte, at int) int {
	slot := -1
	switch string(key) {
	case "CurrentAgentSnapshot":
		slot = 0
	case "PreviousAgentSnapshot":
		slot = 1
	}
	if slot < 0 || at >= len(sc.raw) || sc.raw[at] != '{' {
		return -1
	}
	end := scanObject(sc.raw, at, sc.partEnd, func(k, pv []byte, pat int) bool {
		for p, rp := range rawParts {
			if string(k) == rp.member && sc.parts[p][slot].to == 0 && len(pv) > 0 && pv[0] == '{' {
				sc.parts[p][slot] = rawCut{pat, pat + len(pv), rp.mark + byte(slot)}
			}
		}
		return true
	})
	if end < 0 {
		sc.bad = true
	}
	return end
}

// partEnd is where a part's value ends when it is the event's current part
// (for the previous snapshot's) or the agent's part in its last event.
func (sc *agentRawScan) partEnd(key []byte, at int) int {
	for p, rp := range rawParts {
		if string(key) == rp.member {
			c := sc.parts[p][0]
			return knownEnd(sc.raw, at, sc.raw[c.from:c.to], sc.keys.last(sc.cols.agentARN, p))
		}
	}
	return -1
}

// partKeys keys a batch's part texts, each distinct text hashed once (a
// batch's events mostly carry the same few configurations and statuses),
// and remembers each agent's latest text of each part: where the part of
// the agent's next event most likely ends. A nil *partKeys keeps nothing.
type partKeys struct {
	keys   map[string][]byte
	recent map[string][len(rawParts)][]byte
}

func newPartKeys() *partKeys {
	return &partKeys{keys: map[string][]byte{}, recent: map[string][len(rawParts)][]byte{}}
}

func (m *partKeys) key(text []byte) []byte {
	if m == nil {
		return partKey(text)
	}
	if k, ok := m.keys[string(text)]; ok {
		return k
	}
	k := partKey(text)
	m.keys[string(text)] = k
	return k
}

// last is agent's latest text of part p (nil: none).
func (m *partKeys) last(agent string, p int) []byte {
	if m == nil {
		return nil
	}
	return m.recent[agent][p]
}

func (m *partKeys) remember(agent string, p int, text []byte) {
	if m != nil {
		r := m.recent[agent]
		r[p] = text
		m.recent[agent] = r
	}
}

// knownEnd returns where the value at raw[at] ends when it is one of
// texts (complete compact JSON values, found by skipValue before: the same
// bytes end at the same place, so one comparison replaces the scan), or -1.
func knownEnd(raw []byte, at int, texts ...[]byte) int {
	for _, t := range texts {
		if len(t) > 0 && bytes.HasPrefix(raw[at:], t) {
			return at + len(t)
		}
	}
	return -1
}

// rawCut replaces raw[from:to] by the marker byte.
type rawCut struct {
	from, to int
	mark     byte
}

// applyCuts returns raw with each cut replaced by its marker and, between
// the cuts, each occurrence of inst (when not empty) by markInstanceARN: in
// one pass and one allocation. No occurrence of inst spans a cut: raw holds
// no control byte, so neither does an inst that occurs in it, while every
// marker is one.
func applyCuts(raw []byte, cuts []rawCut, inst []byte) []byte {
	slices.SortFunc(cuts, func(a, b rawCut) int { return a.from - b.from })
	n := len(raw)
	for _, c := range cuts {
		n -= c.to - c.from - 1
	}
	out := make([]byte, 0, n)
	last := 0
	for _, c := range cuts {
		out = appendMarked(out, raw[last:c.from], inst)
		out = append(out, c.mark)
		last = c.to
	}
	return appendMarked(out, raw[last:], inst)
}

// appendMarked appends seg with each occurrence of inst replaced by
// markInstanceARN (leftmost first, as bytes.ReplaceAll).
func appendMarked(out, seg, inst []byte) []byte {
	if len(inst) == 0 {
		return append(out, seg...)
	}
	for {
		i := bytes.Index(seg, inst)
		if i < 0 {
			return append(out, seg...)
		}
		out = append(append(out, seg[:i]...), markInstanceARN)
		seg = seg[i+len(inst):]
	}
}

// partKey is the key of a part's exact JSON text.
func partKey(text []byte) []byte {
	h := sha256.Sum256(text)
	return h[:partKeyLen]
}

// scanObject walks the compact JSON object starting at b[i], calling visit
// with each member's key (as written, between the quotes), its value's
// bytes and the value's offset in b; visit returns false to stop. hint
// (when not nil) may tell where a member's value, at its offset, ends (-1:
// it does not know; skipValue finds it). It returns the offset just past
// the object, or -1 when b is not a compact object there (or visit
// stopped).
func scanObject(b []byte, i int, hint func(key []byte, at int) int, visit func(key, value []byte, at int) bool) int {
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	i++
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for i < len(b) {
		ks := i
		ke := skipValue(b, i)
		if ke < 0 || b[ks] != '"' || ke >= len(b) || b[ke] != ':' {
			return -1
		}
		ve := -1
		if hint != nil {
			ve = hint(b[ks+1:ke-1], ke+1)
		}
		if ve < 0 {
			ve = skipValue(b, ke+1)
		}
		if ve < 0 || !visit(b[ks+1:ke-1], b[ke+1:ve], ke+1) {
			return -1
		}
		if ve < len(b) && b[ve] == '}' {
			return ve + 1
		}
		if ve >= len(b) || b[ve] != ',' {
			return -1
		}
		i = ve + 1
	}
	return -1
}

// jsonClass classes the bytes the scanner stops at: every byte is looked at
// once, in one pass over the document, control bytes included (JSON text
// holds none, and the markers must be the only ones in the encoded raw).
var jsonClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = jCtl
	}
	t['"'], t['\\'] = jQuote, jEsc
	t['{'], t['['] = jOpen, jOpen
	t['}'], t[']'] = jClose|jStop, jClose|jStop
	t[','], t[':'] = jStop, jStop
	return t
}()

const (
	jQuote = 1 << iota // a string starts or ends
	jEsc               // an escape starts (in a string)
	jOpen              // an object or array starts
	jClose             // an object or array ends
	jStop              // a literal ends
	jCtl               // a control byte: not compact JSON
)

// skipValue returns the offset just past the compact JSON value at b[i]
// (a string, an object or array with everything inside, or a literal), or
// -1, also when the value holds a control byte. It does not validate the
// value otherwise: the decoder has.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipNested(b, i)
	}
	for j := i; j < len(b); j++ {
		if c := jsonClass[b[j]]; c&(jStop|jCtl) != 0 {
			if j == i || c == jCtl {
				return -1
			}
			return j
		}
	}
	return len(b)
}

// skipNested returns the offset just past the object or array at b[i], or
// -1.
func skipNested(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := jsonClass[b[i]]; c {
		case 0, jStop, jEsc:
		case jQuote:
			if i = skipString(b, i); i < 0 {
				return -1
			}
			continue
		case jOpen:
			depth++
		case jCtl:
			return -1
		default: // jClose|jStop
			if depth--; depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

// skipString returns the offset just past the JSON string at b[i], or -1
// (also at a control byte, escaped or not).
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		c := jsonClass[b[j]]
		if c == 0 || c&(jQuote|jEsc|jCtl) == 0 {
			continue
		}
		switch c {
		case jQuote:
			return j + 1
		case jEsc:
			if j++; j < len(b) && b[j] < 0x20 {
				return -1
			}
		default:
			return -1
		}
	}
	return -1
}
