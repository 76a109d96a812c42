package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// contactKPIDefinition is kpi_contact as computed from contact_record: the
// view migration 00022 replaced (its Down section puts it back), which
// contact_kpi must equal.
func contactKPIDefinition(t *testing.T) string {
	t.Helper()
	files, err := MigrationSQL(DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	m := files["00022_contact_kpi.sql"]
	_, down, ok := strings.Cut(m, "-- +goose Down")
	const head = "CREATE OR REPLACE VIEW kpi_contact AS\n"
	_, def, ok2 := strings.Cut(down, head)
	def, _, ok3 := strings.Cut(def, ";\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("00022_contact_kpi.sql: no kpi_contact definition in its Down section")
	}
	return def
}

// assertContactKPI checks that contact_kpi holds exactly kpi_contact's
// definition over contact_record (NULLs compared equal), and that it holds
// want rows.
func assertContactKPI(t *testing.T, s *Store, def string, want int, step string) {
	t.Helper()
	ctx := context.Background()
	var diff, n int
	q := fmt.Sprintf(`SELECT (SELECT count(*) FROM ((TABLE contact_kpi EXCEPT ALL %[1]s) UNION ALL (%[1]s EXCEPT ALL TABLE contact_kpi)) d),
    (SELECT count(*) FROM contact_kpi)`, "("+def+")")
	if err := s.DB().QueryRowContext(ctx, q).Scan(&diff, &n); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	if diff != 0 || n != want {
		t.Errorf("%s: contact_kpi has %d rows (want %d), %d differ from kpi_contact's definition over contact_record", step, n, want, diff)
	}
}

// contactKPIAddresses returns the physical address (ctid) of every
// contact_kpi row by contact.
func contactKPIAddresses(t *testing.T, s *Store) map[string]string {
	t.Helper()
	rows, err := s.DB().QueryContext(context.Background(), "SELECT contact_id, ctid::text FROM contact_kpi")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, at string
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		out[id] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// kpiContacts returns contacts covering every flag of kpi_contact: queued
// and answered with holds, abandoned, a callback, a transfer, an outbound
// contact without a queue, and one with no initiation method.
func kpiContacts(base time.Time, version int) []connectreporting.ContactRecord {
	i64 := func(v int64) *int64 { return &v }
	out := make([]connectreporting.ContactRecord, 0, 6)
	for i, kind := range []string{"answered", "abandoned", "callback", "transfer", "outbound", "nomethod"} {
		init := base.Add(time.Duration(i*7) * time.Minute)
		c := connectreporting.ContactRecord{ContactID: "k-" + kind, Channel: "VOICE", InitiationMethod: "INBOUND",
			InitiationTimestamp: init, DisconnectTimestamp: init.Add(9 * time.Minute),
			LastUpdateTimestamp: init.Add(time.Duration(10+version) * time.Minute),
			Raw:                 []byte(fmt.Sprintf(`{"ContactId":"k-%s","v":%d}`, kind, version))}
		c.QueueID, c.QueueName, c.EnqueueTimestamp, c.QueueDurationSeconds = "q1", "Queue 1", init.Add(time.Second), i64(int64(5+i))
		answered := kind != "abandoned" || version > 1 // the abandoned one is answered in version 2
		switch kind {
		case "callback":
			c.InitiationMethod = "CALLBACK"
		case "transfer":
			c.NextContactID = "k-next"
		case "outbound":
			c.InitiationMethod, c.QueueID, c.QueueName, c.EnqueueTimestamp, c.QueueDurationSeconds = "OUTBOUND", "", "", time.Time{}, nil
		case "nomethod":
			c.InitiationMethod = ""
		}
		if answered {
			c.AgentID, c.ConnectedToAgentTimestamp = fmt.Sprintf("a%d", version), init.Add(20*time.Second)
			c.DequeueTimestamp = c.ConnectedToAgentTimestamp
			c.AgentInteractionDurationSeconds, c.CustomerHoldDurationSeconds = i64(int64(100*version+i)), i64(int64(i%3))
			c.AfterContactWorkDurationSeconds, c.NumberOfHolds = i64(30), i64(int64(i%2))
		}
		if version > 1 && kind == "answered" {
			c.InitiationTimestamp = init.Add(50 * time.Minute) // moves interval
			c.QueueID, c.QueueName = "q2", "Queue 2"
		}
		out = append(out, c)
	}
	return out
}

// TestContactKPIEqualsContactRecord holds PostgreSQL's contact_kpi
// (migration 00022, kept by triggers on contact_record) to kpi_contact's
// definition over contact_record after every kind of write: shuffled
// delivery with duplicates, newer versions that change flags, queue and
// interval, older versions arriving late, maintain clearing raw (which must
// not rewrite the rows) and deleting old contacts, hand-written SQL, and
// TRUNCATE.
func TestContactKPIEqualsContactRecord(t *testing.T) {
	ctx := context.Background()
	s, _ := openIngestStorePG(t, Options{})
	def := contactKPIDefinition(t)
	base := time.Date(2026, 3, 2, 9, 0, 5, 0, time.UTC)
	v1, v2 := kpiContacts(base, 1), kpiContacts(base, 2)
	old := kpiContacts(base.AddDate(0, 0, -60), 1)
	for i := range old {
		old[i].ContactID += "-old"
	}
	rng := rand.New(rand.NewPCG(12, 0))
	store := func(step string, crs ...connectreporting.ContactRecord) {
		t.Helper()
		if _, err := s.StoreBatch(ctx, connectreporting.Batch{ContactRecords: crs}); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	mixed := append(append(append([]connectreporting.ContactRecord{}, v1...), v1[:3]...), old...)
	rng.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
	store("first delivery", mixed...)
	assertContactKPI(t, s, def, 12, "shuffled first delivery with duplicates")
	store("newer", append(append([]connectreporting.ContactRecord{}, v2[:2]...), v1[2:]...)...)
	assertContactKPI(t, s, def, 12, "newer versions (answered, moved) and a replay")
	store("older", v1[:2]...)
	store("newer rest", v2[2:]...)
	assertContactKPI(t, s, def, 12, "older versions late, then the rest newer")

	before := contactKPIAddresses(t, s)
	now := base.Add(24 * time.Hour)
	if _, err := s.Maintain(ctx, MaintainOptions{RawDays: 7, Now: now}); err != nil {
		t.Fatal(err)
	}
	assertContactKPI(t, s, def, 12, "maintain cleared raw")
	if after := contactKPIAddresses(t, s); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("clearing raw rewrote contact_kpi rows: %v, then %v", before, after)
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE contact_record SET number_of_holds = 0, next_contact_id = 'k-x' WHERE contact_id = 'k-answered'`); err != nil {
		t.Fatal(err)
	}
	assertContactKPI(t, s, def, 12, "hand-written update")
	if _, err := s.Maintain(ctx, MaintainOptions{KeepDays: 30, Now: now}); err != nil {
		t.Fatal(err)
	}
	assertContactKPI(t, s, def, 6, "maintain deleted the contacts older than 30 days")
	if _, err := s.DB().ExecContext(ctx, `TRUNCATE contact_record, contact_attribute`); err != nil {
		t.Fatal(err)
	}
	assertContactKPI(t, s, def, 0, "truncate")
}
