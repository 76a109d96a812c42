package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// memStore is an in-memory IngestStore with the semantics the real stores
// keep: agent events once per EventId, the newest contact record version.
// failOn makes its failOn-th StoreBatch call fail (0: never).
type memStore struct {
	mu       sync.Mutex
	failOn   int
	calls    int
	batches  []connectreporting.Batch
	events   map[string]connectreporting.AgentEvent
	contacts map[string]connectreporting.ContactRecord
	rejected []connectreporting.RejectedRecord
}

var errStore = errors.New("store: connection reset")

func (m *memStore) StoreBatch(ctx context.Context, b connectreporting.Batch) (connectreporting.BatchResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.failOn == m.calls {
		return connectreporting.BatchResult{}, errStore
	}
	if m.events == nil {
		m.events = map[string]connectreporting.AgentEvent{}
		m.contacts = map[string]connectreporting.ContactRecord{}
	}
	m.batches = append(m.batches, b)
	var r connectreporting.BatchResult
	for _, e := range b.AgentEvents {
		if _, ok := m.events[e.EventID]; ok {
			r.Duplicate++
			continue
		}
		m.events[e.EventID] = e
		r.Stored++
	}
	for _, c := range b.ContactRecords {
		if old, ok := m.contacts[c.ContactID]; ok && !c.LastUpdateTimestamp.After(old.LastUpdateTimestamp) {
			r.Duplicate++
			continue
		}
		m.contacts[c.ContactID] = c
		r.Stored++
	}
	m.rejected = append(m.rejected, b.Rejected...)
	r.Rejected = len(b.Rejected)
	return r, nil
}

func fixture(t testing.TB, pkg, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", pkg, "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func event(id string, ts time.Time) []byte {
	return []byte(fmt.Sprintf(`{"EventId":%q,"EventType":"HEART_BEAT","EventTimestamp":%q,"AgentARN":"arn:aws:connect:eu-west-2:1:instance/i/agent/a1"}`, id, ts.Format(time.RFC3339)))
}

func contact(id string, last time.Time) []byte {
	return []byte(fmt.Sprintf(`{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":%q,"Channel":"VOICE","InitiationMethod":"INBOUND","LastUpdateTimestamp":%q}`, id, last.Format(time.RFC3339)))
}

var t0 = time.Date(2024, 3, 31, 0, 59, 58, 0, time.UTC)

func testEngine(store connectreporting.IngestStore, logs *bytes.Buffer) *Engine {
	var w = logs
	if w == nil {
		w = &bytes.Buffer{}
	}
	return &Engine{
		Store:  store,
		Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return t0.Add(time.Hour) },
	}
}

func TestDetectKind(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want Kind
		err  bool
	}{
		{"agent event fixture", fixture(t, "agentevents", "state_change_contacts"), KindAgentEvent, false},
		{"logout without snapshots", fixture(t, "agentevents", "logout_null_snapshots"), KindAgentEvent, false},
		{"contact record fixture", fixture(t, "ctr", "voice_inbound"), KindContactRecord, false},
		{"abandoned contact", fixture(t, "ctr", "abandoned"), KindContactRecord, false},
		{"contact with Channel only", []byte(`{"ContactId":"c","Channel":"CHAT"}`), KindContactRecord, false},
		{"contact with InitiationMethod only", []byte(`{"ContactId":"c","InitiationMethod":"API"}`), KindContactRecord, false},
		{"contact id alone", []byte(`{"ContactId":"c"}`), KindUnknown, true},
		{"event id alone", []byte(`{"EventId":"e"}`), KindUnknown, true},
		{"null marks", []byte(`{"EventId":null,"EventType":null}`), KindUnknown, true},
		{"both", []byte(`{"EventId":"e","EventType":"LOGIN","ContactId":"c","Channel":"VOICE"}`), KindUnknown, true},
		{"empty object", []byte(`{}`), KindUnknown, true},
		{"array", []byte(`[{"EventId":"e","EventType":"LOGIN"}]`), KindUnknown, true},
		{"not JSON", []byte(`EventId=e`), KindUnknown, true},
		{"truncated", []byte(`{"EventId":"e","EventType":"LOG`), KindUnknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DetectKind(tt.data)
			if got != tt.want || (err != nil) != tt.err {
				t.Fatalf("DetectKind = %v, %v; want %v, error %v", got, err, tt.want, tt.err)
			}
			if err != nil && !errors.Is(err, connectreporting.ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

func TestIngestMixedKinds(t *testing.T) {
	store := &memStore{}
	var logs bytes.Buffer
	e := testEngine(store, &logs)
	arrival := t0.Add(-time.Minute).In(time.FixedZone("CEST", 2*3600))
	recs := []Record{
		{Data: fixture(t, "agentevents", "login"), PartitionKey: "agent-1", SequenceNumber: "s0", ArrivalTime: arrival},
		{Data: append([]byte("\n  "), append(fixture(t, "agentevents", "state_change_contacts"), "\r\n"...)...), PartitionKey: "agent-1", SequenceNumber: "s1"},
		{Data: fixture(t, "ctr", "voice_inbound"), PartitionKey: "c1", SequenceNumber: "s2"}, // a CTR on the agent event stream
		{Data: []byte(`{"EventId":"e9","EventType":"LOGIN"}`), PartitionKey: "agent-2", SequenceNumber: "s3", ArrivalTime: arrival},
		{Data: []byte("not json at all"), PartitionKey: "agent-3", SequenceNumber: "s4"},
		{Data: []byte("  \n"), PartitionKey: "agent-4", SequenceNumber: "s5"},
		{Data: fixture(t, "agentevents", "logout_null_snapshots"), PartitionKey: "agent-1", SequenceNumber: "s6"},
	}
	res, err := e.Ingest(context.Background(), connectreporting.SourceAgentEvents, recs)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{BatchResult: connectreporting.BatchResult{Stored: 4, Rejected: 3}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Result = %+v, want %+v", res, want)
	}
	if store.calls != 1 || len(store.batches) != 1 {
		t.Fatalf("%d StoreBatch calls, want 1", store.calls)
	}
	b := store.batches[0]
	if len(b.AgentEvents) != 3 || len(b.ContactRecords) != 1 || len(b.Rejected) != 3 {
		t.Fatalf("batch has %d events, %d contacts, %d rejected", len(b.AgentEvents), len(b.ContactRecords), len(b.Rejected))
	}
	if got := b.ContactRecords[0].ContactID; got != "c1000001-0000-4000-8000-000000000001" {
		t.Errorf("contact record stored as %q", got)
	}
	if !json.Valid(b.AgentEvents[1].Raw) || bytes.ContainsAny(b.AgentEvents[1].Raw, "\r\n") {
		t.Errorf("Raw of a record with surrounding whitespace: %q", b.AgentEvents[1].Raw[:40])
	}
	r := b.Rejected[0]
	if r.Source != connectreporting.SourceAgentEvents || r.PartitionKey != "agent-2" || r.SequenceNumber != "s3" ||
		!r.ReceivedAt.Equal(arrival) || r.ReceivedAt.Location() != time.UTC || !bytes.Equal(r.Payload, recs[3].Data) {
		t.Errorf("rejected[0] = %+v", r)
	}
	if !strings.Contains(r.Error, "EventTimestamp") {
		t.Errorf("rejected[0].Error = %q, want it to name EventTimestamp", r.Error)
	}
	r = b.Rejected[1]
	if r.SequenceNumber != "s4" || !r.ReceivedAt.Equal(t0.Add(time.Hour)) || !strings.Contains(r.Error, "invalid JSON") {
		t.Errorf("rejected[1] = %+v", r)
	}
	if r = b.Rejected[2]; r.SequenceNumber != "s5" || r.Error != "empty record" || !bytes.Equal(r.Payload, []byte("  \n")) {
		t.Errorf("rejected[2] = %+v", r)
	}
	out := logs.String()
	for _, s := range []string{"level=WARN msg=\"records of the other kind", "count=1 first_sequence_number=s2",
		"level=WARN msg=\"record rejected\"", "msg=ingested", "records=7 stored=4 updated=0 duplicate=0 heartbeat=0 rejected=3 other_kind=1",
		" decode_ms=", " store_ms=", " store_waited_ms="} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %q:\n%s", s, out)
		}
	}
}

func TestIngestAgentEventOnCTRStream(t *testing.T) {
	store := &memStore{}
	e := testEngine(store, nil)
	recs := []Record{
		{Data: fixture(t, "ctr", "chat"), SequenceNumber: "1"},
		{Data: fixture(t, "agentevents", "heart_beat"), SequenceNumber: "2"},
		{Data: []byte(`{"ContactId":"bare"}`), SequenceNumber: "3"}, // no kind marks, still a contact record
		{Data: []byte(`{"Foo":1}`), SequenceNumber: "4"},
	}
	res, err := e.Ingest(context.Background(), connectreporting.SourceCTR, recs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 3 || res.Rejected != 1 || res.Failed != nil {
		t.Errorf("Result = %+v", res)
	}
	b := store.batches[0]
	if len(b.AgentEvents) != 1 || b.AgentEvents[0].EventType != "HEART_BEAT" || len(b.ContactRecords) != 2 {
		t.Errorf("batch = %d events, %d contacts", len(b.AgentEvents), len(b.ContactRecords))
	}
	if got := b.Rejected[0]; got.Source != connectreporting.SourceCTR || !strings.HasPrefix(got.Error, "not a contact record (ContactId: missing or blank) nor an agent event (EventId: missing or blank)") {
		t.Errorf("rejected = %+v", got)
	}
}

func TestIngestChunkFailure(t *testing.T) {
	for _, tt := range []struct {
		name       string
		chunk, n   int
		failOn     int
		wantCalls  int
		wantStored int
		wantFailed []int
	}{
		{"second chunk fails", 2, 7, 2, 2, 2, []int{2, 3, 4, 5, 6}},
		{"first chunk fails", 3, 7, 1, 1, 0, []int{0, 1, 2, 3, 4, 5, 6}},
		{"last chunk fails", 3, 7, 3, 3, 6, []int{6}},
		{"no failure", 3, 7, 0, 3, 7, nil},
		{"one chunk", 500, 7, 0, 1, 7, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &memStore{failOn: tt.failOn}
			e := testEngine(store, nil)
			e.ChunkSize = tt.chunk
			var recs []Record
			for i := range tt.n {
				recs = append(recs, Record{Data: event(fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second)), SequenceNumber: fmt.Sprint(i)})
			}
			res, err := e.Ingest(context.Background(), connectreporting.SourceAgentEvents, recs)
			if (err != nil) != (tt.failOn > 0) || (err != nil && !errors.Is(err, errStore)) {
				t.Fatalf("error %v, want one wrapping %v: %v", err, errStore, tt.failOn > 0)
			}
			if store.calls != tt.wantCalls {
				t.Errorf("%d StoreBatch calls, want %d", store.calls, tt.wantCalls)
			}
			if res.Stored != tt.wantStored || !reflect.DeepEqual(res.Failed, tt.wantFailed) {
				t.Errorf("Result = %+v, want stored %d, failed %v", res, tt.wantStored, tt.wantFailed)
			}
			for _, b := range store.batches {
				if b.Len() > tt.chunk {
					t.Errorf("batch of %d records, chunk size %d", b.Len(), tt.chunk)
				}
			}
		})
	}
}

func TestIngestRejectedInFailedChunkAreFailedToo(t *testing.T) {
	store := &memStore{failOn: 1}
	e := testEngine(store, nil)
	res, err := e.Ingest(context.Background(), connectreporting.SourceCTR, []Record{{Data: []byte("x")}, {Data: contact("c", t0)}})
	if !errors.Is(err, errStore) || !reflect.DeepEqual(res.Failed, []int{0, 1}) || res.Rejected != 0 {
		t.Errorf("Result %+v, error %v", res, err)
	}
}

func TestIngestReplayCountsDuplicates(t *testing.T) {
	store := &memStore{}
	e := testEngine(store, nil)
	recs := []Record{
		{Data: event("e1", t0)},
		{Data: contact("c1", t0)},
		{Data: contact("c1", t0.Add(time.Minute))},
		{Data: []byte(`{}`)},
	}
	first, err := e.Ingest(context.Background(), connectreporting.SourceCTR, recs)
	if err != nil {
		t.Fatal(err)
	}
	if want := (connectreporting.BatchResult{Stored: 3, Rejected: 1}); first.BatchResult != want {
		t.Errorf("first = %+v, want %+v", first.BatchResult, want)
	}
	again, err := e.Ingest(context.Background(), connectreporting.SourceCTR, recs)
	if err != nil {
		t.Fatal(err)
	}
	if want := (connectreporting.BatchResult{Duplicate: 3, Rejected: 1}); again.BatchResult != want {
		t.Errorf("replay = %+v, want %+v", again.BatchResult, want)
	}
}

func TestIngestEdgeCases(t *testing.T) {
	t.Run("no records", func(t *testing.T) {
		store := &memStore{}
		res, err := testEngine(store, nil).Ingest(context.Background(), connectreporting.SourceCTR, nil)
		if err != nil || store.calls != 0 || res.Failed != nil || res.BatchResult != (connectreporting.BatchResult{}) {
			t.Errorf("%+v, %v, %d calls", res, err, store.calls)
		}
	})
	t.Run("unknown source", func(t *testing.T) {
		store := &memStore{}
		res, err := testEngine(store, nil).Ingest(context.Background(), "contact-lens", []Record{{Data: event("e", t0)}})
		if err == nil || store.calls != 0 || !reflect.DeepEqual(res.Failed, []int{0}) {
			t.Errorf("%+v, %v, %d calls", res, err, store.calls)
		}
	})
	t.Run("no store", func(t *testing.T) {
		res, err := (&Engine{}).Ingest(context.Background(), connectreporting.SourceCTR, []Record{{Data: event("e", t0)}})
		if err == nil || !reflect.DeepEqual(res.Failed, []int{0}) {
			t.Errorf("%+v, %v", res, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		store := &memStore{}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := testEngine(store, nil).Ingest(ctx, connectreporting.SourceCTR, []Record{{Data: event("e", t0)}, {Data: event("f", t0)}})
		if !errors.Is(err, context.Canceled) || store.calls != 0 || !reflect.DeepEqual(res.Failed, []int{0, 1}) {
			t.Errorf("%+v, %v, %d calls", res, err, store.calls)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		store := &memStore{}
		e := &Engine{Store: store, Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
		recs := make([]Record, DefaultChunkSize+1)
		for i := range recs {
			recs[i] = Record{Data: []byte("bad")}
		}
		before := time.Now().UTC()
		res, err := e.Ingest(context.Background(), connectreporting.SourceAgentEvents, recs)
		if err != nil || res.Rejected != len(recs) || store.calls != 2 {
			t.Fatalf("%+v, %v, %d calls", res, err, store.calls)
		}
		if got := store.rejected[0].ReceivedAt; got.Before(before) || got.Location() != time.UTC {
			t.Errorf("ReceivedAt = %v", got)
		}
	})
}

func TestDecodeErrorsAreMalformed(t *testing.T) {
	for _, data := range []string{``, `x`, `[]`, `{}`, `{"EventId":"e","EventType":"LOGIN"}`, `{"ContactId":"c","Channel":"VOICE","Queue":[]}`} {
		_, _, _, err := Decode(KindAgentEvent, []byte(data))
		if !errors.Is(err, connectreporting.ErrMalformed) {
			t.Errorf("Decode(%q) = %v, want ErrMalformed", data, err)
		}
		var de *connectreporting.DecodeError
		if !errors.As(err, &de) {
			t.Errorf("Decode(%q) = %v, no DecodeError", data, err)
		}
	}
}

// gateStore is a memStore whose first StoreBatch call waits (up to a few
// seconds) for the engine to decode the next chunk, and notes whether it
// did.
type gateStore struct {
	memStore
	decoded    chan struct{}
	overlapped bool
}

func (g *gateStore) StoreBatch(ctx context.Context, b connectreporting.Batch) (connectreporting.BatchResult, error) {
	if g.calls == 0 {
		select {
		case <-g.decoded:
			g.overlapped = true
		case <-time.After(5 * time.Second):
		}
	}
	return g.memStore.StoreBatch(ctx, b)
}

// TestIngestDecodesWhileStoring: the next chunk is decoded while the
// previous one is stored (the engine's pipeline), for a slice of records
// and for a file, and the results are those of storing chunk after chunk.
// The second chunk holds a record that is not JSON: decoding it reads the
// engine's clock (its rejected record's ReceivedAt), which opens the gate
// the first StoreBatch call waits at.
func TestIngestDecodesWhileStoring(t *testing.T) {
	recs := []Record{
		{Data: event("e1", t0)}, {Data: event("e2", t0)},
		{Data: event("e3", t0)}, {Data: []byte("not json")},
		{Data: event("e4", t0)},
	}
	var lines []byte
	for _, r := range recs {
		lines = append(append(lines, r.Data...), '\n')
	}
	for _, file := range []bool{false, true} {
		t.Run(fmt.Sprint("file=", file), func(t *testing.T) {
			store := &gateStore{decoded: make(chan struct{})}
			e := testEngine(store, nil)
			e.ChunkSize = 2
			var once sync.Once
			e.Now = func() time.Time { once.Do(func() { close(store.decoded) }); return t0 }
			var res Result
			var err error
			if file {
				res, err = e.IngestFile(context.Background(), connectreporting.SourceAgentEvents, "-", bytes.NewReader(lines))
			} else {
				res, err = e.Ingest(context.Background(), connectreporting.SourceAgentEvents, recs)
			}
			if err != nil || res.Stored != 4 || res.Rejected != 1 || res.Failed != nil {
				t.Fatalf("Result = %+v, %v", res, err)
			}
			if !store.overlapped {
				t.Error("the second chunk was not decoded while the first was stored")
			}
			if store.calls != 3 || len(store.batches[0].AgentEvents) != 2 || len(store.batches[1].Rejected) != 1 {
				t.Errorf("%d StoreBatch calls, batches %+v", store.calls, store.batches)
			}
		})
	}
}

// TestDecodeChunkInParts: a chunk decoded in parts side by side gives the
// items and counts of the same chunk decoded in one part, in order (the
// first record of the other kind stays the first).
func TestDecodeChunkInParts(t *testing.T) {
	var recs []Record
	for i := range 5 * minPart {
		data := event(fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second))
		switch i % 7 {
		case 3:
			data = contact(fmt.Sprintf("c%d", i), t0)
		case 5:
			data = []byte(`{"EventId":`)
		}
		recs = append(recs, Record{Data: data, SequenceNumber: fmt.Sprint(i)})
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // parts side by side whatever the machine
	e := testEngine(&memStore{}, nil)
	var want stats
	wantItems := make([]item, len(recs))
	e.decodePart(e.logger(), connectreporting.SourceAgentEvents, KindAgentEvent, recs, wantItems, 0, &want)
	var got stats
	items := e.decodeChunk(e.logger(), connectreporting.SourceAgentEvents, KindAgentEvent, recs, &got)
	if !reflect.DeepEqual(items, wantItems) {
		t.Error("the items decoded in parts differ from those decoded in one")
	}
	if got != want || got.firstOther != "3" || got.otherKind != 5*minPart/7+1 || got.decodeErrors == 0 {
		t.Errorf("stats in parts %+v, in one %+v", got, want)
	}
}
