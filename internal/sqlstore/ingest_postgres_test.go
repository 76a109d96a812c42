package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// TestPGCopyStagingAcrossBatches runs batches of every outcome through one
// PostgreSQL connection (MaxOpenConns 1), so each meets the staging table
// the previous one left: a first batch that fails (the staging tables,
// created before its transaction, outlive its rollback), all-new events (COPY straight into
// agent_event), a redelivery mixing stored and new events (the COPY rolls
// back to its savepoint, the staged batch is inserted with ON CONFLICT),
// and a batch with heartbeats only. Every count and row is what the batch
// alone would give: nothing staged survives a commit or a rollback.
func TestPGCopyStagingAcrossBatches(t *testing.T) {
	const (
		login  = connectreporting.AgentEventLogin
		change = connectreporting.AgentEventStateChange
		beat   = connectreporting.AgentEventHeartBeat
	)
	type res = connectreporting.BatchResult
	evs := func(e ...connectreporting.AgentEvent) connectreporting.Batch {
		return connectreporting.Batch{AgentEvents: e}
	}
	e := func(i int, typ string) connectreporting.AgentEvent {
		return agentEvent(fmt.Sprintf("e-%02d", i), typ, at(10*i), fmt.Sprintf("a%d", i%2), "Available", at(10*i))
	}
	s := openIngestStore(t, DialectPostgres, Options{MaxOpenConns: 1})
	ctx := context.Background()
	poison := e(0, change)
	poison.EventType = "BAD\x00TYPE" // text PostgreSQL refuses
	if _, err := s.StoreBatch(ctx, evs(poison, e(1, login))); !errors.Is(err, connectreporting.ErrData) {
		t.Fatalf("poison batch: err = %v, want a data error", err)
	}
	steps := []struct {
		name string
		b    connectreporting.Batch
		want res
	}{
		{"new", evs(e(1, login), e(2, login), e(3, change)), res{Stored: 3}},
		{"redelivery", evs(e(2, login), e(3, change), e(4, change), e(5, beat)), res{Stored: 1, Duplicate: 2, Heartbeat: 1}},
		{"new again", evs(e(6, change), e(7, change)), res{Stored: 2}},
		{"heartbeats only", evs(e(8, beat), e(9, beat)), res{Heartbeat: 2}},
	}
	for _, st := range steps {
		got, err := s.StoreBatch(ctx, st.b)
		if err != nil || got != st.want {
			t.Fatalf("%s: %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
	wantRows(t, s, "SELECT count(*), min(event_id), max(event_id) FROM agent_event", "6|e-01|e-07")
	wantRows(t, s, "SELECT agent_id, last_event_id, last_event_type FROM agent_state ORDER BY agent_id",
		"a0|e-08|HEART_BEAT", "a1|e-09|HEART_BEAT")
}

// TestPGContactStagingAcrossBatches: contact records and their attributes
// through one connection, batch after batch: a poison batch first (its
// COPY fails, the transaction rolls back), new contacts (COPY straight into
// contact_record and contact_attribute), a newer version beside a new
// contact (the new one copied, the newer one staged and upserted:
// attributes replaced, an empty value kept as "", not NULL), an older one
// (nothing changes), and a new contact whose attribute row is there without
// its record (the COPY fails on contact_attribute's key, rolls back to its
// savepoint, and the batch is upserted instead). The counts tell new from
// newer.
func TestPGContactStagingAcrossBatches(t *testing.T) {
	type res = connectreporting.BatchResult
	crs := func(c ...connectreporting.ContactRecord) connectreporting.Batch {
		return connectreporting.Batch{ContactRecords: c}
	}
	s := openIngestStore(t, DialectPostgres, Options{MaxOpenConns: 1})
	ctx := context.Background()
	c1 := contactRecord("c-1", at(100), "a1", map[string]string{"lang": "en", "tier": "gold"})
	c2 := contactRecord("c-2", at(100), "a2", nil)
	c1v2 := contactRecord("c-1", at(200), "a1", map[string]string{"tier": "", "vip": "yes"})
	poison := contactRecord("c-0", at(100), "a1", nil)
	poison.Channel = "BAD\x00CHANNEL" // text PostgreSQL refuses
	if _, err := s.StoreBatch(ctx, crs(poison, contactRecord("c-9", at(100), "a1", nil))); !errors.Is(err, connectreporting.ErrData) {
		t.Fatalf("poison batch: err = %v, want a data error", err)
	}
	steps := []struct {
		name string
		b    connectreporting.Batch
		want res
	}{
		{"new", crs(c1, c2), res{Stored: 2}},
		{"newer and new", crs(c1v2, contactRecord("c-3", at(100), "a3", map[string]string{"x": "1"})), res{Stored: 1, Updated: 1}},
		{"older", crs(c1, c2), res{Duplicate: 2}},
		{"orphan attribute", crs(contactRecord("c-4", at(300), "a1", map[string]string{"lang": "fr"}),
			contactRecord("c-5", at(300), "a2", map[string]string{"y": "2"})), res{Stored: 2}},
	}
	for _, st := range steps {
		if st.name == "orphan attribute" {
			if _, err := s.DB().ExecContext(ctx, "INSERT INTO contact_attribute VALUES ('c-4', 'lang', 'en'), ('c-4', 'old', 'x')"); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.StoreBatch(ctx, st.b)
		if err != nil || got != st.want {
			t.Fatalf("%s: %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
	wantRows(t, s, "SELECT contact_id, name, COALESCE(value, 'NULL') FROM contact_attribute ORDER BY contact_id, name",
		"c-1|tier|", "c-1|vip|yes", "c-3|x|1", "c-4|lang|fr", "c-5|y|2")
	wantRows(t, s, "SELECT contact_id, to_char(last_update_timestamp AT TIME ZONE 'UTC', 'HH24:MI:SS') FROM contact_record ORDER BY contact_id",
		"c-1|09:03:20", "c-2|09:01:40", "c-3|09:01:40", "c-4|09:05:00", "c-5|09:05:00")
}

// TestPGCopySavepointsInOneBatch: a batch whose agent events and contacts
// both go by COPY straight into their tables opens two savepoints of one
// name, neither released (pgCopyAllNew). When the contacts' COPY fails on
// a key (an attribute row left without its record), the transaction must
// go back to the contacts' savepoint, the newest, not to the events' one:
// the events copied before stay and count as stored. The second batch
// takes both fallbacks (events redelivered beside new ones, and an orphan
// attribute again).
func TestPGCopySavepointsInOneBatch(t *testing.T) {
	type res = connectreporting.BatchResult
	s := openIngestStore(t, DialectPostgres, Options{MaxOpenConns: 1})
	ctx := context.Background()
	ev := func(i int) connectreporting.AgentEvent {
		return agentEvent(fmt.Sprintf("e-%02d", i), connectreporting.AgentEventStateChange, at(10*i), "a1", "Available", at(10*i))
	}
	orphan := func(id string) {
		t.Helper()
		if _, err := s.DB().ExecContext(ctx, "INSERT INTO contact_attribute VALUES ($1, 'lang', 'en'), ($1, 'old', 'x')", id); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		orphan string
		b      connectreporting.Batch
		want   res
	}{
		{"new events, orphan attribute", "c-1", connectreporting.Batch{
			AgentEvents: []connectreporting.AgentEvent{ev(1), ev(2), ev(3)},
			ContactRecords: []connectreporting.ContactRecord{
				contactRecord("c-1", at(100), "a1", map[string]string{"lang": "fr"}),
				contactRecord("c-2", at(100), "a2", map[string]string{"y": "2"})},
		}, res{Stored: 5}},
		{"redelivered events, orphan attribute", "c-3", connectreporting.Batch{
			AgentEvents: []connectreporting.AgentEvent{ev(3), ev(4)},
			ContactRecords: []connectreporting.ContactRecord{
				contactRecord("c-3", at(200), "a1", map[string]string{"lang": "de"})},
		}, res{Stored: 2, Duplicate: 1}},
	}
	for _, st := range steps {
		orphan(st.orphan)
		got, err := s.StoreBatch(ctx, st.b)
		if err != nil || got != st.want {
			t.Fatalf("%s: %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
	wantRows(t, s, "SELECT count(*), min(event_id), max(event_id) FROM agent_event", "4|e-01|e-04")
	wantRows(t, s, "SELECT last_event_id FROM agent_state", "e-04")
	wantRows(t, s, "SELECT contact_id, name, value FROM contact_attribute ORDER BY contact_id, name",
		"c-1|lang|fr", "c-2|y|2", "c-3|lang|de")
	wantRows(t, s, "SELECT count(*) FROM contact_record", "3")
}

// TestPGContactRawCompression: contact_record.raw is text compressed as
// agent_event.raw is (lz4 where the server has it, migrations 00019 and
// 00020), and a stored contact's raw over the TOAST threshold reads back
// as the same text, and as jsonb from contact_record_document.
func TestPGContactRawCompression(t *testing.T) {
	s := openIngestStore(t, DialectPostgres, Options{})
	ctx := context.Background()
	wantRows(t, s, `SELECT c.attname, format_type(c.atttypid, c.atttypmod), c.attcompression = e.attcompression, c.attcompression <> ''
		FROM pg_attribute c, pg_attribute e
		WHERE c.attrelid = 'contact_record'::regclass AND c.attname = 'raw'
			AND e.attrelid = 'agent_event'::regclass AND e.attname = 'raw'`, "raw|text|1|1")
	c := contactRecord("c-big", at(100), "a1", nil)
	c.Raw = []byte(`{"ContactId":"c-big","Note":"` + strings.Repeat("0123456789", 400) + `"}`)
	if _, err := s.StoreBatch(ctx, connectreporting.Batch{ContactRecords: []connectreporting.ContactRecord{c}}); err != nil {
		t.Fatal(err)
	}
	wantRows(t, s, `SELECT pg_column_compression(c.raw) = CASE a.attcompression WHEN 'l' THEN 'lz4' ELSE 'pglz' END,
			octet_length(c.raw), length(d.document->>'Note')
		FROM contact_record c JOIN contact_record_document d USING (contact_id), pg_attribute a
		WHERE a.attrelid = 'contact_record'::regclass AND a.attname = 'raw'`,
		fmt.Sprintf("1|%d|4000", len(c.Raw)))
}

// TestPGPipeline: the statements of a pipeline run in order in the
// transaction (the second sees the first's row, the third the second's
// change), and a failing one stops it with its own name and PostgreSQL's
// error, the statements after it not run.
func TestPGPipeline(t *testing.T) {
	s := openIngestStore(t, DialectPostgres, Options{})
	ctx := context.Background()
	if _, err := s.DB().ExecContext(ctx, "CREATE TABLE p (k int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	run := func(stmts ...stmt) error {
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := (pgIngest{conn: conn}).pipeline(ctx, tx, stmts); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	err := run(stmt{"insert", "INSERT INTO p VALUES ($1, $2)", []any{1, 10}},
		stmt{"double", "UPDATE p SET v = v * 2 WHERE k = $1", []any{1}},
		stmt{"copy", "INSERT INTO p SELECT k + 1, v + 1 FROM p WHERE k = $1", []any{1}})
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, s, "SELECT k, v FROM p ORDER BY k", "1|20", "2|21")
	err = run(stmt{"insert", "INSERT INTO p VALUES ($1, $2)", []any{3, 30}},
		stmt{"divide", "UPDATE p SET v = v / 0 WHERE k = $1", []any{3}},
		stmt{"after", "INSERT INTO p VALUES ($1, $2)", []any{4, 40}})
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22012" || !strings.HasPrefix(err.Error(), "divide: ") {
		t.Fatalf("failing pipeline: %v, want divide's division_by_zero", err)
	}
	wantRows(t, s, "SELECT k, v FROM p ORDER BY k", "1|20", "2|21")
}

// TestPGContactCopyEncoding: the COPY BINARY stream written for contacts
// (pgCopyRows, pgCopyAttrs) stores exactly what pgx's CopyFrom stores from
// the same rows: NULL for "" text, zero times and nil numbers, times to
// the microsecond, negative numbers, any UTF-8, the raw document as text,
// and an attribute's empty value as "". 300 more contacts make the streams
// longer than one read of the connection (64 KiB).
func TestPGContactCopyEncoding(t *testing.T) {
	s := openIngestStore(t, DialectPostgres, Options{})
	ctx := context.Background()
	full := contactRecord("c-full", at(100).Add(123456789*time.Nanosecond), "a1", map[string]string{"b": "", "a": "ünï\tcode ✓"})
	full.QueueName, full.DisconnectReason = "Ventes – Québec 📞", "x\\y\"z"
	neg := int64(-42)
	full.NumberOfHolds = &neg
	bare := connectreporting.ContactRecord{ContactID: "c-bare", Raw: []byte(`{"ContactId":"c-bare","N":[1,2.5,null,true]}`)}
	crs := []connectreporting.ContactRecord{full, bare}
	for i := range 300 {
		crs = append(crs, contactRecord(fmt.Sprintf("c-%03d", i), at(i), "a2", map[string]string{"k": fmt.Sprint(i)}))
	}
	p := prepareBatch(connectreporting.Batch{ContactRecords: crs}, false)
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"CREATE TABLE cr_pgx (LIKE contact_record)", "CREATE TABLE cr_own (LIKE contact_record)",
		"CREATE TABLE ca_pgx (LIKE contact_attribute)", "CREATE TABLE ca_own (LIKE contact_attribute)"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	attrs := contactAttrs(p.contacts)
	attrVals := func(a *attrRow, vals []any) { vals[0], vals[1], vals[2] = a.contactID, a.name, a.value }
	for _, err := range []error{
		pgCopyCols(ctx, conn, "cr_pgx", contactRecordCols, p.contacts),
		pgCopy(ctx, conn, "ca_pgx", pgAttributeStage.names, attrVals, attrs),
		pgCopyStream(ctx, conn, "cr_own", colNames(contactRecordCols), pgCopyRows(contactRecordCols, p.contacts)),
		pgCopyStream(ctx, conn, "ca_own", pgAttributeStage.names, pgCopyAttrs(attrs)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantRows(t, s, `SELECT (SELECT count(*) FROM cr_own), (SELECT count(*) FROM ca_own),
		(SELECT count(*) FROM (SELECT * FROM cr_pgx EXCEPT SELECT * FROM cr_own UNION ALL SELECT * FROM cr_own EXCEPT SELECT * FROM cr_pgx) d),
		(SELECT count(*) FROM (SELECT * FROM ca_pgx EXCEPT SELECT * FROM ca_own UNION ALL SELECT * FROM ca_own EXCEPT SELECT * FROM ca_pgx) d)`,
		"302|302|0|0")
	wantRows(t, s, `SELECT contact_id, queue_name, number_of_holds, to_char(last_update_timestamp, 'US'), raw, raw::jsonb->'N' FROM cr_own
		WHERE contact_id IN ('c-bare', 'c-full') ORDER BY contact_id`,
		`c-bare|NULL|NULL|NULL|{"ContactId":"c-bare","N":[1,2.5,null,true]}|[1, 2.5, null, true]`,
		"c-full|Ventes – Québec 📞|-42|123456|"+string(full.Raw)+"|NULL")
	wantRows(t, s, "SELECT contact_id, name, value FROM ca_own WHERE contact_id = 'c-full' ORDER BY name", "c-full|a|ünï\tcode ✓", "c-full|b|")
}

// TestPGCopyReaderReads: a COPY BINARY stream reads the same bytes however
// the reader's buffer cuts it.
func TestPGCopyReaderReads(t *testing.T) {
	var crs []connectreporting.ContactRecord
	for i := range 50 {
		crs = append(crs, contactRecord(fmt.Sprintf("c-%03d", i), at(i), "a1", nil))
	}
	p := prepareBatch(connectreporting.Batch{ContactRecords: crs}, false)
	whole, err := io.ReadAll(pgCopyRows(contactRecordCols, p.contacts))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(whole, pgBinaryHeader) || !bytes.HasSuffix(whole, []byte{0xFF, 0xFF}) || len(whole) < 50*300 {
		t.Fatalf("stream of %d bytes: %q…%q", len(whole), whole[:min(len(whole), 20)], whole[max(0, len(whole)-4):])
	}
	for _, size := range []int{1, 7, 333, 4096} {
		r := pgCopyRows(contactRecordCols, p.contacts)
		var got []byte
		buf := make([]byte, size)
		for {
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil || n == 0 {
				t.Fatalf("read of %d: %d, %v", size, n, err)
			}
		}
		if !bytes.Equal(got, whole) {
			t.Errorf("reads of %d bytes: %d bytes, want the %d of one read", size, len(got), len(whole))
		}
	}
}

// TestPGContactRawMigration: migration 00020 turns contact_record.raw from
// jsonb into text, keeping the documents stored before (as jsonb renders
// them) and kpi_contact, which reads contact_record.*; its Down migration
// turns it back.
func TestPGContactRawMigration(t *testing.T) {
	s := openIngestStore(t, DialectPostgres, Options{})
	ctx := context.Background()
	p, err := s.provider()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	const typeQ = "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'contact_record'::regclass AND attname = 'raw'"
	wantRows(t, s, typeQ, "jsonb")
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO contact_record (contact_id, channel, initiation_timestamp, raw)
		VALUES ('c-old', 'VOICE', '2026-03-02T09:00:00Z', '{"b":1,"a":"x\u00e9"}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	wantRows(t, s, typeQ, "text")
	wantRows(t, s, `SELECT c.raw, d.document->>'a', k.channel FROM contact_record c
		JOIN contact_record_document d USING (contact_id) JOIN kpi_contact k USING (contact_id)`, `{"a": "xé", "b": 1}|xé|VOICE`)
	if _, err := p.DownTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	wantRows(t, s, typeQ, "jsonb")
	wantRows(t, s, "SELECT c.raw->>'a', k.channel FROM contact_record c JOIN kpi_contact k USING (contact_id)", "xé|VOICE")
}

// TestPGLazyEncodingStoresEager: the agent events' COPY encodes each raw
// as the stream reaches it (eventEncoder). What it stores is exactly what
// the events encoded beforehand (encodeAll) and copied by pgx's
// CopyFrom store, row for row and column for column, and every document
// reads back as it arrived (agent_event_document), also when the COPY
// meets stored events (a redelivery: the rows encoded by the stream before
// it failed and those encoded after it are staged and inserted with ON
// CONFLICT). An
// integer out of contact_count's range is a data error, as it was as a
// parameter.
func TestPGLazyEncodingStoresEager(t *testing.T) {
	pool, err := realistic()
	if err != nil {
		t.Fatal(err)
	}
	evs := pool.decodeEvents(t, 0)
	slices.SortFunc(evs, func(a, b connectreporting.AgentEvent) int { return strings.Compare(a.EventID, b.EventID) })
	s := openIngestStore(t, DialectPostgres, Options{})
	ctx := context.Background()
	heartbeats := 0
	for _, e := range evs {
		if e.EventType == connectreporting.AgentEventHeartBeat {
			heartbeats++
		}
	}
	// The COPY of the whole batch meets them after 20 rows: the stream has
	// encoded a read's worth of rows when the server stops it, the rest are
	// encoded after it.
	last := evs[20:60]
	if _, err := s.StoreBatch(ctx, connectreporting.Batch{AgentEvents: last}); err != nil {
		t.Fatal(err)
	}
	got, err := s.StoreBatch(ctx, connectreporting.Batch{AgentEvents: evs})
	if err != nil {
		t.Fatal(err)
	}
	lastKept := 0
	for _, e := range last {
		if e.EventType != connectreporting.AgentEventHeartBeat {
			lastKept++
		}
	}
	want := connectreporting.BatchResult{Stored: len(evs) - heartbeats - lastKept, Duplicate: lastKept, Heartbeat: heartbeats}
	if got != want {
		t.Fatalf("redelivery: %+v, want %+v", got, want)
	}
	p := prepareBatch(connectreporting.Batch{AgentEvents: evs}, false)
	encodeAll(p.events)
	var hist []eventRow
	for _, e := range p.events {
		if e.history {
			hist = append(hist, e)
		}
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE ae_eager (LIKE agent_event)"); err != nil {
		t.Fatal(err)
	}
	if err := pgCopyCols(ctx, conn, "ae_eager", pgEventCols, hist); err != nil {
		t.Fatal(err)
	}
	wantRows(t, s, `SELECT (SELECT count(*) FROM agent_event), (SELECT count(*) FROM agent_event WHERE configuration_sha256 IS NOT NULL),
		(SELECT count(*) FROM (SELECT * FROM agent_event EXCEPT SELECT * FROM ae_eager UNION ALL SELECT * FROM ae_eager EXCEPT SELECT * FROM agent_event) d)`,
		fmt.Sprintf("%d|%d|0", len(hist), len(hist)))
	docs := map[string]string{}
	for _, e := range hist {
		docs[e.EventID] = string(e.Raw)
	}
	rows, err := s.DB().QueryContext(ctx, "SELECT event_id, document FROM agent_event_document")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			t.Fatal(err)
		}
		if doc != docs[id] {
			t.Fatalf("event %s reads back as\n%s\nwant\n%s", id, doc, docs[id])
		}
		n++
	}
	if err := rows.Err(); err != nil || n != len(hist) {
		t.Fatalf("%d documents, %v; want %d", n, err, len(hist))
	}
	big := agentEvent("e-big", connectreporting.AgentEventStateChange, at(1), "a1", "Available", at(1))
	big.ContactCount = 1 << 40
	if _, err := s.StoreBatch(ctx, connectreporting.Batch{AgentEvents: []connectreporting.AgentEvent{big}}); !errors.Is(err, connectreporting.ErrData) {
		t.Fatalf("contact_count 2^40: err = %v, want a data error", err)
	}
}
