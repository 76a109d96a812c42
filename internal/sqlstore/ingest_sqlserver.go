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

// mssqlBin is the collation of every id column (migration 00007): it
// compares code points, as Go and the other dialects do. Orderings name it
// explicitly, so they stay binary whatever a column's collation.
const mssqlBin = "COLLATE Latin1_General_100_BIN2"

// mssqlStaged is one column of a staging table variable: its name, the
// exact type of the table column it feeds (see mssqlColType) and the type
// OPENJSON reads its JSON value as.
type mssqlStaged struct{ name, typ string }

// mssqlStageCols stages the named columns of table; extra columns (name,
// type) are appended.
func mssqlStageCols(table string, names []string, extra ...mssqlStaged) []mssqlStaged {
	out := make([]mssqlStaged, 0, len(names)+len(extra))
	for _, n := range names {
		out = append(out, mssqlStaged{n, mssqlColType(table, n)})
	}
	return append(out, extra...)
}

// mssqlStageSQL declares the table variable @v with the staged columns (the
// first one its primary key when key is set) and fills it from the JSON
// array parameter param.
func mssqlStageSQL(v, param string, cols []mssqlStaged, key bool) string {
	var decl, with strings.Builder
	names := make([]string, len(cols))
	for i, c := range cols {
		if i > 0 {
			decl.WriteString(",\n\t")
			with.WriteString(",\n\t")
		}
		names[i] = c.name
		fmt.Fprintf(&decl, "%s %s", c.name, c.typ)
		if i == 0 && key {
			decl.WriteString(" PRIMARY KEY")
		}
		fmt.Fprintf(&with, "%s %s '$.%s'", c.name, mssqlWide(c.typ), c.name)
	}
	list := strings.Join(names, ", ")
	return "DECLARE " + v + " TABLE (\n\t" + decl.String() + ");\n" +
		"INSERT INTO " + v + " (" + list + ")\nSELECT " + list + " FROM OPENJSON(" + param + ") WITH (\n\t" + with.String() + ");\n"
}

func prefixed(p string, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return strings.Join(out, ", ")
}

func buildMSSQLIngestSQL() mssqlIngestSQL {
	return mssqlIngestSQL{events: mssqlEventsSQL(), contacts: mssqlContactsSQL(), rejected: mssqlRejectedSQL()}
}

func mssqlEventsSQL() string {
	aeNames := colNames(agentEventCols)
	staged := mssqlStageCols("agent_event", aeNames, mssqlStaged{"hist", "bit"}, mssqlStaged{"st", "bit"})
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
	return `SET NOCOUNT ON;
SET XACT_ABORT ON;
` + mssqlStageSQL("@t", "@p1", staged, true) + `DECLARE @ins TABLE (event_id ` + mssqlColType("agent_event", "event_id") + `);
INSERT INTO agent_event (` + strings.Join(aeNames, ", ") + `)
OUTPUT inserted.event_id INTO @ins (event_id)
SELECT ` + prefixed("t.", aeNames) + `
FROM @t t
WHERE t.hist = 1
	AND NOT EXISTS (SELECT 1 FROM agent_event a WITH (UPDLOCK, HOLDLOCK) WHERE a.event_id = t.event_id);
MERGE agent_state WITH (HOLDLOCK) AS s
USING (SELECT ` + strings.Join(stFrom, ", ") + ` FROM @t t WHERE t.st = 1)
	AS n (` + strings.Join(stNames, ", ") + `)
ON s.agent_id = n.agent_id
WHEN MATCHED AND (s.last_event_timestamp IS NULL
		OR n.last_event_timestamp > s.last_event_timestamp
		OR (n.last_event_timestamp = s.last_event_timestamp AND n.last_event_id ` + mssqlBin + ` > s.last_event_id ` + mssqlBin + `))
	THEN UPDATE SET ` + strings.Join(stSets, ", ") + `
WHEN NOT MATCHED BY TARGET
	THEN INSERT (` + strings.Join(stNames, ", ") + `) VALUES (` + prefixed("n.", stNames) + `);
SELECT COUNT(*) AS stored FROM @ins;`
}

// mssqlAttrCols are the staged columns of contact_attribute; name_sha256,
// its key beside contact_id (migration 00007), is computed from the name.
var mssqlAttrCols = []string{"contact_id", "name", "value"}

func mssqlContactsSQL() string {
	crNames := colNames(contactRecordCols)
	crSets := make([]string, 0, len(crNames))
	for _, n := range crNames[1:] {
		crSets = append(crSets, n+" = n."+n)
	}
	return `SET NOCOUNT ON;
SET XACT_ABORT ON;
` + mssqlStageSQL("@c", "@p1", mssqlStageCols("contact_record", crNames), true) + `DECLARE @up TABLE (contact_id ` + mssqlColType("contact_record", "contact_id") + `);
MERGE contact_record WITH (HOLDLOCK) AS o
USING @c AS n
ON o.contact_id = n.contact_id
WHEN MATCHED AND (` + newerContactCond("n", "o", mssqlBin) + `)
	THEN UPDATE SET ` + strings.Join(crSets, ", ") + `
WHEN NOT MATCHED BY TARGET
	THEN INSERT (` + strings.Join(crNames, ", ") + `) VALUES (` + prefixed("n.", crNames) + `)
OUTPUT inserted.contact_id INTO @up (contact_id);
DELETE ca FROM contact_attribute ca JOIN @up u ON u.contact_id = ca.contact_id;
` + mssqlStageSQL("@a", "@p2", mssqlStageCols("contact_attribute", mssqlAttrCols), false) + `INSERT INTO contact_attribute (contact_id, name, name_sha256, value)
SELECT a.contact_id, a.name, CAST(HASHBYTES('SHA2_256', a.name) AS binary(32)), a.value
FROM @a a
JOIN @up u ON u.contact_id = a.contact_id;
SELECT COUNT(*) AS stored FROM @up;`
}

// mssqlRejectedSQL appends rejected records, except one already parked
// (same source, sequence number, partition key and payload). OPENJSON
// decodes the base64 payload itself (WITH ... varbinary(max)). Records with
// a sequence number are looked up on the filtered index (source,
// sequence_number) WHERE sequence_number IS NOT NULL; UPDLOCK, HOLDLOCK
// hold the looked-up range, so two batches parking the same record
// serialise instead of both inserting it.
func mssqlRejectedSQL() string {
	rjNames := colNames(rejectedCols)
	same := `r.source = j.source
		AND (r.partition_key = j.partition_key OR (r.partition_key IS NULL AND j.partition_key IS NULL))
		AND r.payload = j.payload`
	return `SET NOCOUNT ON;
SET XACT_ABORT ON;
` + mssqlStageSQL("@r", "@p1", mssqlStageCols("rejected_record", rjNames), false) + `INSERT INTO rejected_record (` + strings.Join(rjNames, ", ") + `)
SELECT ` + prefixed("j.", rjNames) + `
FROM @r j
WHERE j.sequence_number IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM rejected_record r WITH (UPDLOCK, HOLDLOCK)
		WHERE r.sequence_number IS NOT NULL AND r.sequence_number = j.sequence_number
		AND ` + same + `)
UNION ALL
SELECT ` + prefixed("j.", rjNames) + `
FROM @r j
WHERE j.sequence_number IS NULL
	AND NOT EXISTS (SELECT 1 FROM rejected_record r WITH (UPDLOCK, HOLDLOCK)
		WHERE r.sequence_number IS NULL
		AND ` + same + `);`
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

// mssqlJSONValue converts one column value to its field in the OPENJSON
// stage.
func mssqlJSONValue(k colKind, v any) any { return colArg(k, v, mssqlTime) }

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
		// Names are distinct by exact bytes (a map's keys): contact_attribute
		// is keyed on their SHA-256, so no collation folds two into one.
		for _, a := range crs[i].attrs {
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

func (mssqlIngest) writeEvents(ctx context.Context, tx *sql.Tx, evs []eventRow) (int, error) {
	doc, err := mssqlEventsJSON(evs)
	if err != nil {
		return 0, err
	}
	var stored int
	if err := tx.QueryRowContext(ctx, mssqlSQL().events, doc).Scan(&stored); err != nil {
		return 0, err
	}
	return stored, nil
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
