package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore/storetest"
)

// decodeAgentRaw is what the view agent_event_document does (migration
// 00012 on PostgreSQL), in Go: the document back from an encoded raw.
func decodeAgentRaw(e encodedRaw, cols rawColumns) []byte {
	if !e.encoded() {
		return e.raw
	}
	doc := bytes.ReplaceAll(e.raw, []byte{markInstanceARN}, []byte(instanceARN(cols.agentARN)))
	for p, rp := range rawParts {
		doc = bytes.ReplaceAll(doc, []byte{rp.mark}, e.texts[p][0])
		doc = bytes.ReplaceAll(doc, []byte{rp.mark + 1}, e.texts[p][1])
	}
	for _, m := range rawMembers {
		doc = bytes.ReplaceAll(doc, []byte{m.mark}, []byte(m.value(cols)))
	}
	return doc
}

const (
	testARN   = "arn:aws:connect:us-east-1:123456789012:instance/i-1/agent/a-1"
	testCfg   = `{"RoutingProfile":{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/routing-profile/rp","Name":"Basic"},"Username":"ann"}`
	testCfg2  = `{"RoutingProfile":{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/routing-profile/rp2","Name":"Sales"},"Username":"ann"}`
	testState = `{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/agent-state/s","Name":"Available","Type":"ROUTABLE"}`
)

func testEvent(cur, prev string) string {
	doc := `{"AWSAccountId":"123456789012","AgentARN":"` + testARN + `","CurrentAgentSnapshot":{"AgentStatus":` + testState + `,"Configuration":` + cur + `,"Contacts":[]},"EventId":"e-1"`
	if prev != "" {
		doc += `,"PreviousAgentSnapshot":{"AgentStatus":` + testState + `,"Configuration":` + prev + `}`
	}
	return doc + `,"EventTimestamp":"2024-03-04T07:17:17.078Z","EventType":"STATE_CHANGE","InstanceARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1"}`
}

// TestEncodeAgentRaw: what is cut out of raw, and that the document comes
// back byte for byte, for documents of the expected shape and of others.
func TestEncodeAgentRaw(t *testing.T) {
	for _, tc := range []struct {
		name, doc, eventID string
		encoded            bool
		parts              int    // parts cut out with a key of their own
		stored             string // the encoded raw, when given
	}{
		{"same configuration and status twice", testEvent(testCfg, testCfg), "e-1", true, 2,
			"{\"AWSAccountId\":\x0f,\"AgentARN\":\x04,\"CurrentAgentSnapshot\":{\"AgentStatus\":\x06,\"Configuration\":\x01,\"Contacts\":[]},\"EventId\":\x03," +
				"\"PreviousAgentSnapshot\":{\"AgentStatus\":\x06,\"Configuration\":\x01},\"EventTimestamp\":\x08,\"EventType\":\x0e,\"InstanceARN\":\"\x05\"}"},
		{"configuration changed", testEvent(testCfg2, testCfg), "e-1", true, 3, ""},
		{"no previous snapshot", testEvent(testCfg, ""), "e-1", true, 2, ""},
		{"event id not the column's", testEvent(testCfg, testCfg), "e-2", true, 2, ""},
		{"configuration null", testEvent("null", testCfg), "e-1", false, 0, ""},
		{"white space", strings.Replace(testEvent(testCfg, testCfg), `,"EventId"`, `, "EventId"`, 1), "e-1", false, 0, ""},
		{"control byte in a string", strings.Replace(testEvent(testCfg, testCfg), `"ann"`, "\"a\tn\"", 1), "e-1", false, 0, ""},
		{"control byte escaped", strings.Replace(testEvent(testCfg, testCfg), `"ann"`, "\"a\\\x01n\"", 1), "e-1", false, 0, ""},
		{"newline between members", strings.Replace(testEvent(testCfg, testCfg), `,"EventId"`, ",\n\"EventId\"", 1), "e-1", false, 0, ""},
		{"escaped key", strings.Replace(testEvent(testCfg, testCfg), `"Configuration"`, `"Configur\u0061tion"`, 2), "e-1", false, 0, ""},
		{"not an object", `[` + testEvent(testCfg, testCfg) + `]`, "e-1", false, 0, ""},
		{"truncated", testEvent(testCfg, testCfg)[:200], "e-1", false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cols := testColumns(tc.eventID)
			e := encodeAgentRaw([]byte(tc.doc), cols, newPartKeys())
			if e.encoded() != tc.encoded {
				t.Fatalf("encoded %v, want %v: %q", e.encoded(), tc.encoded, e.raw)
			}
			parts := 0
			for p := range e.keys {
				for _, k := range e.keys[p] {
					if k != nil {
						parts++
					}
				}
			}
			if parts != tc.parts {
				t.Errorf("%d parts keyed, want %d", parts, tc.parts)
			}
			if tc.stored != "" && string(e.raw) != tc.stored {
				t.Errorf("stored\n%q\nwant\n%q", e.raw, tc.stored)
			}
			if got := decodeAgentRaw(e, cols); string(got) != tc.doc {
				t.Errorf("document back\n%s\nwant\n%s", got, tc.doc)
			}
		})
	}
}

// TestEncodeStatusStartMarked: a status that started at the event's own
// time (the event that changed it) is kept with that time marked, so the
// events that changed agents to the same status at different times name
// one part; a status that started before the event keeps its time. Each
// document comes back byte for byte.
func TestEncodeStatusStartMarked(t *testing.T) {
	status := func(at string) string {
		return strings.Replace(testState, `"Name"`, `"StartTimestamp":`+at+`,"Name"`, 1)
	}
	keys := newPartKeys()
	encode := func(at time.Time, statusStart string) encodedRaw {
		t.Helper()
		doc := strings.Replace(testEvent(testCfg, testCfg), testState, status(`"`+statusStart+`"`), 2)
		doc = strings.Replace(doc, `"EventTimestamp":"2024-03-04T07:17:17.078Z"`, `"EventTimestamp":"`+connectTime(at)+`"`, 1)
		cols := testColumns("e-1")
		cols.eventTime = at
		e := encodeAgentRaw([]byte(doc), cols, keys)
		if got := decodeAgentRaw(e, cols); string(got) != doc {
			t.Fatalf("document back\n%s\nwant\n%s", got, doc)
		}
		return e
	}
	t1, t2 := time.Date(2024, 3, 4, 7, 17, 17, 78e6, time.UTC), time.Date(2024, 3, 4, 9, 0, 0, 5e6, time.UTC)
	a, b := encode(t1, connectTime(t1)), encode(t2, connectTime(t2))
	if got, want := string(a.texts[statusPart][0]), status("\x08"); got != want {
		t.Errorf("status part %q, want %q", got, want)
	}
	if !bytes.Equal(a.keys[statusPart][0], b.keys[statusPart][0]) || a.keys[statusPart][1] != nil {
		t.Errorf("statuses started by their events at %s and %s keyed %x and %x (previous %x)", t1, t2,
			a.keys[statusPart][0], b.keys[statusPart][0], a.keys[statusPart][1])
	}
	later := encode(t2, connectTime(t1))
	if got, want := string(later.texts[statusPart][0]), status(`"`+connectTime(t1)+`"`); got != want {
		t.Errorf("status started before its event kept as %q, want %q", got, want)
	}
}

func testColumns(eventID string) rawColumns {
	return rawColumns{eventID: eventID, eventType: "STATE_CHANGE", agentARN: testARN,
		eventTime: time.Date(2024, 3, 4, 7, 17, 17, 78e6, time.UTC)}
}

// FuzzEncodeAgentRaw: whatever the bytes and the columns, the document
// comes back byte for byte, and every part kept is the text its key names.
func FuzzEncodeAgentRaw(f *testing.F) {
	f.Add([]byte(testEvent(testCfg, testCfg2)), "e-1", "STATE_CHANGE", testARN, int64(1709536637078))
	f.Add([]byte(testEvent(testCfg, testCfg)), "e-1", "", "x/agent/", int64(0))
	f.Add([]byte(`{"CurrentAgentSnapshot":{"Configuration":{"a":"\"}"}},"EventId":"\\"}`), `\`, "x", "", int64(-1))
	f.Fuzz(func(t *testing.T, doc []byte, eventID, eventType, agentARN string, ms int64) {
		cols := rawColumns{eventID: eventID, eventType: eventType, agentARN: agentARN, eventTime: time.UnixMilli(ms)}
		e := encodeAgentRaw(doc, cols, nil)
		if got := decodeAgentRaw(e, cols); !bytes.Equal(got, doc) {
			t.Fatalf("document back\n%q\nwant\n%q\nstored %q", got, doc, e.raw)
		}
		if e.encoded() && hasControl(doc) {
			t.Fatalf("a document with a control byte encoded: %q", doc)
		}
		for p := range e.keys {
			for slot, k := range e.keys[p] {
				if k != nil && !bytes.Equal(k, partKey(e.texts[p][slot])) {
					t.Fatalf("part %d/%d keyed %x, its text %q", p, slot, k, e.texts[p][slot])
				}
			}
		}
	})
}

// FuzzEncodeHinted: the batch cache's hints (the agent's earlier parts,
// the event's current part for its previous one) only spare scanning: an
// event encodes the same after any other event of the agent as alone.
func FuzzEncodeHinted(f *testing.F) {
	f.Add([]byte(testEvent(testCfg, testCfg2)), []byte(testEvent(testCfg2, testCfg2)))
	f.Add([]byte(testEvent(testCfg, testCfg)), []byte(testEvent(testCfg, testCfg)))
	f.Add([]byte(testEvent(`{"a":"}"}`, `{"a":"}"}`)), []byte(testEvent(`{"a":"}"}x`, `{"a":"}"}`)))
	f.Add([]byte(testEvent(`{"a":1}`, `{}`)), []byte(testEvent(`{"a":1,"b":2}`, `{"a":1}`)))
	f.Fuzz(func(t *testing.T, before, doc []byte) {
		cols := testColumns("e-1")
		keys := newPartKeys()
		encodeAgentRaw(before, cols, keys)
		got, want := encodeAgentRaw(doc, cols, keys), encodeAgentRaw(doc, cols, nil)
		if !bytes.Equal(got.raw, want.raw) || fmt.Sprint(got.keys) != fmt.Sprint(want.keys) {
			t.Fatalf("after %q, %q encodes as\n%q %x\nalone\n%q %x", before, doc, got.raw, got.keys, want.raw, want.keys)
		}
	})
}

// refSkipValue is skipValue as it first was, byte by byte (bytes.IndexAny):
// the reference FuzzSkipValue holds the table-driven scanner to.
func refSkipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return refSkipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = refSkipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	j := bytes.IndexAny(b[i:], ",}]:")
	if j == 0 {
		return -1
	}
	if j < 0 {
		return len(b)
	}
	return i + j
}

func refSkipString(b []byte, i int) int {
	for j := i + 1; j < len(b); {
		k := bytes.IndexAny(b[j:], `"\`)
		if k < 0 {
			return -1
		}
		j += k
		if b[j] == '\\' {
			j += 2
			continue
		}
		return j + 1
	}
	return -1
}

// FuzzSkipValue: the table-driven skipValue ends every value where the
// byte-by-byte reference does, at every offset of any bytes, except that
// it fails (-1) on a value holding a control byte.
func FuzzSkipValue(f *testing.F) {
	f.Add([]byte(testEvent(testCfg, testCfg2)))
	f.Add([]byte(`{"a":"\\\"}\\","b":[1,{"c":"\\\\"}],"d":tru}`))
	f.Add([]byte("\"x\\\\\\\"\x1f\xa0\x80\",\"\\\x01\"{\x02}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := range b {
			want := refSkipValue(b, i)
			if want > i && hasControl(b[i:want]) {
				want = -1
			}
			if got := skipValue(b, i); got != want {
				t.Fatalf("skipValue(%q, %d) = %d, want %d", b, i, got, want)
			}
		}
	})
}

func hasControl(b []byte) bool {
	return bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 })
}

// BenchmarkEncodeRealistic encodes the raw of 500 realistic agent events
// (encodeAll: parts cut out and keyed), the client's share of storing them
// on PostgreSQL.
func BenchmarkEncodeRealistic(b *testing.B) {
	pool := realisticRecords(b)
	evs := pool.decodeEvents(b, 0)
	rows := make([]eventRow, len(evs))
	for i := range evs {
		rows[i] = eventRow{AgentEvent: &evs[i], history: true}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if len(encodeAll(slices.Clone(rows))) == 0 {
			b.Fatal("no parts")
		}
	}
}

// TestPGPartsMoveForwardOnly: a part's row is written when it is new and
// when an event of a later day names it (its last_event_timestamp moves to
// that day), and left as it is (not even locked: the same place, the same
// transaction id) for events of the same or an earlier day.
func TestPGPartsMoveForwardOnly(t *testing.T) {
	s, _ := openIngestStorePG(t, Options{})
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	start := day.Add(9 * time.Hour)
	n := 0
	store := func(at time.Time) {
		n++
		storeEvents(t, s, []connectreporting.AgentEvent{storetest.AgentEvent(fmt.Sprintf("e%d", n),
			connectreporting.AgentEventStateChange, at, "a1", "Available", start)})
	}
	parts := func() []string {
		var out []string
		for _, r := range storetest.QueryRows(t, s.DB(), `SELECT last_event_timestamp, ctid::text || '/' || xmin::text || '/' || xmax::text
FROM agent_event_part ORDER BY sha256`) {
			out = append(out, r[0]+" "+r[1])
		}
		return out
	}
	store(start.Add(time.Hour)) // not the status's own event: its start is kept in the part
	first := parts()
	if len(first) != 2 || !strings.HasPrefix(first[0], day.Format("2006-01-02T15:04:05")) {
		t.Fatalf("parts after the first event: %v, want the configuration and the status of %s", first, day)
	}
	store(start.Add(5 * time.Hour))   // the same day
	store(start.Add(-30 * time.Hour)) // an earlier day
	if got := parts(); !slices.Equal(got, first) {
		t.Errorf("events of the same and an earlier day wrote the parts:\n%v\nwas\n%v", got, first)
	}
	store(start.Add(24 * time.Hour)) // the next day
	for _, p := range parts() {
		if !strings.HasPrefix(p, day.Add(24*time.Hour).Format("2006-01-02T15:04:05")) {
			t.Errorf("after an event of the next day, part %s", p)
		}
	}
}

// TestPGKnownParts: a Store leaves out of a batch's upsert the parts its
// committed batches stored with that day or a later one (pgKnownParts),
// and only those: the parts of a batch that rolled back (after its upsert:
// its checkpoint's lease was lost) are written by the next batch naming
// them, and after maintain (which deletes parts)
// every part is written again. Rows deleted behind the Store's back show
// which batches wrote parts.
func TestPGKnownParts(t *testing.T) {
	s, _ := openIngestStorePG(t, Options{})
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	n := 0
	ev := func(at time.Time, status string) connectreporting.AgentEvent {
		n++
		return storetest.AgentEvent(fmt.Sprintf("e%d", n), connectreporting.AgentEventStateChange, at, "a1", status, start.Add(-time.Hour))
	}
	count := func() string { return storetest.QueryRows(t, s.DB(), "SELECT count(*) FROM agent_event_part")[0][0] }
	forgetRows := func() {
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM agent_event_part"); err != nil {
			t.Fatal(err)
		}
	}
	lost := &connectreporting.ShardCheckpoint{Stream: "s", ShardID: "shard-1", SequenceNumber: "1", Owner: "not-the-holder"}
	if _, err := s.StoreBatch(ctx, connectreporting.Batch{AgentEvents: []connectreporting.AgentEvent{ev(start, "Available")},
		Checkpoint: lost}); !errors.Is(err, connectreporting.ErrLeaseLost) {
		t.Fatalf("batch fenced on a lease it does not hold: err = %v, want ErrLeaseLost", err)
	}
	storeEvents(t, s, []connectreporting.AgentEvent{ev(start, "Available")})
	if got := count(); got != "2" {
		t.Fatalf("after a batch rolled back, the next batch naming its parts stored %s parts, want 2", got)
	}
	forgetRows()
	storeEvents(t, s, []connectreporting.AgentEvent{ev(start.Add(time.Hour), "Available")})
	if got := count(); got != "0" {
		t.Fatalf("known parts of the same day: %s parts written, want none", got)
	}
	storeEvents(t, s, []connectreporting.AgentEvent{ev(start.Add(time.Hour), "Break")})
	if got := count(); got != "1" {
		t.Fatalf("a new status: %s parts written, want 1", got)
	}
	storeEvents(t, s, []connectreporting.AgentEvent{ev(start.Add(24*time.Hour), "Break")})
	if got := count(); got != "2" {
		t.Fatalf("known parts of a later day: %s parts, want 2", got)
	}
	forgetRows()
	if _, err := s.Maintain(ctx, MaintainOptions{RawDays: 36500}); err != nil {
		t.Fatal(err)
	}
	storeEvents(t, s, []connectreporting.AgentEvent{ev(start.Add(24*time.Hour), "Break")})
	if got := count(); got != "2" {
		t.Fatalf("after maintain: %s parts written, want 2", got)
	}
	// A failed batch forgets too: the parts may have gone with the
	// database's latest commits (a failover, a restore).
	forgetRows()
	if _, err := s.StoreBatch(ctx, connectreporting.Batch{AgentEvents: []connectreporting.AgentEvent{ev(start.Add(24*time.Hour), "Break")},
		Checkpoint: lost}); !errors.Is(err, connectreporting.ErrLeaseLost) {
		t.Fatalf("batch fenced on a lease it does not hold: err = %v, want ErrLeaseLost", err)
	}
	storeEvents(t, s, []connectreporting.AgentEvent{ev(start.Add(24*time.Hour), "Break")})
	if got := count(); got != "2" {
		t.Fatalf("after a failed batch: %s parts written, want 2", got)
	}
}

// encodeAll encodes every event of evs in turn, as a batch's eventEncoder
// does when its COPY reached none of them, and returns the parts they name.
func encodeAll(evs []eventRow) []pgPart {
	newEventEncoder(evs).finish()
	return pgEventParts(evs)
}

// TestEventEncoder: the PostgreSQL writer's eventEncoder stores the same
// raw, keys and part texts for every event, and names the same parts, as
// encodeEvent on each event in turn with one partKeys, whatever number of
// events its COPY stream encoded before the rest were encoded by finish;
// events kept out of history stay whole.
func TestEventEncoder(t *testing.T) {
	pool, err := realistic()
	if err != nil {
		t.Fatal(err)
	}
	evs := pool.decodeEvents(t, 0)
	rows := make([]eventRow, len(evs))
	for i := range rows {
		rows[i] = eventRow{AgentEvent: &evs[i], history: i%7 != 3}
	}
	want := slices.Clone(rows)
	keys := newPartKeys()
	for i := range want {
		encodeEvent(&want[i], keys)
	}
	wantParts := pgEventParts(want)
	if !want[0].stored.encoded() || want[3].stored.encoded() {
		t.Fatalf("the batch should hold encoded history events and whole state-only ones")
	}
	for _, cut := range []int{0, 1, 137, len(rows)} {
		got := slices.Clone(rows)
		enc := newEventEncoder(got)
		for i := range cut {
			if !enc.at(i) {
				t.Fatalf("cut %d: event %d not encoded before finish", cut, i)
			}
		}
		enc.finish()
		if enc.at(0) {
			t.Fatalf("cut %d: the encoder still encodes after finish", cut)
		}
		for i := range got {
			if !got[i].encoded || !reflect.DeepEqual(got[i].stored, want[i].stored) {
				t.Fatalf("cut %d: event %d (%s) stored differently than encoded in one pass", cut, i, got[i].EventID)
			}
		}
		if parts := pgEventParts(got); !reflect.DeepEqual(parts, wantParts) {
			t.Fatalf("cut %d: %d parts, want the %d of one pass", cut, len(parts), len(wantParts))
		}
	}
}

// TestPGStatusPartsShared: events that each changed their agent's status
// at their own time (a batch of new status starts) name one status part
// per distinct status, not a part each, and every document comes back
// byte for byte.
func TestPGStatusPartsShared(t *testing.T) {
	s, _ := openIngestStorePG(t, Options{})
	var evs []connectreporting.AgentEvent
	want := map[string]string{}
	for i := range 40 {
		at := storetest.T0.Add(time.Duration(i) * time.Minute)
		e := storetest.AgentEvent(fmt.Sprintf("s%02d", i), connectreporting.AgentEventStateChange, at,
			fmt.Sprintf("agent-%d", i%4), []string{"Available", "Break"}[i/4%2], at)
		evs, want[e.EventID] = append(evs, e), string(e.Raw)
	}
	storeEvents(t, s, evs)
	wantRows(t, s, "SELECT count(*) FROM agent_event_part", "6") // 4 configurations, 2 statuses
	for _, r := range storetest.QueryRows(t, s.DB(), "SELECT event_id, document FROM agent_event_document") {
		if r[1] != want[r[0]] {
			t.Errorf("%s: document\n%s\nwant\n%s", r[0], r[1], want[r[0]])
		}
	}
}
