package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// TestIntegrationMaintain stores rows 40, 10 and 1 days old on every
// dialect, then: raw-days 7 clears raw of the two older ones only (on
// PostgreSQL the agent_event_part rows only they named go too),
// keep-days 30 deletes the oldest (contact attributes with their record),
// a second run changes nothing, and the index maintenance runs (on
// PostgreSQL with the rebuild threshold lowered, so the REINDEX
// CONCURRENTLY path runs for real).
func TestIntegrationMaintain(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openIngestStore(t, dialect, Options{})
			now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
			var b connectreporting.Batch
			for _, age := range []int{40, 10, 1} {
				at := now.AddDate(0, 0, -age)
				id := fmt.Sprintf("d%02d", age)
				// Each in a status started before the event: a status part of its own.
				b.AgentEvents = append(b.AgentEvents, agentEvent("e-"+id, "STATE_CHANGE", at, "agent-"+id, "Available", at.Add(-time.Minute)))
				b.ContactRecords = append(b.ContactRecords, contactRecord("c-"+id, at, "agent-"+id, map[string]string{"k": "v"}))
				r := rejected(id, "x")
				r.ReceivedAt = at
				b.Rejected = append(b.Rejected, r)
			}
			if _, err := s.StoreBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
			if dialect == DialectPostgres {
				defer func(n int64) { pgReindexMinBytes = n }(pgReindexMinBytes)
				pgReindexMinBytes = 0
			}
			res, err := s.Maintain(ctx, MaintainOptions{RawDays: 7, KeepDays: 30, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if res.RawCleared["agent_event"] != 2 || res.RawCleared["contact_record"] != 2 {
				t.Errorf("raw cleared %v, want 2 agent events and 2 contact records (the 40- and 10-day-old ones)", res.RawCleared)
			}
			want := map[string]int64{"agent_event": 1, "contact_record": 1, "contact_attribute": 1, "rejected_record": 1}
			for table, n := range want {
				if res.Deleted[table] != n {
					t.Errorf("deleted from %s: %d, want %d (all: %v)", table, res.Deleted[table], n, res.Deleted)
				}
			}
			wantRows(t, s, "SELECT event_id, CASE WHEN raw IS NULL THEN 'no raw' ELSE 'raw' END FROM agent_event ORDER BY event_id", "e-d01|raw", "e-d10|no raw")
			wantRows(t, s, "SELECT contact_id, CASE WHEN raw IS NULL THEN 'no raw' ELSE 'raw' END FROM contact_record ORDER BY contact_id", "c-d01|raw", "c-d10|no raw")
			wantRows(t, s, "SELECT contact_id FROM contact_attribute ORDER BY contact_id", "c-d01", "c-d10")
			wantRows(t, s, "SELECT sequence_number FROM rejected_record ORDER BY sequence_number", "d01", "d10")
			wantRows(t, s, "SELECT event_id, CASE WHEN document IS NULL THEN 'none' ELSE 'document' END FROM agent_event_document ORDER BY event_id", "e-d01|document", "e-d10|none")
			wantRows(t, s, "SELECT contact_id, CASE WHEN document IS NULL THEN 'none' ELSE 'document' END FROM contact_record_document ORDER BY contact_id", "c-d01|document", "c-d10|none")
			if dialect == DialectPostgres {
				checkPartsKept(t, s, res.Deleted["agent_event_part"])
			}
			checkIndexMaintenance(t, dialect, res.Index)

			again, err := s.Maintain(ctx, MaintainOptions{RawDays: 7, KeepDays: 30, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			for table, n := range again.RawCleared {
				if n != 0 {
					t.Errorf("second run cleared raw of %d %s rows", n, table)
				}
			}
			for table, n := range again.Deleted {
				if n != 0 {
					t.Errorf("second run deleted %d %s rows", n, table)
				}
			}
			// The old contact record delivered again after its raw was
			// cleared is a duplicate, not a second row or an error.
			if _, err := s.StoreBatch(ctx, connectreporting.Batch{ContactRecords: []connectreporting.ContactRecord{contactRecord("c-d10", now.AddDate(0, 0, -10), "agent-d10", map[string]string{"k": "v"})}}); err != nil {
				t.Fatal(err)
			}
			wantRows(t, s, "SELECT COUNT(*) FROM contact_record", "2")
		})
	}
}

func checkIndexMaintenance(t *testing.T, dialect string, ran []string) {
	t.Helper()
	joined := strings.Join(ran, "\n")
	switch dialect {
	case DialectPostgres:
		if !strings.HasPrefix(joined, "VACUUM (ANALYZE) agent_event, contact_record") || !strings.Contains(joined, "REINDEX INDEX CONCURRENTLY ") {
			t.Errorf("PostgreSQL maintenance ran:\n%s", joined)
		}
	case DialectSQLite:
		if !strings.HasSuffix(joined, "PRAGMA optimize") {
			t.Errorf("SQLite maintenance ran:\n%s", joined)
		}
	}
}

// TestSQLiteMaintainVacuumsFreePages: after deleting most of a file's rows,
// maintenance gives the free pages back with VACUUM.
func TestSQLiteMaintainVacuumsFreePages(t *testing.T) {
	ctx := context.Background()
	s := openIngestStore(t, DialectSQLite, Options{})
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	var b connectreporting.Batch
	for i := range 400 {
		at := now.AddDate(0, 0, -60).Add(time.Duration(i) * time.Minute)
		b.AgentEvents = append(b.AgentEvents, agentEvent("e-"+strconv.Itoa(i), "STATE_CHANGE", at, "agent-1", "Available", at))
	}
	if _, err := s.StoreBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	res, err := s.Maintain(ctx, MaintainOptions{KeepDays: 30, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted["agent_event"] != 400 || !strings.Contains(strings.Join(res.Index, ";"), "VACUUM") {
		t.Errorf("deleted %v, ran %v; want 400 agent events deleted and a VACUUM", res.Deleted, res.Index)
	}
	var free int64
	if err := s.DB().QueryRow("PRAGMA freelist_count").Scan(&free); err != nil || free != 0 {
		t.Errorf("free pages after maintenance: %d (%v)", free, err)
	}
}

// TestSQLServerMaintainSQL pins the SQL Server index maintenance batch (no
// SQL Server here: review a change by eye, rewrite with -update-ingest).
func TestSQLServerMaintainSQL(t *testing.T) {
	checkGolden(t, "maintain_sqlserver.sql.golden", mssqlMaintainSQL()+"\n-- PostgreSQL: bloated indexes\n"+pgBloatedIndexesSQL+"\n")
}

// checkPartsKept: of the configuration and status parts of the three
// agents' events, those of the agent whose event keeps its raw remain, and
// its document still comes back whole; deleted is what Maintain reported.
func checkPartsKept(t *testing.T, s *Store, deleted int64) {
	t.Helper()
	if deleted != 4 {
		t.Errorf("deleted %d agent_event_part rows, want 4 (configuration and status of the 40- and 10-day-old events)", deleted)
	}
	wantRows(t, s, `SELECT count(*) FROM agent_event_part p WHERE EXISTS (SELECT 1 FROM agent_event e
		WHERE e.event_id = 'e-d01' AND p.sha256 IN (e.configuration_sha256, e.agent_status_sha256))`, "2")
	wantRows(t, s, "SELECT count(*) FROM agent_event_part", "2")
	var doc, raw string
	if err := s.DB().QueryRow("SELECT d.document, e.raw FROM agent_event_document d JOIN agent_event e USING (event_id) WHERE event_id = 'e-d01'").Scan(&doc, &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, `"Configuration":{`) || strings.Contains(raw, `"Configuration":{`) {
		t.Errorf("e-d01: raw %q, document %q: want the configuration cut out of raw and put back", raw, doc)
	}
}
