package main

import (
	"context"
	"errors"
	"github.com/connect-reporting/connect-reporting/internal/report"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/historical/histtest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// runHistorical runs `connect-reporting poll historical args` with env.
func runHistorical(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	return run(t, env, "", append([]string{"poll", "historical"}, args...)...)
}

// historicalEnv serves a static simulated instance with contacts over the
// last two days and returns the environment pointing the SDK at it.
func historicalEnv(t *testing.T) (*histtest.Source, map[string]string) {
	t.Helper()
	// The SDK's default credential chain reads the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	now := time.Now().UTC()
	src := histtest.NewSource(now, 3, 1)
	src.SetFacts(histtest.Generate(3, []string{histtest.QueueID(0), histtest.QueueID(1), histtest.QueueID(2)}, 200, now.Add(-50*time.Hour), now))
	hs := httptest.NewServer(api.New(src, api.Options{ThrottleRate: 0.2, Seed: 4}))
	t.Cleanup(hs.Close)
	t.Setenv("AWS_REGION", histtest.Region)
	t.Setenv("AWS_ENDPOINT_URL_CONNECT", hs.URL)
	t.Setenv("AWS_MAX_ATTEMPTS", "")
	return src, map[string]string{}
}

func intervalRows(t *testing.T, dsn string) (n int, first, last time.Time) {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var minS, maxS any
	if err := s.DB().QueryRow("SELECT COUNT(*), MIN(interval_start), MAX(interval_start) FROM queue_interval_metric").Scan(&n, &minS, &maxS); err != nil {
		t.Fatal(err)
	}
	parse := func(v any) time.Time {
		switch x := v.(type) {
		case time.Time:
			return x.UTC()
		case string:
			tm, _ := time.Parse(time.RFC3339Nano, x)
			return tm
		}
		return time.Time{}
	}
	return n, parse(minS), parse(maxS)
}

func TestPollHistorical(t *testing.T) {
	_, env := historicalEnv(t)
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			kolkata, _ := time.LoadLocation("Asia/Kolkata")
			now := time.Now()
			// Scheduled run: the first run fetches the last day.
			out, errs, err := runHistorical(t, map[string]string{"TIME_ZONE": "Asia/Kolkata"}, "--instance", histtest.InstanceID, "--db", dsn)
			if err != nil {
				t.Fatalf("%v\n%s", err, errs)
			}
			if !strings.Contains(out, "historical queues/Asia/Kolkata") || !strings.Contains(out, "3 queues") || !strings.Contains(out, "(done,") {
				t.Errorf("stdout %q", out)
			}
			n, first, last := intervalRows(t, dsn)
			if n == 0 || first.Before(now.Add(-25*time.Hour)) || !last.Before(report.LastCompleted(time.Now(), kolkata)) {
				t.Errorf("%d rows from %s to %s", n, first, last)
			}

			// Backfill of the day before, flags after positional-free args in any order.
			from := report.Floor(now.Add(-48*time.Hour), time.UTC)
			to := from.Add(20 * time.Hour)
			out, errs, err = runHistorical(t, env, "--db", dsn, "--from", from.Format(time.RFC3339), "--instance", histtest.InstanceARN,
				"--to", to.Format(time.RFC3339), "--time-zone", "Asia/Kolkata")
			if err != nil {
				t.Fatalf("%v\n%s", err, errs)
			}
			if !strings.Contains(out, from.Format(time.RFC3339)+".."+to.Format(time.RFC3339)) {
				t.Errorf("stdout %q", out)
			}
			n2, first2, _ := intervalRows(t, dsn)
			if n2 <= n || first2.Before(from) || !first2.Before(from.Add(time.Hour)) {
				t.Errorf("after backfill %d rows (before %d), first %s, want from %s", n2, n, first2, from)
			}
			// The checkpoint stayed where the scheduled run left it.
			s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			cp, ok, err := s.Checkpoint(context.Background(), historical.PollerName, "queues/Asia/Kolkata")
			if err != nil || !ok || cp.Watermark.Before(now.Add(-16*time.Minute)) {
				t.Errorf("checkpoint %+v %v %v", cp, ok, err)
			}
		})
	}
}

func TestPollHistoricalUsage(t *testing.T) {
	_, env := historicalEnv(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "u.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", db}, "no Connect instance"},
		{[]string{"--instance", "i", "--db", db, "--from", "2024-01-01T00:00:00Z"}, "go together"},
		{[]string{"--instance", "i", "--db", db, "--from", "yesterday", "--to", "2024-01-01T00:00:00Z"}, "--from"},
		{[]string{"--instance", "i", "--db", db, "--from", "2024-01-02T00:00:00Z", "--to", "2024-01-01T00:00:00Z"}, "before --to"},
		{[]string{"--instance", "i", "--db", db, "--time-zone", "Mars/Olympus"}, "--time-zone"},
		{[]string{"--instance", "i", "--db", db, "--slice", "96h"}, "--slice"},
		{[]string{"--instance", "i", "--db", db, "extra"}, "unexpected"},
		{[]string{"--instance", "i", "--db", db, "--from", "2024-01-01T00:00:00Z", "--to", "2024-01-02T00:00:00Z", "--time-zone", "Europe/Nowhere"}, "--time-zone"},
		{[]string{"--instance", "i"}, "no database"},
	} {
		_, _, err := runHistorical(t, env, tc.args...)
		var ee *ExitError
		if err == nil || !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want exit 2 with %q", tc.args, err, tc.want)
		}
	}
	// An unknown instance is the API's error, not a usage error.
	_, _, err := runHistorical(t, env, "--instance", "arn:aws:connect:"+histtest.Region+":"+histtest.AccountID+":instance/nope", "--db", db)
	var ee *ExitError
	if err == nil || errors.As(err, &ee) {
		t.Errorf("unknown instance: %v", err)
	}
}
