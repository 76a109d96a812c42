package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// coreSchema is the stable core of DESIGN.md: every table (or view) with
// its key and the columns report writers depend on.
var coreSchema = []struct {
	table string
	view  bool
	key   []string
	cols  []string
}{
	{table: "agent_event", key: []string{"event_id"}, cols: []string{"event_type", "event_timestamp", "agent_id", "agent_arn", "username", "status_name", "status_type", "status_start_timestamp", "routing_profile_id", "contact_count", "raw"}},
	{table: "agent_state", key: []string{"agent_id"}, cols: []string{"username", "status_name", "status_type", "status_start_timestamp", "last_event_timestamp", "last_event_type"}},
	{table: "agent_status_interval", key: []string{"agent_id", "start_timestamp"}, cols: []string{"status_name", "status_type", "end_timestamp", "duration_seconds"}},
	{table: "report_interval", key: []string{"time_zone", "interval_start"}, cols: []string{"interval_end", "local_date", "local_start", "local_hour", "iso_weekday", "day_start", "day_end"}},
	{table: "report_setting", key: []string{"name"}, cols: []string{"value"}},
	{table: "kpi_contact", view: true, cols: []string{"contact_id", "channel", "initiation_method", "queue_id", "queue_name", "agent_id", "initiation_timestamp", "enqueue_timestamp", "connected_to_agent_timestamp", "disconnect_timestamp", "interval_start", "queued", "answered", "abandoned", "transferred_out", "callback", "queue_seconds", "talk_seconds", "hold_seconds", "acw_seconds", "handle_seconds"}},
	{table: "kpi_queue_interval", view: true, cols: kpiQueueCols("interval_start", "local_date", "local_start")},
	{table: "kpi_queue_day", view: true, cols: kpiQueueCols("local_date")},
	{table: "kpi_agent_status_day", view: true, cols: []string{"time_zone", "local_date", "agent_id", "status_name", "username", "seconds"}},
	{table: "kpi_agent_day", view: true, cols: []string{"time_zone", "local_date", "agent_id", "username", "contacts_handled", "handle_seconds", "talk_seconds", "hold_seconds", "acw_seconds", "available_seconds", "on_contact_seconds", "occupancy_pct"}},
	{table: "kpi_connect_queue_interval", view: true, cols: []string{"time_zone", "interval_start", "queue_id", "channel", "contacts_queued", "contacts_handled", "contacts_abandoned", "answered_in_20", "service_level_20_pct", "avg_handle_seconds", "avg_answer_seconds", "max_queue_seconds"}},
	{table: "contact_record", key: []string{"contact_id"}, cols: []string{"initial_contact_id", "previous_contact_id", "next_contact_id", "channel", "initiation_method", "initiation_timestamp", "connected_to_system_timestamp", "disconnect_timestamp", "disconnect_reason", "last_update_timestamp", "queue_id", "queue_name", "enqueue_timestamp", "dequeue_timestamp", "queue_duration_seconds", "agent_id", "agent_username", "connected_to_agent_timestamp", "agent_interaction_duration_seconds", "customer_hold_duration_seconds", "after_contact_work_duration_seconds", "number_of_holds", "customer_endpoint", "system_endpoint", "raw"}},
	{table: "contact_attribute", key: []string{"contact_id", "name"}, cols: []string{"value"}},
	{table: "queue_realtime_snapshot", key: []string{"snapshot_time", "queue_id", "channel"}, cols: []string{"agents_online", "agents_available", "agents_on_contact", "agents_on_call", "agents_after_contact_work", "agents_non_productive", "agents_error", "agents_staffed", "contacts_in_queue", "contacts_scheduled", "oldest_contact_age_seconds", "slots_active", "slots_available"}},
	{table: "queue_realtime_current", key: []string{"queue_id", "channel"}, cols: []string{"snapshot_time", "agents_online", "contacts_in_queue"}},
	{table: "agent_realtime_snapshot", key: []string{"snapshot_time", "agent_id"}, cols: []string{"status_name", "status_start_timestamp", "contact_count", "routing_profile_id"}},
	{table: "agent_realtime_current", key: []string{"agent_id"}, cols: []string{"snapshot_time", "status_name"}},
	{table: "queue_interval_metric", key: []string{"queue_id", "channel", "interval_start", "metric_name"}, cols: []string{"interval_end", "value"}},
	{table: "agent_interval_metric", key: []string{"agent_id", "channel", "interval_start", "metric_name"}, cols: []string{"interval_end", "value"}},
	{table: "connect_user", key: []string{"user_id", "valid_from"}, cols: []string{"valid_to", "username", "first_name", "last_name", "routing_profile_id", "hierarchy_group_id"}},
	{table: "hierarchy_group", key: []string{"hierarchy_group_id", "valid_from"}, cols: []string{"valid_to", "name", "level_id", "level1_group_id"}},
	{table: "hierarchy_level", key: []string{"hierarchy_level_id", "valid_from"}, cols: []string{"valid_to", "name", "level_number"}},
	{table: "routing_profile", key: []string{"routing_profile_id", "valid_from"}, cols: []string{"valid_to", "name"}},
	{table: "routing_profile_queue", key: []string{"routing_profile_id", "queue_id", "channel", "valid_from"}, cols: []string{"valid_to", "priority", "delay"}},
	{table: "queue", key: []string{"queue_id", "valid_from"}, cols: []string{"valid_to", "name", "queue_type", "status"}},
	{table: "agent_status", key: []string{"agent_status_id", "valid_from"}, cols: []string{"valid_to", "name", "status_type", "state"}},
	{table: "rejected_record", key: []string{"id"}, cols: []string{"source", "partition_key", "sequence_number", "received_at", "error", "payload"}},
	{table: "poll_checkpoint", key: []string{"poller", "scope"}, cols: []string{"watermark", "updated_at"}},
	{table: "stream_lease", key: []string{"stream_name", "shard_id"}, cols: []string{"lease_owner", "lease_counter", "sequence_number", "updated_at"}},
}

// kpiQueueCols are the contract columns of kpi_queue_interval and
// kpi_queue_day beside their time columns.
func kpiQueueCols(timeCols ...string) []string {
	return append([]string{"time_zone", "queue_id", "channel", "queue_name", "contacts_queued", "contacts_answered",
		"contacts_abandoned", "answered_within_sl", "sl_threshold_seconds", "service_level_pct", "abandonment_rate_pct",
		"handle_seconds", "avg_handle_seconds", "avg_answer_seconds", "avg_acw_seconds", "avg_hold_seconds",
		"max_queue_seconds", "transferred_out", "callbacks"}, timeCols...)
}

// TestIntegrationMigrateCatalog migrates a fresh database of every dialect
// and checks, in the database's own catalog, every core table, column and
// primary key; then migrates again and checks nothing is applied.
func TestIntegrationMigrateCatalog(t *testing.T) {
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openIngestStore(t, dialect, Options{})
			for _, want := range coreSchema {
				cols, key := catalog(t, s, want.table)
				if len(cols) == 0 {
					t.Errorf("%s: missing", want.table)
					continue
				}
				for _, c := range append(slices.Clone(want.key), want.cols...) {
					if !slices.Contains(cols, c) {
						t.Errorf("%s: no column %s (has %v)", want.table, c, cols)
					}
				}
				if !want.view {
					sort.Strings(key)
					wk := slices.Clone(want.key)
					sort.Strings(wk)
					if want.table == "contact_attribute" && dialect == DialectSQLServer {
						wk = []string{"contact_id", "name_sha256"} // the name's SHA-256 (migration 00007)
					}
					if !slices.Equal(key, wk) {
						t.Errorf("%s: primary key %v, want %v", want.table, key, wk)
					}
				}
			}
			v, err := s.SchemaVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			files, _ := MigrationSQL(dialect)
			newest := slices.Max(slices.Collect(maps.Keys(files)))
			if want, _ := strconv.Atoi(newest[:5]); int(v) != want {
				t.Errorf("schema version %d, want %d (the newest migration, %s)", v, want, newest)
			}
			again, err := s.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 0 {
				t.Errorf("second migrate applied %v", again)
			}
		})
	}
}

// catalog returns the columns and primary-key columns of a table or view.
func catalog(t *testing.T, s *Store, table string) (cols, key []string) {
	t.Helper()
	ctx := context.Background()
	var q string
	switch s.Dialect() {
	case DialectSQLite:
		q = "SELECT name, pk > 0 FROM pragma_table_info(?)"
	case DialectPostgres:
		q = `SELECT c.column_name, EXISTS (
			SELECT 1 FROM information_schema.table_constraints tc
			JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name
			WHERE tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name)
			FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.table_name = $1`
	case DialectSQLServer:
		q = `SELECT c.name, CAST(CASE WHEN EXISTS (
			SELECT 1 FROM sys.indexes i JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
			WHERE i.object_id = c.object_id AND i.is_primary_key = 1 AND ic.column_id = c.column_id) THEN 1 ELSE 0 END AS bit)
			FROM sys.columns c WHERE c.object_id = OBJECT_ID(@p1)`
	}
	rows, err := s.DB().QueryContext(ctx, q, table)
	if err != nil {
		t.Fatalf("catalog of %s: %v", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var pk bool
		if err := rows.Scan(&name, &pk); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, name)
		if pk {
			key = append(key, name)
		}
	}
	return cols, key
}

// TestSQLServerMigrationSQL checks the SQL Server migrations without a
// server: each core table is created with its key, no PostgreSQL or SQLite
// type leaks in, reserved names are bracketed, and statements that must be
// alone in a batch (CREATE VIEW) are wrapped for goose.
func TestSQLServerMigrationSQL(t *testing.T) {
	files, err := MigrationSQL(DialectSQLServer)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	names := slices.Sorted(maps.Keys(files))
	if !slices.Contains(names, "00007_keys_collation.sql") {
		t.Fatalf("no 00007_keys_collation.sql in %v", names)
	}
	if !slices.Contains(names, "00006_reporting.sql") {
		t.Fatalf("no 00006_reporting.sql in %v", names)
	}
	for _, name := range names {
		sql := files[name]
		up, _, _ := strings.Cut(sql, "-- +goose Down")
		all.WriteString(up)
	}
	up := all.String()
	for _, bad := range []string{"timestamptz", "jsonb", "bigserial", "bytea", "double precision", " text", "boolean", "IF NOT EXISTS", "::"} {
		if strings.Contains(up, bad) {
			t.Errorf("SQL Server migrations contain %q", bad)
		}
	}
	for _, want := range coreSchema {
		name := want.table
		if name == "queue" {
			name = "[queue]"
		}
		if want.view {
			re := regexp.MustCompile(`(?s)-- \+goose StatementBegin\s*CREATE VIEW ` + regexp.QuoteMeta(name) + `\b.*?-- \+goose StatementEnd`)
			if !re.MatchString(up) {
				t.Errorf("view %s not created inside StatementBegin/End", name)
			}
			continue
		}
		re := regexp.MustCompile(`(?s)CREATE TABLE ` + regexp.QuoteMeta(name) + ` \((.*?)\n\);`)
		m := re.FindStringSubmatch(up)
		if m == nil {
			t.Errorf("no CREATE TABLE %s", name)
			continue
		}
		body := m[1]
		if len(want.key) == 1 && want.key[0] == "id" {
			if !strings.Contains(body, "id              bigint IDENTITY(1,1) PRIMARY KEY") {
				t.Errorf("%s: id is not an identity primary key", name)
			}
			continue
		}
		keyRe := regexp.MustCompile(`(?m)PRIMARY KEY(?: \(([^)]*)\))?`)
		km := keyRe.FindStringSubmatch(body)
		if km == nil {
			t.Errorf("%s: no primary key", name)
			continue
		}
		var got []string
		if km[1] != "" {
			for _, c := range strings.Split(km[1], ",") {
				got = append(got, strings.TrimSpace(c))
			}
		} else { // inline "col type PRIMARY KEY"
			line := body[:strings.Index(body, "PRIMARY KEY")]
			line = line[strings.LastIndex(line, "\n")+1:]
			got = []string{strings.Fields(line)[0]}
		}
		if !slices.Equal(got, want.key) {
			t.Errorf("%s: key %v, want %v", name, got, want.key)
		}
		for _, c := range append(slices.Clone(want.key), want.cols...) {
			if c == "delay" {
				c = "[delay]"
			}
			if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(c) + `\s`).MatchString(body) {
				t.Errorf("%s: no column %s", name, c)
			}
		}
	}
	// Key columns of clustered primary keys must fit SQL Server's 900 bytes.
	for _, m := range regexp.MustCompile(`(?m)^\s+(\w+)\s+nvarchar\(max\)[^,\n]*NOT NULL`).FindAllStringSubmatch(up, -1) {
		for _, want := range coreSchema {
			if slices.Contains(want.key, m[1]) {
				t.Errorf("key column %s is nvarchar(max)", m[1])
			}
		}
	}
}

// TestSQLServerKeysWithinLimits reads the SQL Server schema as the
// migrations leave it and checks every primary key against the 900-byte
// clustered-key limit and every index against the 1,700-byte nonclustered
// limit (issue 13: contact_attribute's key was 1,800 bytes, several keys
// 908, rejected_record's index 1,800), and that every Connect id column has
// the one binary-collated id type, so ids compare by exact bytes as in Go
// and joins between id columns never meet a collation conflict.
func TestSQLServerKeysWithinLimits(t *testing.T) {
	files, err := MigrationSQL(DialectSQLServer)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := parseMSSQLSchema(files)
	if err != nil {
		t.Fatal(err)
	}
	keys, indexes := mssqlKeys(files)
	check := func(what, table string, cols []string, limit int) {
		total := 0
		for _, c := range cols {
			n, err := mssqlKeyBytes(schema[table][c])
			if err != nil {
				t.Errorf("%s of %s: column %s: %v", what, table, c, err)
			}
			total += n
		}
		if total > limit {
			t.Errorf("%s of %s %v is %d bytes, over SQL Server's %d", what, table, cols, total, limit)
		}
	}
	for table := range schema {
		if len(keys[table]) == 0 {
			t.Errorf("%s has no primary key", table)
		}
		check("primary key", table, keys[table], 900)
		for col, typ := range schema[table] {
			if strings.HasSuffix(col, "_id") && col != "shard_id" && typ != "nvarchar(128) "+mssqlBin {
				t.Errorf("id column %s.%s is %s, want nvarchar(128) %s", table, col, typ, mssqlBin)
			}
		}
	}
	for name, ix := range indexes {
		check("index "+name, ix[0], ix[1:], 1700)
	}
}

// mssqlKeys returns the primary-key columns of each table and the columns
// of each index (table first), as the Up migrations leave them.
func mssqlKeys(files map[string]string) (map[string][]string, map[string][]string) {
	keys, indexes := map[string][]string{}, map[string][]string{}
	cols := func(s string) []string {
		var out []string
		for _, c := range strings.Split(s, ",") {
			out = append(out, strings.Trim(strings.TrimSpace(c), "[]"))
		}
		return out
	}
	create := regexp.MustCompile(`(?s)CREATE TABLE (\S+) \((.*?)\n\);`)
	inline := regexp.MustCompile(`(?m)^\s+(\S+)\s+[^\n]*PRIMARY KEY\s*,?$`)
	tableKey := regexp.MustCompile(`PRIMARY KEY \(([^)]*)\)`)
	addKey := regexp.MustCompile(`ALTER TABLE (\S+) ADD CONSTRAINT \S+ PRIMARY KEY CLUSTERED \(([^)]*)\)`)
	createIx := regexp.MustCompile(`CREATE INDEX (\S+) ON (\S+) \(([^)]*)\)`)
	dropIx := regexp.MustCompile(`DROP INDEX (\S+) ON`)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		up, _, _ := strings.Cut(files[name], "-- +goose Down")
		for _, m := range create.FindAllStringSubmatch(up, -1) {
			table := strings.Trim(m[1], "[]")
			if k := tableKey.FindStringSubmatch(m[2]); k != nil {
				keys[table] = cols(k[1])
			} else if k := inline.FindStringSubmatch(m[2]); k != nil {
				keys[table] = []string{k[1]}
			}
		}
		for _, line := range strings.Split(up, "\n") {
			if m := addKey.FindStringSubmatch(line); m != nil {
				keys[strings.Trim(m[1], "[]")] = cols(m[2])
			}
			if m := dropIx.FindStringSubmatch(line); m != nil {
				delete(indexes, m[1])
			}
			if m := createIx.FindStringSubmatch(line); m != nil {
				indexes[m[1]] = append([]string{m[2]}, cols(m[3])...)
			}
		}
	}
	return keys, indexes
}

// mssqlKeyBytes is the most bytes a value of an SQL Server type takes in
// an index key.
func mssqlKeyBytes(typ string) (int, error) {
	typ, _, _ = strings.Cut(typ, " ")
	switch typ {
	case "datetime2(7)", "bigint", "float":
		return 8, nil
	case "integer", "int":
		return 4, nil
	case "smallint":
		return 2, nil
	case "date":
		return 3, nil
	}
	if n, ok := strings.CutPrefix(typ, "nvarchar("); ok {
		v, err := strconv.Atoi(strings.TrimSuffix(n, ")"))
		return 2 * v, err
	}
	if n, ok := strings.CutPrefix(typ, "binary("); ok {
		return strconv.Atoi(strings.TrimSuffix(n, ")"))
	}
	return 0, fmt.Errorf("type %q cannot be a key column", typ)
}
