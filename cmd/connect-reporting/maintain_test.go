package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// TestMaintainCommand: maintain clears raw of the (years old) fixture
// records with --raw-days, deletes them with KEEP_DAYS from the
// environment, runs the dialect's index maintenance and refuses a bad
// number of days.
func TestMaintainCommand(t *testing.T) {
	login := fixture(t, "../../internal/agentevents/testdata/login.json")
	change := fixture(t, "../../internal/agentevents/testdata/state_change_status.json")
	voice := fixture(t, "../../internal/ctr/testdata/voice_inbound.json")
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			if _, _, err := run(t, nil, login+change, "ingest", "agent-events", "--db", dsn); err != nil {
				t.Fatal(err)
			}
			if _, _, err := run(t, nil, voice, "ingest", "ctr", "--db", dsn); err != nil {
				t.Fatal(err)
			}
			out, _, err := run(t, nil, "", "maintain", "--db", dsn, "--raw-days", "7")
			if err != nil {
				t.Fatal(err)
			}
			// On PostgreSQL the parts only the cleared agent events named
			// go too: the two fixtures' configurations and statuses.
			parts := ""
			if strings.HasPrefix(dsn, "postgres") {
				parts = "deleted: agent_event_part 4\n"
			}
			if !strings.Contains(out, "raw cleared: agent_event 2, contact_record 1\n"+parts+"ran: ") {
				t.Errorf("maintain --raw-days 7 said:\n%s", out)
			}
			out, _, err = run(t, map[string]string{"KEEP_DAYS": "30"}, "", "maintain", "--db", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "deleted: contact_attribute 7, contact_record 1, agent_event 2, ") {
				t.Errorf("KEEP_DAYS=30 maintain said:\n%s", out)
			}
			_, _, err = run(t, map[string]string{"RAW_DAYS": "a week"}, "", "maintain", "--db", dsn)
			if err == nil || !strings.Contains(err.Error(), "RAW_DAYS") {
				t.Errorf("RAW_DAYS=a week: %v", err)
			}
		})
	}
}

// TestMaintainLambdaFunction: the Maintain function's handler, built as on
// Lambda, applies RAW_DAYS from its environment.
func TestMaintainLambdaFunction(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	login := fixture(t, "../../internal/agentevents/testdata/login.json")
	if _, _, err := run(t, nil, login, "ingest", "agent-events", "--db", dsn); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RAW_DAYS", "7")
	ctx := context.Background()
	h, err := lambdaFactory(ctx, lambda.Config{Handler: lambda.Maintain, DSN: lambda.Secret(dsn), TimeZone: time.UTC, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Maintain == nil {
		t.Fatal("no Maintain handler built")
	}
	if err := h.Maintain.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM agent_event WHERE raw IS NULL").Scan(&n); err != nil || n != 1 {
		t.Errorf("agent events without raw: %d (%v), want 1", n, err)
	}
	t.Setenv("RAW_DAYS", "-1")
	if _, err := lambdaFactory(ctx, lambda.Config{Handler: lambda.Maintain, DSN: lambda.Secret(dsn), TimeZone: time.UTC, Logger: slog.New(slog.DiscardHandler)}); err == nil {
		t.Error("RAW_DAYS=-1 accepted")
	}
}
