package sqlstore

import (
	"strings"
	"testing"
	"time"
)

// TestUpsertSQL pins the statements the small-table writer produces per
// dialect: SQL Server has no server on CI, so its MERGE is checked here.
func TestUpsertSQL(t *testing.T) {
	u := upsert{table: "queue", cols: []string{"queue_id", "valid_from", "delay", "name"}, keys: []string{"queue_id", "valid_from"}}
	cases := []struct {
		dialect string
		u       upsert
		want    string
	}{
		{DialectPostgres, u, "INSERT INTO queue (queue_id, valid_from, delay, name) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8) ON CONFLICT (queue_id, valid_from) DO UPDATE SET delay = excluded.delay, name = excluded.name"},
		{DialectSQLite, u, "INSERT INTO queue (queue_id, valid_from, delay, name) VALUES (?, ?, ?, ?), (?, ?, ?, ?) ON CONFLICT (queue_id, valid_from) DO UPDATE SET delay = excluded.delay, name = excluded.name"},
		{DialectSQLServer, u, "MERGE INTO [queue] WITH (HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3, @p4), (@p5, @p6, @p7, @p8)) AS s (queue_id, valid_from, [delay], name) ON t.queue_id = s.queue_id AND t.valid_from = s.valid_from WHEN MATCHED THEN UPDATE SET [delay] = s.[delay], name = s.name WHEN NOT MATCHED THEN INSERT (queue_id, valid_from, [delay], name) VALUES (s.queue_id, s.valid_from, s.[delay], s.name);"},
		{DialectPostgres, upsert{table: "t", cols: []string{"a", "b"}, keys: []string{"a"}, ignore: true}, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT (a) DO NOTHING"},
		{DialectSQLServer, upsert{table: "t", cols: []string{"a", "b"}, keys: []string{"a"}, ignore: true}, "MERGE INTO t WITH (HOLDLOCK) AS t USING (VALUES (@p1, @p2), (@p3, @p4)) AS s (a, b) ON t.a = s.a WHEN NOT MATCHED THEN INSERT (a, b) VALUES (s.a, s.b);"},
	}
	guarded := upsert{table: "agent_realtime_current", cols: []string{"snapshot_time", "agent_id", "status_name"}, keys: []string{"agent_id"}, newer: "snapshot_time"}
	cases = append(cases,
		struct {
			dialect string
			u       upsert
			want    string
		}{DialectPostgres, guarded, "INSERT INTO agent_realtime_current (snapshot_time, agent_id, status_name) VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT (agent_id) DO UPDATE SET snapshot_time = excluded.snapshot_time, status_name = excluded.status_name WHERE agent_realtime_current.snapshot_time < excluded.snapshot_time"},
		struct {
			dialect string
			u       upsert
			want    string
		}{DialectSQLServer, guarded, "MERGE INTO agent_realtime_current WITH (HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3), (@p4, @p5, @p6)) AS s (snapshot_time, agent_id, status_name) ON t.agent_id = s.agent_id WHEN MATCHED AND t.snapshot_time < s.snapshot_time THEN UPDATE SET snapshot_time = s.snapshot_time, status_name = s.status_name WHEN NOT MATCHED THEN INSERT (snapshot_time, agent_id, status_name) VALUES (s.snapshot_time, s.agent_id, s.status_name);"},
	)
	for _, tc := range cases {
		if got := tc.u.sql(dialects[tc.dialect], 2); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.dialect, got, tc.want)
		}
	}
	// A SQL Server statement never exceeds 2,100 parameters.
	wide := upsert{table: "queue_interval_metric", cols: intervalMetricCols, keys: []string{"queue_id"}}
	per := mssqlMaxParams / len(wide.cols)
	if n := strings.Count(wide.sql(sqlserverDialect{}, per), "@p"); n > 2100 || n != per*len(wide.cols) {
		t.Errorf("SQL Server chunk has %d parameters", n)
	}
}

func TestArgConversion(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600))
	if got := dialects[DialectSQLite].arg(ts); got != "2026-01-02T02:04:05.006Z" {
		t.Errorf("sqlite time = %v", got)
	}
	if got := dialects[DialectPostgres].arg(ts).(time.Time); !got.Equal(ts) || got.Location() != time.UTC {
		t.Errorf("postgres time = %v", got)
	}
	var nilF *float64
	for _, v := range []any{nilF, "", (*int)(nil)} {
		if got := dialects[DialectSQLServer].arg(v); got != nil {
			t.Errorf("arg(%#v) = %v, want NULL", v, got)
		}
	}
	if dialects[DialectSQLite].arg(true) != 1 || dialects[DialectPostgres].arg(true) != true {
		t.Error("bool conversion")
	}
}

func TestSequenceAfter(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"10", "9", true}, {"9", "10", false}, {"0010", "9", true}, {"5", "5", false}, {"49590338271490256608559692540925702759324208523137515618", "49590338271490256608559692538361571095921575989136588898", true}} {
		if got := sequenceAfter(tc.a, tc.b); got != tc.want {
			t.Errorf("sequenceAfter(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}
