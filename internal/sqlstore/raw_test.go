package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
)

// TestRawLossless: every record the simulator emits (compact JSON, as
// Connect delivers it) is read back from raw: each stored agent event byte
// for byte, and each contact record's newest version byte for byte, except
// on PostgreSQL, where contact_record.raw is jsonb and gives back the same
// JSON document (jsonb orders keys and spaces them). agent_event.raw is text
// on PostgreSQL since migration 00009.
func TestRawLossless(t *testing.T) {
	cfg := simulator.DefaultConfig(11, 6, 2)
	cfg.CTRRedeliveryRate = 0.3
	mem := &simulator.MemorySink{}
	sim, err := simulator.New(cfg, mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.RunUntil(cfg.Start.Add(11 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{} // event_id or contact_id -> the record raw must hold
	evRecs, crRecs := simingest.Split(mem.Records())
	for _, r := range evRecs {
		var id struct{ EventID, EventType string }
		if err := json.Unmarshal(r.Data, &id); err != nil {
			t.Fatal(err)
		}
		if id.EventType != connectreporting.AgentEventHeartBeat {
			want["e:"+id.EventID] = r.Data
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
			s := openIngestStore(t, dialect, Options{})
			e := &ingest.Engine{Store: s}
			ctx := context.Background()
			for src, recs := range map[string][]ingest.Record{
				connectreporting.SourceAgentEvents: evRecs, connectreporting.SourceCTR: crRecs} {
				if res, err := e.Ingest(ctx, src, recs); err != nil || res.Rejected != 0 {
					t.Fatalf("ingest %s: %+v, %v", src, res, err)
				}
			}
			got := readRaw(t, s, "SELECT 'e:' || event_id, raw FROM agent_event UNION ALL SELECT 'c:' || contact_id, CAST(raw AS text) FROM contact_record")
			if len(got) != len(want) {
				t.Errorf("%d raw documents stored, want %d", len(got), len(want))
			}
			for k, w := range want {
				same := bytes.Equal(got[k], w)
				if dialect == DialectPostgres && strings.HasPrefix(k, "c:") {
					same = sameJSON(t, got[k], w) // contact_record.raw is jsonb there
				}
				if !same {
					t.Errorf("%s: raw is\n%.300s\nwant\n%.300s", k, got[k], w)
				}
			}
		})
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
