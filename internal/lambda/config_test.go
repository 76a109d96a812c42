package lambda_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/lambda"
)

func TestNormalizeHandler(t *testing.T) {
	for in, want := range map[string]string{
		"ProcessAgentEvents":  lambda.ProcessAgentEvents,
		"ProcessCTR":          lambda.ProcessCTR,
		"OnboardObservations": lambda.OnboardObservations,
		"OnboardMetrics":      lambda.OnboardMetrics,
		"OnboardUserGroups":   lambda.OnboardUserGroups,
		" processctr ":        lambda.ProcessCTR,
		"ConnectLambda::ConnectLambda.ProcessAgentEvents::Handler":  lambda.ProcessAgentEvents,
		"ConnectLambda::ConnectLambda.ProcessCTR::Handler":          lambda.ProcessCTR,
		"ConnectLambda::ConnectLambda.OnboardObservations::Handler": lambda.OnboardObservations,
		"ConnectLambda::ConnectLambda.OnboardMetrics::Handler":      lambda.OnboardMetrics,
		"ConnectLambda::ConnectLambda.OnboardUserGroups::Handler":   lambda.OnboardUserGroups,
		"ConnectLambda::ConnectLambda.Function::OnboardMetrics":     lambda.OnboardMetrics,
		"ConnectLambda.ProcessCTR":                                  lambda.ProcessCTR,
	} {
		got, err := lambda.NormalizeHandler(in)
		if err != nil || got != want {
			t.Errorf("NormalizeHandler(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "bootstrap", "Process", "ConnectLambda::ConnectLambda.Nope::Handler",
		"a::b::c::d", "ProcessCTRs", "ConnectLambda::ProcessCTR"} {
		_, err := lambda.NormalizeHandler(in)
		var uh *lambda.UnknownHandlerError
		if !errors.As(err, &uh) {
			t.Errorf("NormalizeHandler(%q): err = %v, want UnknownHandlerError", in, err)
			continue
		}
		for _, n := range lambda.HandlerNames() {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("error %q does not list %s", err, n)
			}
		}
	}
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	sydney, _ := time.LoadLocation("Australia/Sydney")
	cfg, err := lambda.LoadConfig(envOf(map[string]string{
		"_HANDLER":    "ConnectLambda::ConnectLambda.OnboardObservations::Handler",
		"STORAGE":     "pgsql",
		"SQL_PARAM":   "/connect-reporting/dsn",
		"INSTANCE_ID": "0a1b2c3d-1111-2222-3333-444455556666",
		"TIME_ZONE":   "Australia/Sydney",
		"LOG_LEVEL":   "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Handler != lambda.OnboardObservations || cfg.Storage != "postgres" || cfg.SQLParam != "/connect-reporting/dsn" ||
		cfg.DSN != "" || cfg.Delay != lambda.DefaultRealtimeDelay || cfg.TimeZone.String() != sydney.String() ||
		cfg.LogLevel != slog.LevelDebug || cfg.InstanceID != "0a1b2c3d-1111-2222-3333-444455556666" {
		t.Errorf("config = %+v", cfg)
	}

	// Defaults: SQL Server, UTC, info, the API delay.
	cfg, err = lambda.LoadConfig(envOf(map[string]string{"_HANDLER": "OnboardUserGroups", "DB_DSN": "sqlite:x.db", "INSTANCE_ID": "i"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage != "sqlserver" || cfg.TimeZone != time.UTC || cfg.Delay != lambda.DefaultAPIDelay ||
		cfg.LogLevel != slog.LevelInfo || cfg.DSN.Reveal() != "sqlite:x.db" {
		t.Errorf("defaults = %+v", cfg)
	}

	// Maintain reads no Connect instance: INSTANCE_ID may be left out.
	if cfg, err = lambda.LoadConfig(envOf(map[string]string{"_HANDLER": "maintain", "DB_DSN": "sqlite:x.db"})); err != nil || cfg.Handler != lambda.Maintain {
		t.Errorf("Maintain without INSTANCE_ID: %+v, %v", cfg, err)
	}

	// Stream handlers need no instance; DELAY in seconds or as a duration; Windows zone ids.
	for delay, want := range map[string]time.Duration{"2": 2 * time.Second, "0.25": 250 * time.Millisecond, "750ms": 750 * time.Millisecond, "0": 0} {
		cfg, err = lambda.LoadConfig(envOf(map[string]string{"_HANDLER": "ProcessCTR", "SQL_PARAM": "p", "DELAY": delay,
			"TIME_ZONE": "AUS Eastern Standard Time", "STORAGE": "SQLite"}))
		if err != nil || cfg.Delay != want || cfg.TimeZone.String() != "Australia/Sydney" || cfg.Storage != "sqlite" {
			t.Errorf("DELAY=%s: %+v %v", delay, cfg, err)
		}
	}

	// STORE_HEARTBEATS keeps HEART_BEAT events as rows; off by default.
	for v, want := range map[string]bool{"": false, "true": true, "TRUE": true, "0": false} {
		cfg, err = lambda.LoadConfig(envOf(map[string]string{"_HANDLER": "ProcessAgentEvents", "SQL_PARAM": "p", "STORE_HEARTBEATS": v}))
		if err != nil || cfg.StoreHeartbeats != want {
			t.Errorf("STORE_HEARTBEATS=%q: %v %v", v, cfg.StoreHeartbeats, err)
		}
	}

	// AWS_LAMBDA_LOG_LEVEL (Lambda's advanced logging controls) when LOG_LEVEL is unset.
	cfg, _ = lambda.LoadConfig(envOf(map[string]string{"_HANDLER": "ProcessCTR", "SQL_PARAM": "p", "AWS_LAMBDA_LOG_LEVEL": "WARN"}))
	if cfg.LogLevel != slog.LevelWarn {
		t.Errorf("AWS_LAMBDA_LOG_LEVEL=WARN: level %v", cfg.LogLevel)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	base := map[string]string{"_HANDLER": "OnboardMetrics", "SQL_PARAM": "p", "INSTANCE_ID": "i"}
	for name, tc := range map[string]struct {
		set  map[string]string
		want string
	}{
		"unknown handler":  {map[string]string{"_HANDLER": "ConnectLambda::ConnectLambda.Foo::Handler"}, "valid handlers are ProcessAgentEvents, ProcessCTR, OnboardObservations, OnboardMetrics, OnboardUserGroups"},
		"no handler":       {map[string]string{"_HANDLER": ""}, "unknown handler"},
		"bad zone":         {map[string]string{"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"},
		"local zone":       {map[string]string{"TIME_ZONE": "Local"}, "TIME_ZONE"},
		"bad delay":        {map[string]string{"DELAY": "soon"}, "DELAY"},
		"negative delay":   {map[string]string{"DELAY": "-1"}, "DELAY"},
		"bad storage":      {map[string]string{"STORAGE": "oracle"}, "STORAGE"},
		"no dsn":           {map[string]string{"SQL_PARAM": ""}, "SQL_PARAM"},
		"no instance":      {map[string]string{"INSTANCE_ID": ""}, "INSTANCE_ID"},
		"bad log level":    {map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		"bad heartbeats":   {map[string]string{"STORE_HEARTBEATS": "sometimes"}, "STORE_HEARTBEATS"},
		"two errors joint": {map[string]string{"STORAGE": "oracle", "DELAY": "x"}, "DELAY"},
	} {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range tc.set {
			env[k] = v
		}
		_, err := lambda.LoadConfig(envOf(env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
	}
}

const password = "S3cr3t-Pa55!word"

func TestSecretNeverPrinted(t *testing.T) {
	for _, dsn := range []string{
		"Server=db.example.internal,1433;Database=AmazonConnect;User Id=reporter;Password=" + password + ";MultipleActiveResultSets=True",
		"postgres://reporter:" + password + "@db.example.internal:5432/connect?sslmode=require",
		"sqlserver://reporter:" + password + "@db.example.internal?database=AmazonConnect",
		"host=db user=reporter password=" + password + " dbname=connect",
	} {
		s := lambda.Secret(dsn)
		cfg := lambda.Config{Handler: lambda.ProcessCTR, DSN: s, TimeZone: time.UTC}
		var buf bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&buf, nil))
		log.Info("x", "dsn", s, "cfg", cfg)
		js, _ := json.Marshal(cfg)
		out := strings.Join([]string{
			fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, cfg, cfg, s, s), string(js), buf.String(),
			s.Redact("dial failed for " + dsn), s.Redact("login failed: password " + password + " rejected"),
		}, "\n")
		if strings.Contains(out, password) || strings.Contains(out, "db.example.internal") {
			t.Errorf("secret printed:\n%s", out)
		}
		if s.Reveal() != dsn {
			t.Errorf("Reveal = %q", s.Reveal())
		}
	}
}
