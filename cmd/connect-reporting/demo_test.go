package main

import (
	"database/sql"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDemo runs the whole demo for a few seconds at high speed and checks
// that every source landed in the SQLite file: agent events and contact
// records through the ingest engine, real-time snapshots, configuration and
// interval metrics through the pollers and the real SDK client.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole pipeline for 15 s")
	}
	path := filepath.Join(t.TempDir(), "demo.db")
	out, errOut, err := run(t, map[string]string{}, "", "demo", "--db", "sqlite:"+path, "--addr", "127.0.0.1:0",
		"--duration", "15s", "--speed", "600", "--agents", "30", "--queues", "3", "--delay", "1s", "--quiet", "--seed", "7")
	if err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out, errOut)
	}
	m := regexp.MustCompile(`agent events (\d+) stored / \d+ duplicate, contact records (\d+) stored / \d+ duplicate, (\d+) rejected`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary in %q", out)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) int {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	events, _ := strconv.Atoi(m[1])
	ctrs, _ := strconv.Atoi(m[2])
	// "Stored" also counts heartbeats that moved agent_state and newer
	// versions of a contact record, which add no rows.
	if got := count("SELECT COUNT(*) FROM agent_event"); got > events || got < events/2 {
		t.Errorf("agent_event has %d rows, the demo stored %d", got, events)
	}
	if got := count("SELECT COUNT(*) FROM contact_record"); got > ctrs || got < ctrs*3/4 {
		t.Errorf("contact_record has %d rows, the demo stored %d", got, ctrs)
	}
	if m[3] != "0" || count("SELECT COUNT(*) FROM rejected_record") != 0 {
		t.Errorf("simulated records were rejected")
	}
	for q, min := range map[string]int{
		"SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL":       30,
		"SELECT COUNT(*) FROM queue WHERE valid_to IS NULL":              3,
		"SELECT COUNT(DISTINCT queue_id) FROM queue_realtime_current":    3,
		"SELECT COUNT(*) FROM queue_realtime_snapshot":                   9,
		"SELECT COUNT(*) FROM agent_realtime_snapshot":                   1,
		"SELECT COUNT(*) FROM queue_interval_metric":                     1,
		"SELECT COUNT(*) FROM agent_status_interval":                     30,
		"SELECT COUNT(*) FROM agent_state WHERE status_name IS NOT NULL": 10,
	} {
		if got := count(q); got < min {
			t.Errorf("%s = %d, want at least %d", q, got, min)
		}
	}
	if !strings.Contains(out, "demo: dashboard: http://127.0.0.1:") {
		t.Errorf("no dashboard URL in %q", out)
	}
}
