package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ctr"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
)

// TestRawLossless: every record the simulator emits (compact JSON, as
// Connect delivers it, of every agent event kind) is read back: each stored
// agent event byte for byte from the view agent_event_document (on
// PostgreSQL raw is stored encoded, each configuration kept once, since
// migration 00012), and each contact record's newest version byte for byte
// from raw (text on PostgreSQL too since migration 00020), and as the same
// JSON document from contact_record_document (jsonb on PostgreSQL, which
// orders keys and spaces them).
func TestRawLossless(t *testing.T) {
	cfg := simulator.DefaultConfig(11, 6, 2)
	cfg.CTRRedeliveryRate = 0.3
	mem := &simulator.MemorySink{}
	sim, err := simulator.New(cfg, mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.RunUntil(cfg.Start.Add(24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{} // event_id or contact_id -> the record raw must hold
	kinds := map[string]int{}
	evRecs, crRecs := simingest.Split(mem.Records())
	for _, r := range evRecs {
		var id struct{ EventID, EventType string }
		if err := json.Unmarshal(r.Data, &id); err != nil {
			t.Fatal(err)
		}
		want["e:"+id.EventID] = r.Data
		kinds[id.EventType]++
	}
	for _, k := range []string{connectreporting.AgentEventLogin, connectreporting.AgentEventLogout,
		connectreporting.AgentEventStateChange, connectreporting.AgentEventHeartBeat} {
		if kinds[k] == 0 {
			t.Errorf("the simulator emitted no %s event: %v", k, kinds)
		}
	}
	for _, r := range crRecs {
		var id struct{ ContactID string }
		if err := json.Unmarshal(r.Data, &id); err != nil {
			t.Fatal(err)
		}
		want["c:"+id.ContactID] = r.Data // versions arrive in order: the last is the newest
	}
	if len(evRecs) < 100 || len(crRecs) < 20 {
		t.Fatalf("simulator emitted %d agent events and %d contact records", len(evRecs), len(crRecs))
	}
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := openIngestStore(t, dialect, Options{StoreHeartbeats: true})
			ingestAll(t, s, evRecs, crRecs)
			const q = "SELECT 'e:' || event_id, document FROM agent_event_document UNION ALL SELECT 'c:' || contact_id, CAST(raw AS text) FROM contact_record"
			checkRaw(t, readRaw(t, s, q), want)
			checkContactDocuments(t, s, want)
			if dialect == DialectPostgres {
				checkEncoded(t, s, len(evRecs))
			}
			// Replayed, in reverse order: the same documents.
			slices.Reverse(evRecs)
			slices.Reverse(crRecs)
			ingestAll(t, s, evRecs, crRecs)
			checkRaw(t, readRaw(t, s, q), want)
		})
	}
}

func ingestAll(t *testing.T, s *Store, evRecs, crRecs []ingest.Record) {
	t.Helper()
	e := &ingest.Engine{Store: s}
	for src, recs := range map[string][]ingest.Record{
		connectreporting.SourceAgentEvents: evRecs, connectreporting.SourceCTR: crRecs} {
		if res, err := e.Ingest(context.Background(), src, recs); err != nil || res.Rejected != 0 {
			t.Fatalf("ingest %s: %+v, %v", src, res, err)
		}
	}
}

// checkRaw compares the stored documents with the records.
func checkRaw(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d raw documents stored, want %d", len(got), len(want))
	}
	for k, w := range want {
		if !bytes.Equal(got[k], w) {
			t.Errorf("%s: document is\n%.300s\nwant\n%.300s", k, got[k], w)
		}
	}
}

// checkContactDocuments checks that contact_record_document gives each
// contact's document (want's "c:" entries) as the same JSON.
func checkContactDocuments(t *testing.T, s *Store, want map[string][]byte) {
	t.Helper()
	got := readRaw(t, s, "SELECT 'c:' || contact_id, CAST(document AS text) FROM contact_record_document")
	for k, w := range want {
		if strings.HasPrefix(k, "c:") && !sameJSON(t, got[k], w) {
			t.Errorf("%s: contact_record_document has\n%.300s\nwant\n%.300s", k, got[k], w)
		}
	}
}

// checkEncoded checks that PostgreSQL stored every agent event's raw
// encoded (configurations and statuses cut out), each part once.
func checkEncoded(t *testing.T, s *Store, events int) {
	t.Helper()
	var encoded, cfgs, distinct int
	var rawBytes, docBytes int64
	err := s.DB().QueryRow(`SELECT count(e.configuration_sha256), sum(octet_length(e.raw)), sum(octet_length(d.document)),
		(SELECT count(*) FROM agent_event_part),
		(SELECT count(DISTINCT x) FROM (SELECT configuration_sha256 FROM agent_event UNION SELECT previous_configuration_sha256 FROM agent_event
			UNION SELECT agent_status_sha256 FROM agent_event UNION SELECT previous_agent_status_sha256 FROM agent_event) u(x))
		FROM agent_event e JOIN agent_event_document d ON d.event_id = e.event_id`).Scan(&encoded, &rawBytes, &docBytes, &cfgs, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if encoded != events || cfgs != distinct || cfgs == 0 || cfgs > events/4 || rawBytes*2 > docBytes {
		t.Errorf("%d of %d events encoded, %d parts kept (%d named), raw %d bytes for documents of %d",
			encoded, events, cfgs, distinct, rawBytes, docBytes)
	}
}

func readRaw(t *testing.T, s *Store, query string) map[string][]byte {
	t.Helper()
	rows, err := s.DB().QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][]byte{}
	for rows.Next() {
		var k string
		var raw []byte
		if err := rows.Scan(&k, &raw); err != nil {
			t.Fatal(err)
		}
		got[k] = raw
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// sameJSON reports whether a and b are the same JSON document.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// TestContactDocuments: contact records with the escapes and values JSON
// allows but jsonb or a column does not take as they are (\u0000, lone
// surrogates, an escaped backslash before u0000, invalid UTF-8, numbers at
// float64's edges, a repeated name), and the decoder's fixtures
// (../ctr/testdata), are stored with raw exactly as the decoder cleaned
// them, and every one reads as the same JSON document from
// contact_record_document: on PostgreSQL, where raw is text since
// migration 00020, raw::jsonb never fails on what the store wrote.
func TestContactDocuments(t *testing.T) {
	docs := []string{
		`{"ContactId":"c-nul","Attributes":{"a":"x\u0000y","\u0000":"z"}}`,
		`{"ContactId":"c-surrogate","Attributes":{"lone":"\ud800","low":"\udc00x\ud83d\ude00","pair":"\ud83d\ude00"}}`,
		`{"ContactId":"c-backslash","Attributes":{"a":"\\u0000","b":"\\\u0000","q":"\"quoted\"","c":"\u00e9\u212A\t"}}`,
		"{\"ContactId\":\"c-utf8\",\"Attributes\":{\"bad\":\"bad\xff\xfeutf8\",\"rtl\":\"\u202eRTL\"}}",
		`{"ContactId":"c-numbers","N":[1e308,-1e-308,0.1,-0,1E+2,123456789012345678901234567890],"Queue":{"Duration":12.5}}`,
		`{"ContactId":"c-repeat","a":1,"a":2,"Attributes":{"k":"1","k":"2"}}`,
	}
	fixtures, err := filepath.Glob("../ctr/testdata/*.json")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("fixtures: %v, %v", fixtures, err)
	}
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	var crs []connectreporting.ContactRecord
	want := map[string][]byte{}
	for _, d := range docs {
		c, err := ctr.Decode([]byte(d))
		if err != nil {
			t.Fatalf("decode %.80s: %v", d, err)
		}
		crs = append(crs, c)
		want["c:"+c.ContactID] = c.Raw
	}
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := openIngestStore(t, dialect, Options{})
			if _, err := s.StoreBatch(context.Background(), connectreporting.Batch{ContactRecords: crs}); err != nil {
				t.Fatal(err)
			}
			checkRaw(t, readRaw(t, s, "SELECT 'c:' || contact_id, raw FROM contact_record"), want)
			checkContactDocuments(t, s, want)
		})
	}
}
