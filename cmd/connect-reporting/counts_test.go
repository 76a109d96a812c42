package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
)

// TestIngestCountsAreTheRows (issue 11): `ingest` of two hours of
// simulated streams, with Kinesis's duplicates, heartbeats and re-delivered
// contact records (older versions too), prints counts that are what the
// tables show; a replay prints only duplicates (and heartbeats).
func TestIngestCountsAreTheRows(t *testing.T) {
	cfg := simulator.DefaultConfig(5, 12, 2)
	cfg.Start = cfg.Start.Add(8 * time.Hour)
	cfg.AgentEventDuplicateRate, cfg.CTRDuplicateRate, cfg.CTRRedeliveryRate = 0.05, 0.05, 0.3
	recs, err := simulator.Emit(cfg, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := func(stream string) string { return filepath.Join(dir, stream+".jsonl") }
	ae, ctr := simingest.Split(recs)
	for stream, recs := range map[string][]ingest.Record{"agent-events": ae, "ctr": ctr} {
		var b bytes.Buffer
		for _, r := range recs {
			fmt.Fprintf(&b, "%s\n", r.Data)
		}
		if stream == "agent-events" {
			b.WriteString("{not json\n")
		}
		if err := os.WriteFile(path(stream), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	counts := regexp.MustCompile(`stored (\d+), updated (\d+), duplicate (\d+), heartbeat (\d+), rejected (\d+)`)
	parse := func(out string) [5]int {
		m := counts.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no counts in %q", out)
		}
		var n [5]int
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		return n
	}
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			db, err := sql.Open(driverOf(dsn), connOf(t, dsn))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows := func(table string) int {
				var n int
				if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			var total [2][5]int
			for i, stream := range []string{"agent-events", "ctr"} {
				out, _, err := run(t, nil, "", "ingest", stream, path(stream), "--db", dsn, "--batch", "100")
				if err != nil {
					t.Fatal(err)
				}
				total[i] = parse(out)
				t.Logf("%s: %s", stream, out)
			}
			ae, ctr := total[0], total[1]
			if ae[0] != rows("agent_event") || ctr[0] != rows("contact_record") || ae[4]+ctr[4] != rows("rejected_record") {
				t.Errorf("printed agent events %v, contact records %v; rows: agent_event %d, contact_record %d, rejected_record %d",
					ae, ctr, rows("agent_event"), rows("contact_record"), rows("rejected_record"))
			}
			if ae[2] == 0 || ae[3] == 0 || ctr[1]+ctr[2] == 0 || ae[4] != 1 {
				t.Errorf("the simulated streams should hold duplicates, heartbeats and re-deliveries: %v %v", ae, ctr)
			}
			out, _, err := run(t, nil, "", "ingest", "ctr", path("ctr"), "--db", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if again := parse(out); again[0] != 0 || again[1] != 0 || again[2] != ctr[0]+ctr[1]+ctr[2] {
				t.Errorf("replay printed %v", again)
			}
		})
	}
}

// TestIngestNotStoredCount (issue 11): when the database fails in the
// middle of a file, `ingest` says how many records were not stored: the
// failed transaction's and every later record's, not just one chunk's.
func TestIngestNotStoredCount(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		fmt.Fprintf(f, `{"EventId":"e%04d","EventType":"LOGIN","EventTimestamp":"2026-11-23T09:00:00Z"}`+"\n", i)
	}
	f.Close()
	dsn := "sqlite:" + filepath.Join(dir, "r.db")
	if _, _, err := run(t, nil, "", "migrate", "--db", dsn); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A trigger that makes the insert of e0750 fail with an error that is
	// no data error (SQLITE_ERROR "integer overflow"), as a database that
	// goes away would.
	if _, err := db.Exec(`CREATE TRIGGER fail_e0750 BEFORE INSERT ON agent_event WHEN NEW.event_id = 'e0750'
		BEGIN SELECT abs(-9223372036854775807 - 1); END`); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, nil, "", "ingest", "agent-events", path, "--db", dsn, "--batch", "100")
	if err == nil || !strings.Contains(err.Error(), "2300 records not stored (from record 701)") {
		t.Errorf("error %v, want 2300 records not stored from record 701", err)
	}
	if !strings.Contains(out, "stored 700,") {
		t.Errorf("stdout %q", out)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM agent_event").Scan(&n); err != nil || n != 700 {
		t.Errorf("agent_event has %d rows (%v), want 700", n, err)
	}
}
