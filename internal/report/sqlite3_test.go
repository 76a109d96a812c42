package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/dbtest"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// TestViewsInSQLite3CLI opens a database the program wrote with the sqlite3
// command-line shell installed on the machine (Debian 12 ships 3.40) and
// checks that every KPI view answers there exactly as through the
// program's own driver: no function newer than the shell is used. Skips
// where sqlite3 is not installed.
func TestViewsInSQLite3CLI(t *testing.T) {
	cli, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("sqlite3 not installed (apt-get install -y sqlite3)")
	}
	out, err := exec.Command(cli, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sqlite3 %s", strings.Fields(string(out))[0])
	path := filepath.Join(t.TempDir(), "cli.db")
	s := smallCentre(t, path)
	for _, v := range []string{"kpi_contact", "kpi_queue_interval", "kpi_queue_day", "kpi_agent_status_day", "kpi_agent_day", "kpi_connect_queue_interval", "agent_status_interval"} {
		q := "SELECT * FROM " + v
		want := driverRows(t, s, q)
		got := cliRows(t, cli, path, q)
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("%s: %d rows in sqlite3, %d through the driver", v, len(got), len(want))
		}
		for i := range want {
			for col, w := range want[i] {
				if !sameValue(got[i][col], w) {
					t.Errorf("%s row %d %s: sqlite3 %v, driver %v", v, i, col, got[i][col], w)
				}
			}
		}
	}
}

// smallCentre stores four simulated hours of a 20-agent centre in a SQLite
// file through the ingest engine.
func smallCentre(t *testing.T, path string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	cfg := simulator.DefaultConfig(3, 20, 2)
	mem := &simulator.MemorySink{}
	sim, err := simulator.New(cfg, mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.RunUntil(cfg.Start.Add(12 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(ctx, "sqlite:"+path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &ingest.Engine{Store: s, Logger: slog.New(slog.DiscardHandler)}
	if err := simingest.Ingest(ctx, e, mem.Records(), nil); err != nil {
		t.Fatal(err)
	}
	var ms []connectreporting.IntervalMetric
	for i, name := range []string{"CONTACTS_QUEUED", "CONTACTS_HANDLED", "AVG_HANDLE_TIME__SUM", "AVG_HANDLE_TIME__COUNT", "SUM_CONTACTS_ANSWERED_IN_20", "SERVICE_LEVEL_20__COUNT"} {
		at := cfg.Start.Add(9 * time.Hour)
		ms = append(ms, connectreporting.IntervalMetric{QueueID: "q1", Channel: "VOICE", IntervalStart: at,
			IntervalEnd: at.Add(15 * time.Minute), MetricName: name, Value: float64(3 + i)})
	}
	if err := s.StoreIntervalMetrics(ctx, ms); err != nil {
		t.Fatal(err)
	}
	return s
}

func driverRows(t *testing.T, s *sqlstore.Store, q string) []map[string]any {
	t.Helper()
	cols, rows := dbtest.Rows(t, s.DB(), q+" ORDER BY 1, 2, 3, 4")
	var out []map[string]any
	for _, vals := range rows {
		m := map[string]any{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out
}

func cliRows(t *testing.T, cli, path, q string) []map[string]any {
	t.Helper()
	cmd := exec.Command(cli, "-json", "-readonly", path, q+" ORDER BY 1, 2, 3, 4")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v", q, err)
	}
	var rows []map[string]any
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("sqlite3 output: %v", err)
	}
	return rows
}

// sameValue compares a value from sqlite3 -json with one from the driver.
func sameValue(cli, drv any) bool {
	switch d := drv.(type) {
	case nil:
		return cli == nil
	case int64:
		f, ok := cli.(float64)
		return ok && f == float64(d)
	case float64:
		f, ok := cli.(float64)
		return ok && math.Abs(f-d) <= 1e-9*math.Max(1, math.Abs(d))
	case string:
		return cli == d
	case []byte:
		return cli == string(d)
	}
	return fmt.Sprint(cli) == fmt.Sprint(drv)
}
