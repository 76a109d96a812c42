package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/mssqltest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openStore opens a fresh, migrated store of dialect (sqlite, postgres, or
// sqlserver when MSSQL_DSN is set).
func openStore(t testing.TB, dialect string) *sqlstore.Store {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	switch dialect {
	case sqlstore.DialectPostgres:
		dsn = pgtest.DSN(t)
	case sqlstore.DialectSQLServer:
		dsn = mssqltest.DSN(t)
	}
	s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// storeDialects are the dialects the store tests run on: SQL Server too
// when MSSQL_DSN names a server.
var storeDialects = mssqltest.Dialects(sqlstore.DialectSQLite, sqlstore.DialectPostgres)

func count(t testing.TB, s *sqlstore.Store, query string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// parkedRecord is one row of rejected_record.
type parkedRecord struct{ seq, err string }

// parked reads rejected_record's sequence numbers and errors, in
// sequence-number order.
func parked(t testing.TB, s *sqlstore.Store) []parkedRecord {
	t.Helper()
	const q = "SELECT sequence_number, error FROM rejected_record ORDER BY sequence_number"
	rows, err := s.DB().Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []parkedRecord
	for rows.Next() {
		var r parkedRecord
		if err := rows.Scan(&r.seq, &r.err); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// poisonConstraint makes the database itself refuse agent events of type
// POISON, as a value the decoders let through would: a CHECK constraint on
// PostgreSQL (SQLSTATE 23514), a trigger raising SQLITE_CONSTRAINT on SQLite.
func poisonConstraint(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	q := `ALTER TABLE agent_event ADD CONSTRAINT no_poison CHECK (event_type <> 'POISON')`
	if s.Dialect() == sqlstore.DialectSQLite {
		q = `CREATE TRIGGER no_poison BEFORE INSERT ON agent_event WHEN NEW.event_type = 'POISON'
			BEGIN SELECT RAISE(ABORT, 'no poison'); END`
	}
	if _, err := s.DB().Exec(q); err != nil {
		t.Fatal(err)
	}
}

func loginEvent(id, typ string, ts time.Time) []byte {
	return []byte(fmt.Sprintf(`{"EventId":%q,"EventType":%q,"EventTimestamp":%q,"AgentARN":"arn:aws:connect:eu-west-2:1:instance/i/agent/a-%s"}`, id, typ, ts.Format(time.RFC3339), id))
}

// TestIngestIsolatesRecordsTheStoreRefuses: a record the database refuses
// (a data error) is isolated by bisection and parked; every other record of
// its chunk and of the later chunks is stored, nothing is failed.
func TestIngestIsolatesRecordsTheStoreRefuses(t *testing.T) {
	for _, dialect := range storeDialects {
		t.Run(dialect, func(t *testing.T) {
			s := openStore(t, dialect)
			poisonConstraint(t, s)
			var recs []Record
			for i := range 23 {
				typ := connectreporting.AgentEventLogin
				if i == 6 || i == 17 {
					typ = "POISON"
				}
				recs = append(recs, Record{Data: loginEvent(fmt.Sprintf("e%02d", i), typ, t0.Add(time.Duration(i)*time.Second)), SequenceNumber: fmt.Sprint(1000 + i), PartitionKey: "pk"})
			}
			e := testEngine(s, nil)
			e.ChunkSize = 8
			res, err := e.Ingest(context.Background(), connectreporting.SourceAgentEvents, recs)
			if err != nil || len(res.Failed) != 0 {
				t.Fatalf("Ingest = %+v, %v", res, err)
			}
			if res.Stored != 21 || res.Rejected != 2 || res.Duplicate != 0 {
				t.Errorf("counts = %+v, want 21 stored, 2 rejected", res.BatchResult)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM agent_event"); n != res.Stored {
				t.Errorf("agent_event has %d rows, Ingest said %d stored", n, res.Stored)
			}
			var seqs []string
			for _, r := range parked(t, s) {
				seqs = append(seqs, r.seq)
				if !strings.Contains(r.err, "refused by the database") || !strings.Contains(r.err, "no_poison") && !strings.Contains(r.err, "no poison") {
					t.Errorf("rejected_record.error = %q", r.err)
				}
			}
			if fmt.Sprint(seqs) != "[1006 1017]" {
				t.Errorf("parked %v, want [1006 1017]", seqs)
			}
			// A replay changes nothing: the good records are duplicates,
			// the poison is parked again (rejected_record keeps one row per
			// sequence number).
			res, err = e.Ingest(context.Background(), connectreporting.SourceAgentEvents, recs)
			if err != nil || res.Stored != 0 || res.Duplicate != 21 {
				t.Errorf("replay = %+v, %v", res, err)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM rejected_record"); n != 2 {
				t.Errorf("rejected_record has %d rows after the replay, want 2", n)
			}
		})
	}
}

// TestIngestConnectionErrorFailsTheBatch: an error that is no data error
// (the database is gone) parks nothing: the records are failed, to be
// retried.
func TestIngestConnectionErrorFailsTheBatch(t *testing.T) {
	for _, dialect := range storeDialects {
		t.Run(dialect, func(t *testing.T) {
			s := openStore(t, dialect)
			recs := []Record{{Data: loginEvent("a", "LOGIN", t0)}, {Data: []byte("not json")}, {Data: loginEvent("b", "LOGIN", t0)}}
			s.Close()
			res, err := testEngine(s, nil).Ingest(context.Background(), connectreporting.SourceAgentEvents, recs)
			if err == nil || errors.Is(err, connectreporting.ErrData) {
				t.Fatalf("err = %v, want a store error that is no data error", err)
			}
			if len(res.Failed) != 3 || res.Stored+res.Rejected != 0 {
				t.Errorf("Result = %+v", res)
			}
		})
	}
}

// TestIngestFilePoisonAndOversizedLines: `ingest` of a file with poison
// values and a line over the reader's 16 MiB limit stores every other
// line, parks those (the oversized one with its payload cut to
// MaxPayloadLen) and reads on to the end.
func TestIngestFilePoisonAndOversizedLines(t *testing.T) {
	var lines [][]byte
	for i := range 9 {
		lines = append(lines, loginEvent(fmt.Sprintf("e%d", i), "LOGIN", t0.Add(time.Duration(i)*time.Minute)))
	}
	poison := map[int][]byte{
		2: []byte(`{"EventId":"p1","EventType":"LOGIN","EventTimestamp":"0001-01-01T00:00:00Z"}`),
		4: []byte(`{"EventId":"p2","EventType":"LOGIN","EventTimestamp":"   "}`),
		5: []byte(`{"EventId":"  ","EventType":"LOGIN","EventTimestamp":"2024-01-01T00:00:00Z"}`),
		7: []byte(`{"EventId":"p4","EventType":"LOGIN","EventTimestamp":"2024-01-01T00:00:00Z","pad":"` + strings.Repeat("x", DefaultMaxRecordSize) + `"}`),
	}
	var file []byte
	for i, l := range lines {
		file = append(append(file, l...), '\n')
		if p, ok := poison[i]; ok {
			file = append(append(file, p...), '\n')
		}
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dialect := range storeDialects {
		t.Run(dialect, func(t *testing.T) {
			s := openStore(t, dialect)
			res, err := testEngine(s, nil).IngestFile(context.Background(), connectreporting.SourceAgentEvents, path, nil)
			if err != nil || res.Stored != 9 || res.Rejected != 4 || len(res.Failed) != 0 {
				t.Fatalf("IngestFile = %+v, %v", res, err)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM agent_event"); n != 9 {
				t.Errorf("agent_event has %d rows, want 9", n)
			}
			rows, err := s.DB().Query("SELECT sequence_number, error, payload FROM rejected_record ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			want := []struct{ seq, err string }{
				{":4", "EventTimestamp: timestamp \"0001-01-01T00:00:00Z\" out of range"},
				{":7", "EventTimestamp: missing or blank"},
				{":9", "EventId: missing or blank"},
				{":12", "record too large"},
			}
			i := 0
			for ; rows.Next(); i++ {
				var seq, msg string
				var payload []byte
				if err := rows.Scan(&seq, &msg, &payload); err != nil {
					t.Fatal(err)
				}
				if i >= len(want) || !strings.HasSuffix(seq, want[i].seq) || !strings.Contains(msg, want[i].err) {
					t.Errorf("rejected %d: %s %q", i, seq, msg)
					continue
				}
				if i == 3 && (len(payload) != connectreporting.MaxPayloadLen || !strings.Contains(msg, "payload truncated")) {
					t.Errorf("oversized record: %d bytes kept, error %q", len(payload), msg)
				}
			}
			if i != len(want) {
				t.Errorf("%d rejected records, want %d", i, len(want))
			}
		})
	}
}
