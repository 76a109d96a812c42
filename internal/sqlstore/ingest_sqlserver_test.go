package sqlstore

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
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

// TestSQLServerStagingTypes: every staging column has the type of the
// table column it feeds, as the migrations leave it (issue 13: error text
// was staged as nvarchar(450) and cut; channel as nvarchar(450), so a long
// one failed the MERGE; the payload went through an XML cast). OPENJSON
// reads text whole (nvarchar(max)), so a value too long for its column
// fails the staging INSERT (Msg 2628) instead of being cut silently.
func TestSQLServerStagingTypes(t *testing.T) {
	schema, err := mssqlSchema()
	if err != nil {
		t.Fatal(err)
	}
	q := buildMSSQLIngestSQL()
	staged := map[string]string{"@t": "agent_event", "@c": "contact_record", "@a": "contact_attribute", "@r": "rejected_record"}
	decl := regexp.MustCompile(`(?s)DECLARE (@\w+) TABLE \(\n(.*?)\);`)
	seen := map[string]bool{}
	for _, sql := range []string{q.events, q.contacts, q.rejected} {
		if strings.Contains(sql, "xml") {
			t.Errorf("XML cast left in the SQL:\n%s", sql)
		}
		for _, m := range decl.FindAllStringSubmatch(sql, -1) {
			table, ok := staged[m[1]]
			if !ok {
				continue
			}
			seen[m[1]] = true
			for _, line := range strings.Split(m[2], ",\n") {
				f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), " PRIMARY KEY"))
				name, typ := f[0], strings.Join(f[1:], " ")
				if name == "hist" || name == "st" {
					continue
				}
				if want := schema[table][name]; typ != want {
					t.Errorf("%s.%s staged as %q, column is %q", table, name, typ, want)
				}
			}
		}
	}
	if len(seen) != len(staged) {
		t.Errorf("staging tables found %v, want %v", seen, staged)
	}
	for col, want := range map[string]string{
		"rejected_record.error": "nvarchar(max)", "rejected_record.payload": "varbinary(max)",
		"contact_record.channel": "nvarchar(32)", "contact_attribute.name": "nvarchar(max)",
		"agent_event.event_id": "nvarchar(128) " + mssqlBin, "contact_record.contact_id": "nvarchar(128) " + mssqlBin,
	} {
		table, name, _ := strings.Cut(col, ".")
		if got := schema[table][name]; got != want {
			t.Errorf("%s is %q after the migrations, want %q", col, got, want)
		}
	}
}

// TestSQLServerRejectedDedup: the dedup of rejected records seeks the
// filtered index (no "OR ... IS NULL" on sequence_number) and holds the
// range it looked up (UPDLOCK, HOLDLOCK) in both of its branches.
func TestSQLServerRejectedDedup(t *testing.T) {
	sql := buildMSSQLIngestSQL().rejected
	if n := strings.Count(sql, "FROM rejected_record r WITH (UPDLOCK, HOLDLOCK)"); n != 2 {
		t.Errorf("%d locked NOT EXISTS lookups, want 2:\n%s", n, sql)
	}
	if strings.Contains(sql, "sequence_number IS NULL AND j.sequence_number IS NULL") || strings.Contains(sql, "OR (r.sequence_number") {
		t.Errorf("sequence_number compared with OR ... IS NULL (defeats the filtered index):\n%s", sql)
	}
	if !strings.Contains(sql, "r.sequence_number IS NOT NULL AND r.sequence_number = j.sequence_number") {
		t.Errorf("the lookup does not state the filtered index's predicate:\n%s", sql)
	}
}

// TestSQLServerAttributeNames: attribute names are distinct by exact bytes,
// as on the other dialects: names that a case-insensitive collation would
// take as equal are all staged (contact_attribute is keyed on the names'
// SHA-256, so they cannot collide), none is lost.
func TestSQLServerAttributeNames(t *testing.T) {
	p := prepareBatch(connectreporting.Batch{ContactRecords: []connectreporting.ContactRecord{{
		ContactID: "c1", LastUpdateTimestamp: t0, Raw: []byte(`{}`),
		Attributes: map[string]string{"AccountId": "1", "accountid": "2", "tier ": "x", "tier": "y", strings.Repeat("n", 10000): "long"},
	}}}, false)
	_, attrs, err := mssqlContactsJSON(p.contacts)
	if err != nil {
		t.Fatal(err)
	}
	var got []struct{ Name, Value string }
	if err := json.Unmarshal([]byte(attrs), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d attributes staged, want 5: %s", len(got), attrs)
	}
	if !strings.Contains(buildMSSQLIngestSQL().contacts, "CAST(HASHBYTES('SHA2_256', a.name) AS binary(32))") {
		t.Error("contact_attribute rows are not keyed on the SHA-256 of the name")
	}
}
