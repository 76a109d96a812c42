package sqlstore

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

var updateIngestGolden = flag.Bool("update-ingest", false, "rewrite the ingest golden files in testdata/")

// checkGolden compares got with testdata/name, or rewrites it with -update-ingest.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateIngestGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update-ingest to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the generated text (run with -update-ingest after checking the change):\n%s", path, got)
	}
}

// TestSQLServerIngestSQL pins the T-SQL batches StoreBatch sends to SQL
// Server, and the JSON documents that carry the rows, as golden files: no
// SQL Server runs here, so a change to either must be reviewed by eye.
func TestSQLServerIngestSQL(t *testing.T) {
	q := buildMSSQLIngestSQL()
	for _, tc := range []struct{ name, sql string }{
		{"ingest_sqlserver_events.sql.golden", q.events},
		{"ingest_sqlserver_contacts.sql.golden", q.contacts},
		{"ingest_sqlserver_rejected.sql.golden", q.rejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name, tc.sql+"\n")
			// Every row travels in one JSON parameter per record kind: far
			// below SQL Server's 2,100 parameters, whatever the batch size.
			for _, p := range []string{"@p3", "@p4", "?", "$1"} {
				if strings.Contains(tc.sql, p) {
					t.Errorf("unexpected parameter %s in %s", p, tc.name)
				}
			}
		})
	}

	b := connectreporting.Batch{
		AgentEvents: []connectreporting.AgentEvent{
			agentEvent("e2", connectreporting.AgentEventHeartBeat, at(120), "a1", "Available", at(0)),
			agentEvent("e1", connectreporting.AgentEventLogin, at(0), "a1", "Available", at(0)),
		},
		ContactRecords: []connectreporting.ContactRecord{
			contactRecord("c-1", at(200), "a1", map[string]string{"tier": "gold", "lang": `"en"`}),
			contactRecord("c-1", at(100), "a1", nil),
		},
		Rejected: []connectreporting.RejectedRecord{rejected("17", "\xff not json")},
	}
	p := prepareBatch(b, false)
	evs, err := mssqlEventsJSON(p.events)
	if err != nil {
		t.Fatal(err)
	}
	recs, attrs, err := mssqlContactsJSON(p.contacts)
	if err != nil {
		t.Fatal(err)
	}
	rj, err := mssqlRejectedJSON(p.rejected)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "ingest_sqlserver_params.json.golden", evs+"\n"+recs+"\n"+attrs+"\n"+rj+"\n")
}

// TestIntegrationSQLServerStoreBatch runs the semantics and replay tests on
// a real SQL Server when MSSQL_DSN is set.
func TestIntegrationSQLServerStoreBatch(t *testing.T) {
	if os.Getenv("MSSQL_DSN") == "" {
		t.Skip("MSSQL_DSN is not set; set it to a sqlserver:// DSN of a scratch database to run the SQL Server ingest tests")
	}
	t.Run("semantics", func(t *testing.T) { storeBatchSemantics(t, "sqlserver") })
	t.Run("replay", func(t *testing.T) { storeBatchReplay(t, "sqlserver") })
}

// TestSQLServerIngestCollations: the staging tables take the database's
// collation, like the tables they are joined with (two different implicit
// collations cannot be compared: Msg 468); only orderings name a binary
// collation, on both sides.
func TestSQLServerIngestCollations(t *testing.T) {
	q := buildMSSQLIngestSQL()
	for name, sql := range map[string]string{"events": q.events, "contacts": q.contacts, "rejected": q.rejected} {
		for _, line := range strings.Split(sql, "\n") {
			if !strings.Contains(line, "COLLATE") {
				continue
			}
			if strings.Count(line, "COLLATE") < 2 || !strings.Contains(line, ">") {
				t.Errorf("%s: COLLATE outside a two-sided ordering: %s", name, strings.TrimSpace(line))
			}
		}
	}
}

// TestSQLServerAttributeNamesFold: attribute names that SQL Server's
// default collation takes as equal are staged once, so the batch cannot
// fail on contact_attribute's key.
func TestSQLServerAttributeNamesFold(t *testing.T) {
	p := prepareBatch(connectreporting.Batch{ContactRecords: []connectreporting.ContactRecord{{
		ContactID: "c1", LastUpdateTimestamp: t0, Raw: []byte(`{}`),
		Attributes: map[string]string{"AccountId": "1", "accountid": "2", "tier ": "x", "tier": "y", "lang": "en"},
	}}}, false)
	_, attrs, err := mssqlContactsJSON(p.contacts)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"contact_id":"c1","name":"accountid","value":"2"},{"contact_id":"c1","name":"lang","value":"en"},{"contact_id":"c1","name":"tier ","value":"x"}]`
	if attrs != want {
		t.Errorf("attributes\n got %s\nwant %s", attrs, want)
	}
}
