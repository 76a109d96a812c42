package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// mssqlIngest writes a batch to SQL Server as one T-SQL batch per record
// kind. The rows travel as ONE JSON parameter (so the 2,100-parameter limit
// never applies, whatever the batch size); OPENJSON stages them in a table
// variable, then INSERT ... WHERE NOT EXISTS (agent_event) and MERGE
// (agent_state, contact_record) write them, under UPDLOCK/HOLDLOCK so that
// concurrent batches serialise on the keys they share.
type mssqlIngest struct{}

var mssqlSQL = sync.OnceValue(buildMSSQLIngestSQL)

type mssqlIngestSQL struct{ events, contacts, rejected string }

// mssqlBin is the collation that makes key and hash comparisons byte-wise
// (code-point-wise), as in Go and the other dialects.
const mssqlBin = "COLLATE Latin1_General_BIN2"

func mssqlType(k colKind) string {
	switch k {
	case kTime:
		return "datetime2(7)"
	case kInt, kNullInt:
		return "bigint"
	case kRaw:
		return "nvarchar(max)"
	}
	return "nvarchar(450)"
}

// mssqlWith is the OPENJSON WITH clause and the table-variable declaration
// for the columns.
func mssqlWith(names []string, kinds []colKind) (with, decl string) {
	var w, d strings.Builder
	for i, n := range names {
		if i > 0 {
			w.WriteString(",\n\t")
			d.WriteString(",\n\t")
		}
		fmt.Fprintf(&w, "%s %s '$.%s'", n, mssqlType(kinds[i]), n)
		// No COLLATE: table variables take the database's default collation,
		// like the tables they are joined with (differing implicit collations
		// cannot be compared: Msg 468). Orderings name mssqlBin explicitly.
		fmt.Fprintf(&d, "%s %s", n, mssqlType(kinds[i]))
		if i == 0 {
			d.WriteString(" PRIMARY KEY")
		}
	}
	return w.String(), d.String()
}

func prefixed(p string, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return strings.Join(out, ", ")
}

func buildMSSQLIngestSQL() mssqlIngestSQL {
	var q mssqlIngestSQL
	evNames := append(colNames(agentEventCols), "hist", "st")
	evKinds := append(kindsOf(agentEventCols), kInt, kInt)
	with, decl := mssqlWith(evNames, evKinds)
	aeNames := colNames(agentEventCols)
	stNames := make([]string, len(agentStateCols))
	stFrom := make([]string, len(agentStateCols))
	stSets := make([]string, 0, len(agentStateCols))
	for i, c := range agentStateCols {
		stNames[i] = c.name
		stFrom[i] = "t." + c.from
		if i > 0 {
			stSets = append(stSets, c.name+" = n."+c.name)
		}
	}
	q.events = `SET NOCOUNT ON;
SET XACT_ABORT ON;
DECLARE @t TABLE (
	` + decl + `);
INSERT INTO @t (` + strings.Join(evNames, ", ") + `)
SELECT ` + strings.Join(evNames, ", ") + ` FROM OPENJSON(@p1) WITH (
	` + with + `);
DECLARE @ins TABLE (event_id nvarchar(450));
INSERT INTO agent_event (` + strings.Join(aeNames, ", ") + `)
OUTPUT inserted.event_id INTO @ins (event_id)
SELECT ` + prefixed("t.", aeNames) + `
FROM @t t
WHERE t.hist = 1
	AND NOT EXISTS (SELECT 1 FROM agent_event a WITH (UPDLOCK, HOLDLOCK) WHERE a.event_id = t.event_id);
DECLARE @up TABLE (last_event_id nvarchar(450));
MERGE agent_state WITH (HOLDLOCK) AS s
USING (SELECT ` + strings.Join(stFrom, ", ") + ` FROM @t t WHERE t.st = 1)
	AS n (` + strings.Join(stNames, ", ") + `)
ON s.agent_id = n.agent_id
WHEN MATCHED AND (s.last_event_timestamp IS NULL
		OR n.last_event_timestamp > s.last_event_timestamp
		OR (n.last_event_timestamp = s.last_event_timestamp AND n.last_event_id ` + mssqlBin + ` > s.last_event_id ` + mssqlBin + `))
	THEN UPDATE SET ` + strings.Join(stSets, ", ") + `
WHEN NOT MATCHED BY TARGET
	THEN INSERT (` + strings.Join(stNames, ", ") + `) VALUES (` + prefixed("n.", stNames) + `)
OUTPUT inserted.last_event_id INTO @up (last_event_id);
SELECT (SELECT COUNT(*) FROM @ins) AS stored,
	(SELECT COUNT(*) FROM @up u JOIN @t t ON t.event_id = u.last_event_id WHERE t.hist = 0) AS heartbeats;`

	crNames := colNames(contactRecordCols)
	with, decl = mssqlWith(crNames, kindsOf(contactRecordCols))
	crSets := make([]string, 0, len(crNames))
	for _, n := range crNames[1:] {
		crSets = append(crSets, n+" = n."+n)
	}
	q.contacts = `SET NOCOUNT ON;
SET XACT_ABORT ON;
DECLARE @c TABLE (
	` + decl + `);
INSERT INTO @c (` + strings.Join(crNames, ", ") + `)
SELECT ` + strings.Join(crNames, ", ") + ` FROM OPENJSON(@p1) WITH (
	` + with + `);
DECLARE @up TABLE (contact_id nvarchar(450));
MERGE contact_record WITH (HOLDLOCK) AS o
USING @c AS n
ON o.contact_id = n.contact_id
WHEN MATCHED AND (` + newerContactCond("n", "o", mssqlBin) + `)
	THEN UPDATE SET ` + strings.Join(crSets, ", ") + `
WHEN NOT MATCHED BY TARGET
	THEN INSERT (` + strings.Join(crNames, ", ") + `) VALUES (` + prefixed("n.", crNames) + `)
OUTPUT inserted.contact_id INTO @up (contact_id);
DELETE ca FROM contact_attribute ca JOIN @up u ON u.contact_id = ca.contact_id;
INSERT INTO contact_attribute (contact_id, name, value)
SELECT a.contact_id, a.name, a.value
FROM OPENJSON(@p2) WITH (contact_id nvarchar(450) '$.contact_id', name nvarchar(450) '$.name', value nvarchar(max) '$.value') a
JOIN @up u ON u.contact_id = a.contact_id;
SELECT COUNT(*) AS stored FROM @up;`

	rjNames := colNames(rejectedCols)
	rjKinds := kindsOf(rejectedCols)
	for i, n := range rjNames {
		if n == "payload" {
			rjKinds[i] = kText // base64 text, decoded below
		}
	}
	with, _ = mssqlWith(rjNames, rjKinds)
	sel := make([]string, len(rjNames))
	for i, n := range rjNames {
		sel[i] = "j." + n
		if n == "payload" {
			sel[i] = `CAST(N'' AS xml).value('xs:base64Binary(sql:column("j.payload"))', 'varbinary(max)')`
		}
	}
	q.rejected = `SET NOCOUNT ON;
INSERT INTO rejected_record (` + strings.Join(rjNames, ", ") + `)
SELECT ` + strings.Join(sel, ", ") + `
FROM OPENJSON(@p1) WITH (
	` + strings.Replace(with, "payload nvarchar(450)", "payload nvarchar(max)", 1) + `) j
WHERE NOT EXISTS (SELECT 1 FROM rejected_record r
	WHERE r.source = j.source
		AND r.payload = ` + sel[len(sel)-1] + `
		AND (r.sequence_number = j.sequence_number OR (r.sequence_number IS NULL AND j.sequence_number IS NULL))
		AND (r.partition_key = j.partition_key OR (r.partition_key IS NULL AND j.partition_key IS NULL)));`
	return q
}

// mssqlTime formats a timestamp for OPENJSON's datetime2 conversion: ISO
// 8601 without a zone designator (values are UTC), which SQL Server reads
// the same way under every language and DATEFORMAT setting.
func mssqlTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.0000000")
}

func mssqlJSONValue(k colKind, v any) any {
	switch k {
	case kText:
		if v.(string) == "" {
			return nil
		}
	case kTime:
		return mssqlTime(v.(time.Time))
	case kNullInt:
		if p := v.(*int64); p != nil {
			return *p
		}
		return nil
	case kRaw:
		if b := v.([]byte); len(b) > 0 {
			return string(b)
		}
		return nil
	}
	return v
}

// mssqlStage encodes rows as the JSON array OPENJSON reads; extra adds
// per-row fields.
func mssqlStage[T any](cols []ingestCol[T], rows []T, extra func(*T, map[string]any)) (string, error) {
	objs := make([]map[string]any, len(rows))
	for i := range rows {
		m := make(map[string]any, len(cols)+2)
		for _, c := range cols {
			if v := mssqlJSONValue(c.kind, c.get(&rows[i])); v != nil {
				m[c.name] = v
			}
		}
		if extra != nil {
			extra(&rows[i], m)
		}
		objs[i] = m
	}
	b, err := json.Marshal(objs)
	if err != nil {
		return "", fmt.Errorf("encode batch as JSON: %w", err)
	}
	return string(b), nil
}

func mssqlEventsJSON(evs []eventRow) (string, error) {
	return mssqlStage(agentEventCols, evs, func(e *eventRow, m map[string]any) {
		m["hist"], m["st"] = 0, 0
		if e.history {
			m["hist"] = 1
		}
		if e.state {
			m["st"] = 1
		}
	})
}

func mssqlContactsJSON(crs []contactRow) (records, attrs string, err error) {
	records, err = mssqlStage(contactRecordCols, crs, nil)
	if err != nil {
		return "", "", err
	}
	type attr struct {
		ContactID string `json:"contact_id"`
		Name      string `json:"name"`
		Value     string `json:"value"`
	}
	as := []attr{}
	for i := range crs {
		// contact_attribute's key compares names in the database's
		// collation, usually case-insensitive and blind to trailing spaces:
		// names equal under it are stored once (the last in byte order), or
		// the duplicate key would fail the batch on every retry.
		seen := make(map[string]int, len(crs[i].attrs))
		for _, a := range crs[i].attrs {
			k := strings.ToLower(strings.TrimRight(a.name, " "))
			if j, dup := seen[k]; dup {
				as[j] = attr{crs[i].ContactID, a.name, a.value}
				continue
			}
			seen[k] = len(as)
			as = append(as, attr{crs[i].ContactID, a.name, a.value})
		}
	}
	b, err := json.Marshal(as)
	if err != nil {
		return "", "", fmt.Errorf("encode contact attributes as JSON: %w", err)
	}
	return records, string(b), nil
}

func mssqlRejectedJSON(rs []connectreporting.RejectedRecord) (string, error) {
	// payload is []byte: encoding/json writes it as base64, decoded by the SQL.
	return mssqlStage(rejectedCols[:len(rejectedCols)-1], rs, func(r *connectreporting.RejectedRecord, m map[string]any) {
		p := r.Payload
		if p == nil {
			p = []byte{}
		}
		m["payload"] = p
	})
}

func (mssqlIngest) writeEvents(ctx context.Context, tx *sql.Tx, evs []eventRow) (int, int, error) {
	doc, err := mssqlEventsJSON(evs)
	if err != nil {
		return 0, 0, err
	}
	var stored, hb int
	if err := tx.QueryRowContext(ctx, mssqlSQL().events, doc).Scan(&stored, &hb); err != nil {
		return 0, 0, err
	}
	return stored, hb, nil
}

func (mssqlIngest) writeContacts(ctx context.Context, tx *sql.Tx, crs []contactRow) (int, error) {
	recs, attrs, err := mssqlContactsJSON(crs)
	if err != nil {
		return 0, err
	}
	var stored int
	if err := tx.QueryRowContext(ctx, mssqlSQL().contacts, recs, attrs).Scan(&stored); err != nil {
		return 0, err
	}
	return stored, nil
}

func (mssqlIngest) writeRejected(ctx context.Context, tx *sql.Tx, rs []connectreporting.RejectedRecord) error {
	doc, err := mssqlRejectedJSON(rs)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, mssqlSQL().rejected, doc)
	return err
}
