package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
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
	all := regexp.MustCompile(`agent events (\d+) stored / \d+ duplicate / \d+ heartbeat, contact records (\d+) stored / \d+ updated / \d+ duplicate, (\d+) rejected`).FindAllStringSubmatch(out, -1)
	if all == nil {
		t.Fatalf("no summary in %q", out)
	}
	m := all[len(all)-1] // the line the demo prints when it stops
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
	// The counts are the rows (issue 11): heartbeats and newer versions of
	// a contact record are counted apart, as they add no rows.
	if got := count("SELECT COUNT(*) FROM agent_event"); got != events {
		t.Errorf("agent_event has %d rows, the demo said %d stored", got, events)
	}
	if got := count("SELECT COUNT(*) FROM contact_record"); got != ctrs {
		t.Errorf("contact_record has %d rows, the demo said %d stored", got, ctrs)
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

// TestDemoDashboardClock: the demo's dashboard takes the simulator's time
// as now and says it is simulated, so the first screen of a simulated
// morning is that morning (not the wall clock's day), and no data is stale.
func TestDemoDashboardClock(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "clock.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	loc, _ := time.LoadLocation("America/New_York")
	start := time.Date(2026, 3, 29, 8, 0, 0, 0, loc)
	cfg := simulator.DefaultConfig(3, 5, 1)
	cfg.Start, cfg.Location = start, loc
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.RunUntil(start.Add(90 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	h := newDashboard(store, demoDashboardOptions(loc, nil, sim, 60))
	get := func(path string, v any) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	var cfgRes struct {
		Today     string    `json:"today"`
		Now       time.Time `json:"now"`
		Simulated bool      `json:"simulated"`
		ClockRate float64   `json:"clock_rate"`
	}
	get("/api/config", &cfgRes)
	simNow := start.Add(90 * time.Minute).UTC()
	if cfgRes.Today != "2026-03-29" || !cfgRes.Now.Equal(simNow) || !cfgRes.Simulated || cfgRes.ClockRate != 60 {
		t.Errorf("config %+v, want today 2026-03-29, now %s, simulated at 60x", cfgRes, simNow)
	}
	var wb connectreporting.Wallboard
	get("/api/wallboard", &wb)
	if wb.Day != "2026-03-29" || !wb.GeneratedAt.Equal(simNow) || !wb.Health.CheckedAt.Equal(simNow) {
		t.Errorf("wallboard day %s generated %s checked %s, want the simulated %s", wb.Day, wb.GeneratedAt, wb.Health.CheckedAt, simNow)
	}
}

// TestDemoStartHelp: --start's help says what the demo does without it.
func TestDemoStartHelp(t *testing.T) {
	errOut, _, _ := run(t, map[string]string{}, "", "demo", "--help") // help is on stdout
	if !strings.Contains(errOut, "default: 08:00 today in --time-zone") || strings.Contains(errOut, "default: now") {
		t.Errorf("demo --help: %s", errOut)
	}
}
