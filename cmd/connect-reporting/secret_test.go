package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/lambda/lambdatest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// leakyDSNs carry the password "hunter2-secret" in every form a connection
// string comes in: strings that cannot be parsed (no scheme, a typo in it, a
// mistyped or unknown keyword, a value the driver refuses, a bad escape)
// and good ones whose database is not there (connection refused).
var leakyDSNs = []string{
	"reporter:hunter2-secret@db.example:5432/connect",
	"postgres//reporter:hunter2-secret@db.example/connect",
	"postgres:/reporter:hunter2-secret@db.example/connect",
	"Server=db.example;Database=AC;User Id=sa;Pasword=hunter2-secret",
	"Server=db.example;Database=AC;User Id=sa;Password=hunter2-secret;Flavour=x",
	"Server=db.example;Database=AC;User Id=sa;Password=hunter2;secret;MultipleActiveResultSets=True",
	"Host=db.example;Username=u;Password=hunter2-secret;Colour=blue",
	"postgres://u:hunter2-secret@db.example/x?sslmode=bogus",
	"postgres://u:hunter2-secret%zz@db.example/x",
	"mysql://u:hunter2-secret@db.example/x",
	"reporter:hunter2-secret@db.example://x",
	"postgres://app:hunter2-secret@127.0.0.1:1/x?connect_timeout=2",
	"postgres://app@127.0.0.1:1/x?password=hunter2-secret",
	"Host=127.0.0.1;Port=1;Database=x;Username=app;Password=hunter2-secret",
	"sqlserver://sa:hunter2-secret@127.0.0.1:1?database=x",
	"Server=127.0.0.1,1;Database=x;User Id=sa;Password=hunter2-secret;MultipleActiveResultSets=True",
}

// assertNoPassword fails when any output shows any part of the password.
func assertNoPassword(t *testing.T, what string, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		if strings.Contains(o, "hunter2") || strings.Contains(o, "secret;") {
			t.Errorf("%s shows the password:\n%s", what, o)
		}
	}
}

// TestNoPasswordInAnyOutput runs every command that takes a connection
// string, through Main, with each leaky DSN given by --db and by DB_DSN,
// with debug logs on, and the Lambda functions with the DSN read from SSM:
// every run fails, and neither stdout, stderr, the logs nor the error show
// the password.
func TestNoPasswordInAnyOutput(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "daemon.yaml")
	os.WriteFile(cfg, []byte("streams:\n  - {name: a, source: ctr}\nregion: us-east-1\n"), 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	commands := [][]string{
		{"migrate"},
		{"serve", "--addr", "127.0.0.1:0"},
		{"ingest", "agent-events", "-"},
		{"poll", "realtime", "--instance", "i-1"},
		{"poll", "config", "--instance", "i-1"},
		{"run", "--check", "--config", cfg},
		{"run", "--config", cfg},
	}
	for _, dsn := range leakyDSNs {
		for _, args := range commands {
			for _, viaFlag := range []bool{false, true} {
				env := map[string]string{"LOG_LEVEL": "debug", "DB_DSN": dsn, "AWS_REGION": "us-east-1",
					"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "x", "AWS_ENDPOINT_URL_CONNECT": "http://127.0.0.1:1"}
				if viaFlag && args[0] == "run" {
					continue // run reads the DSN from its file or the environment
				}
				a := args
				if viaFlag {
					delete(env, "DB_DSN")
					a = append(append([]string{}, args...), "--db", dsn)
				}
				var out, errb bytes.Buffer
				m := NewMain()
				m.Stdin = strings.NewReader(`{"EventId":"e1"}` + "\n")
				m.Stdout, m.Stderr = &out, &errb
				m.Getenv = func(k string) string { return env[k] }
				err := m.Run(ctx, a)
				m.Close()
				what := sqlstore.Redact(dsn) + " " + strings.Join(args, " ")
				_, parseErr := sqlstore.ParseDSN(dsn, "")
				if err == nil && (parseErr != nil || args[1] != "--check") {
					t.Errorf("%s: succeeded", what)
				}
				if err != nil {
					errb.WriteString(err.Error())
				}
				assertNoPassword(t, what, out.String(), errb.String())
			}
		}
	}
}

// TestNoPasswordFromLambda: the Lambda functions read each leaky DSN from
// SSM (SQL_PARAM); the invocation fails, and neither its error nor the
// logs show the password.
func TestNoPasswordFromLambda(t *testing.T) {
	ssm := lambdatest.NewSSMServer(t, nil)
	t.Setenv("AWS_ENDPOINT_URL_SSM", ssm.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, dsn := range leakyDSNs {
		for _, handler := range []string{lambda.ProcessAgentEvents, lambda.OnboardMetrics} {
			ssm.Set("/cr/dsn", dsn)
			env := map[string]string{"_HANDLER": handler, "SQL_PARAM": "/cr/dsn", "INSTANCE_ID": "i-1", "LOG_LEVEL": "debug"}
			cfg, err := lambda.LoadConfig(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			params, err := lambda.NewSSMReader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			rt := lambda.NewRuntime(cfg, lambdaFactory, lambda.Options{Logger: lambda.NewLogger(&logs, slog.LevelDebug), Parameters: params})
			if handler == lambda.ProcessAgentEvents {
				_, err = rt.HandleKinesis(ctx, lambdatest.KinesisEvent("s", []byte(`{"EventId":"e1"}`)))
			} else {
				err = rt.HandleSchedule(ctx, []byte(`{}`))
			}
			what := handler + " " + sqlstore.Redact(dsn)
			if err == nil {
				t.Errorf("%s: succeeded", what)
				continue
			}
			assertNoPassword(t, what, logs.String(), err.Error())
		}
	}
}

// TestRunCheckRefusesWhatMigrateRefuses: run --check parses the DSN as
// migrate does, so each string migrate refuses, --check refuses with the
// same reason.
func TestRunCheckRefusesWhatMigrateRefuses(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "daemon.yaml")
	os.WriteFile(cfg, []byte("streams:\n  - {name: a, source: ctr}\n"), 0o600)
	refused := 0
	for _, dsn := range leakyDSNs {
		_, parseErr := sqlstore.ParseDSN(dsn, "")
		if parseErr == nil {
			continue
		}
		refused++
		env := map[string]string{"DB_DSN": dsn}
		_, _, migErr := run(t, env, "", "migrate")
		_, _, chkErr := run(t, env, "", "run", "--check", "--config", cfg)
		if migErr == nil || chkErr == nil || !strings.Contains(chkErr.Error(), parseErr.Error()) || !strings.Contains(migErr.Error(), parseErr.Error()) {
			t.Errorf("%s: migrate %v; run --check %v", sqlstore.Redact(dsn), migErr, chkErr)
		}
		if exitCode(chkErr) != 2 {
			t.Errorf("%s: run --check exit %d, want 2", sqlstore.Redact(dsn), exitCode(chkErr))
		}
	}
	if refused < 8 {
		t.Errorf("only %d leaky DSNs are refused by the parser", refused)
	}
}

// TestNoPasswordWhenConnected: on a PostgreSQL server that lets the user in
// without checking the password (trust), the commands run to the end with a
// DSN that carries one, and no output shows it (demo prints its database).
func TestNoPasswordWhenConnected(t *testing.T) {
	if !pgtest.Available() && os.Getenv("CI") == "" {
		t.Skip("no PostgreSQL (TEST_PG_DSN)")
	}
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2-secret")
	dsn := u.String()
	env := map[string]string{"LOG_LEVEL": "debug", "DB_DSN": dsn}
	for _, c := range []struct {
		args    []string
		wantErr bool
	}{
		{[]string{"migrate"}, false},
		{[]string{"ingest", "agent-events", "-"}, false},
		{[]string{"demo", "--db", dsn, "--addr", "", "--quiet", "--duration", "2s"}, false},
		{[]string{"demo", "--db", dsn, "--fresh", "--addr", ""}, true},
	} {
		out, errOut, err := run(t, env, `{"EventId":"e1","EventType":"HEART_BEAT","EventTimestamp":"2026-11-25T08:00:00.000Z","AgentARN":"arn:aws:connect:us-east-1:1:instance/i/agent/a1"}`+"\n", c.args...)
		if (err != nil) != c.wantErr {
			t.Errorf("%v: error %v", c.args, err)
		}
		if err != nil {
			errOut += err.Error()
		}
		assertNoPassword(t, strings.Join(c.args[:1], " "), out, errOut)
		if c.args[0] == "demo" && !c.wantErr && !strings.Contains(out, "database postgres://postgres:xxxxx@") {
			t.Errorf("demo does not name its database redacted:\n%s", out)
		}
	}
}
