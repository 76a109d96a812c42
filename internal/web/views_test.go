package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/dbtest"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
	"github.com/connect-reporting/connect-reporting/internal/web"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var (
	newYork = mustZone("America/New_York")
	sydney  = mustZone("Australia/Sydney")
	// simDay is the simulated day of the views tests: a morning in New
	// York, which is the evening of the next day in Sydney (+11).
	simDay = time.Date(2026, 3, 10, 7, 0, 0, 0, newYork)
)

// simulate runs the simulator from start for d with agents agents into s
// through the ingest engine (callbacks, transfers and abandons included).
func simulate(t testing.TB, s *sqlstore.Store, start time.Time, d time.Duration, agents int) time.Time {
	t.Helper()
	cfg := simulator.DefaultConfig(5, agents, 3)
	cfg.Start, cfg.Location = start, start.Location()
	engine := &ingest.Engine{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sim, err := simulator.New(cfg, simingest.Sink(engine))
	if err != nil {
		t.Fatal(err)
	}
	end := start.Add(d)
	if err := sim.RunUntil(end); err != nil {
		t.Fatal(err)
	}
	return end.UTC()
}

// viewStores opens a fresh store per dialect (SQLite, PostgreSQL) with the
// report zones New York and Sydney.
func viewStores(t *testing.T) map[string]*sqlstore.Store {
	out := map[string]*sqlstore.Store{}
	for name, dsn := range map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "views.db"), "postgres": pgtest.DSN(t)} {
		s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{TimeZones: []*time.Location{newYork, sydney}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out[name] = s
	}
	return out
}

// normal turns a value read from a view or from the dashboard's JSON into
// one comparable form: numbers float64, timestamps RFC 3339 UTC, dates
// YYYY-MM-DD.
func normal(col string, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		return normal(col, string(x))
	case int64:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	case time.Time:
		if col == "local_date" {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339)
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil && col != "queue_id" && col != "agent_id" {
			return f
		}
		if col == "local_date" && len(x) >= 10 {
			return x[:10]
		}
	}
	return v
}

// viewRows reads query into rows of column -> normal value.
func viewRows(t *testing.T, db *sql.DB, query string, args ...any) []map[string]any {
	t.Helper()
	cols, rows := dbtest.Rows(t, db, query, args...)
	var out []map[string]any
	for _, vals := range rows {
		m := map[string]any{}
		for i, c := range cols {
			m[strings.ToLower(c)] = normal(strings.ToLower(c), vals[i])
		}
		out = append(out, m)
	}
	return out
}

// jsonRows reads the rows of a report answer, metrics flattened.
func jsonRows(t *testing.T, h http.Handler, target string) []map[string]any {
	t.Helper()
	res, body := get(t, h, target)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", target, res.StatusCode, body)
	}
	var rep struct {
		Rows []map[string]any `json:"rows"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if m, ok := r["metrics"].(map[string]any); ok {
			for k, v := range m {
				r[k] = v
			}
		}
		for k, v := range r {
			r[k] = normal(k, v)
		}
	}
	return rep.Rows
}

// sameRows asserts that every view row has a dashboard row with the same
// key and the same value in every view column (but skip), and no more rows.
func sameRows(t *testing.T, what string, view, dash []map[string]any, key []string, skip ...string) {
	t.Helper()
	keyOf := func(r map[string]any) string {
		var parts []string
		for _, k := range key {
			parts = append(parts, fmt.Sprint(r[k]))
		}
		return strings.Join(parts, "|")
	}
	byKey := map[string]map[string]any{}
	for _, r := range dash {
		byKey[keyOf(r)] = r
	}
	if len(view) == 0 || len(view) != len(dash) {
		t.Errorf("%s: %d view rows, %d dashboard rows", what, len(view), len(dash))
	}
	ignored := map[string]bool{"time_zone": true, "local_start": true, "local_hour": true, "iso_weekday": true}
	for _, s := range skip {
		ignored[s] = true
	}
	bad := 0
	for _, v := range view {
		d, ok := byKey[keyOf(v)]
		if !ok {
			t.Errorf("%s: no dashboard row for %s", what, keyOf(v))
			continue
		}
		for col, want := range v {
			if ignored[col] {
				continue
			}
			got, has := d[col]
			if !has || !equalValue(got, want) {
				if bad++; bad <= 10 {
					t.Errorf("%s %s: %s = %v (present %v), view %v", what, keyOf(v), col, got, has, want)
				}
			}
		}
	}
}

func equalValue(a, b any) bool {
	x, ok1 := a.(float64)
	y, ok2 := b.(float64)
	if ok1 && ok2 {
		return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(y))
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// TestDashboardEqualsViews runs a simulated morning (20 agents, callbacks,
// transfers, abandons) into SQLite and PostgreSQL and reads every report
// through the real HTTP handler: each answer equals the KPI view it comes
// from, row for row and column for column, for the same day, zone and
// threshold, in New York and in Sydney (+11, the next day). A threshold
// chosen in the page (?sl=) equals the views with that threshold set.
func TestDashboardEqualsViews(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a morning on two databases")
	}
	for name, s := range viewStores(t) {
		t.Run(name, func(t *testing.T) {
			end := simulate(t, s, simDay, 6*time.Hour, 20)
			h := web.New(s, web.Options{Location: newYork, Zones: []*time.Location{newYork, sydney}, Now: func() time.Time { return end }})
			db := s.DB()
			ph := func(q string) string { // $n placeholders on PostgreSQL
				if name != "postgres" {
					return q
				}
				for i := 1; strings.Contains(q, "?"); i++ {
					q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
				}
				return q
			}
			for _, c := range []struct {
				zone *time.Location
				day  string
			}{{newYork, "2026-03-10"}, {sydney, "2026-03-11"}} {
				tz, from := c.zone.String(), "&from="+c.day+"&tz="+c.zone.String()
				day := "time_zone = ? AND local_date = ?"
				sameRows(t, tz+" kpi_queue_interval", viewRows(t, db, ph("SELECT * FROM kpi_queue_interval WHERE "+day), tz, c.day),
					jsonRows(t, h, "/api/reports/queue-intervals?period=15"+from), []string{"interval_start", "queue_id", "channel"})
				sameRows(t, tz+" kpi_queue_day", viewRows(t, db, ph("SELECT * FROM kpi_queue_day WHERE "+day), tz, c.day),
					jsonRows(t, h, "/api/reports/queue-intervals?period=day"+from), []string{"local_date", "queue_id", "channel"})
				sameRows(t, tz+" kpi_agent_day", viewRows(t, db, ph("SELECT * FROM kpi_agent_day WHERE "+day), tz, c.day),
					jsonRows(t, h, "/api/reports/agent-days?"+from), []string{"local_date", "agent_id"})
				sameRows(t, tz+" kpi_agent_status_day", viewRows(t, db, ph("SELECT * FROM kpi_agent_status_day WHERE "+day), tz, c.day),
					jsonRows(t, h, "/api/reports/agent-status?"+from), []string{"local_date", "agent_id", "status_name"})
			}
			// The simulated morning has what the figures are about.
			totals := viewRows(t, db, ph("SELECT SUM(contacts_abandoned) AS a, SUM(callbacks) AS c, SUM(transferred_out) AS x FROM kpi_queue_day WHERE time_zone = ?"), newYork.String())[0]
			if !(totals["a"].(float64) > 0 && totals["c"].(float64) > 0 && totals["x"].(float64) > 0) {
				t.Errorf("simulated morning lacks abandons, callbacks or transfers: %v", totals)
			}
			// The wallboard's today is kpi_queue_day's today, queue by queue.
			_, body := get(t, h, "/api/wallboard")
			var wb struct {
				Queues []map[string]any `json:"queues"`
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&wb); err != nil {
				t.Fatal(err)
			}
			var today []map[string]any
			for _, q := range wb.Queues {
				r := q["today"].(map[string]any)
				r["queue_id"], r["channel"], r["local_date"], r["queue_name"] = q["queue_id"], q["channel"], "2026-03-10", q["queue_name"]
				for k, v := range r {
					r[k] = normal(k, v)
				}
				today = append(today, r)
			}
			sameRows(t, "wallboard today", viewRows(t, db, ph("SELECT * FROM kpi_queue_day WHERE time_zone = ? AND local_date = ?"), newYork.String(), "2026-03-10"),
				today, []string{"queue_id", "channel"})

			// ?sl=45 equals the views with the threshold set to 45.
			dash := jsonRows(t, h, "/api/reports/queue-intervals?period=15&from=2026-03-10&sl=45")
			dashDay := jsonRows(t, h, "/api/reports/queue-intervals?period=day&from=2026-03-10&sl=45")
			if _, err := db.Exec(ph("UPDATE report_setting SET value = ? WHERE name = ?"), "45", "service_level_seconds"); err != nil {
				t.Fatal(err)
			}
			// The rollups count answered_within_sl at the threshold they were
			// built with: rebuild them, as the program does when it starts
			// with another SERVICE_LEVEL_SECONDS.
			if err := s.RebuildRollups(context.Background(), time.Time{}, time.Time{}); err != nil {
				t.Fatal(err)
			}
			view := viewRows(t, db, ph("SELECT * FROM kpi_queue_interval WHERE time_zone = ? AND local_date = ?"), newYork.String(), "2026-03-10")
			if len(view) == 0 || view[0]["sl_threshold_seconds"] != 45.0 {
				t.Fatalf("the views did not take the threshold 45: %v", view[0]["sl_threshold_seconds"])
			}
			sameRows(t, "sl=45 kpi_queue_interval", view, dash, []string{"interval_start", "queue_id", "channel"})
			sameRows(t, "sl=45 kpi_queue_day", viewRows(t, db, ph("SELECT * FROM kpi_queue_day WHERE time_zone = ? AND local_date = ?"), newYork.String(), "2026-03-10"),
				dashDay, []string{"local_date", "queue_id", "channel"})
		})
	}
}

// TestAgentTimeline: the timeline holds each agent's status intervals cut
// to the day, and per agent and status they add up to kpi_agent_status_day.
func TestAgentTimeline(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a morning")
	}
	s := viewStores(t)["sqlite"]
	end := simulate(t, s, simDay, 5*time.Hour, 10)
	h := web.New(s, web.Options{Location: newYork, Now: func() time.Time { return end }})
	spans := jsonRows(t, h, "/api/reports/agent-timeline?from=2026-03-10")
	sum := map[string]float64{}
	open := 0
	for _, sp := range spans {
		a, _ := time.Parse(time.RFC3339, sp["start"].(string))
		b, _ := time.Parse(time.RFC3339, sp["end"].(string))
		if !b.After(a) || a.Before(simDay.Add(-7*time.Hour)) || b.After(end) {
			t.Errorf("span %v outside the day or empty", sp)
		}
		sum[sp["agent_id"].(string)+"|"+sp["status_name"].(string)] += b.Sub(a).Seconds()
		if sp["open"] == true {
			open++
		}
	}
	days := jsonRows(t, h, "/api/reports/agent-status?from=2026-03-10")
	if len(days) == 0 || open == 0 {
		t.Fatalf("%d status days, %d open spans", len(days), open)
	}
	var keys []string
	for _, d := range days {
		k := d["agent_id"].(string) + "|" + d["status_name"].(string)
		keys = append(keys, k)
		if d["seconds"].(float64) == 0 {
			continue // a status that lasted no time has no block
		}
		if math.Abs(sum[k]-d["seconds"].(float64)) > 1 { // timestamps in ms; the view rounds to ms
			t.Errorf("%s: timeline %.3f s, kpi_agent_status_day %.3f s", k, sum[k], d["seconds"])
		}
	}
	sort.Strings(keys)
	for k := range sum {
		if _, ok := slices.BinarySearch(keys, k); !ok {
			t.Errorf("the timeline has %s, kpi_agent_status_day does not", k)
		}
	}
}
