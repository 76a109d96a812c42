package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIngestLogs: on a terminal's default (text), a file of 10 broken
// records logs 3 "record rejected" lines and a count of the rest, and
// neither the migrations nor the batches; --log-format json and
// LOG_FORMAT=json log every record as one JSON object per line.
func TestIngestLogs(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(strings.Repeat("{not json\n", 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		json bool
	}{
		{"text", nil, nil, false},
		{"flag json", nil, []string{"--log-format", "json"}, true},
		{"env json", map[string]string{"LOG_FORMAT": "json"}, nil, true},
		{"flag beats env", map[string]string{"LOG_FORMAT": "json"}, []string{"--log-format=text"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "r.db")
			out, errOut, err := run(t, tc.env, "", append([]string{"ingest", "ctr", bad, "--db", db}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "stored 0, updated 0, duplicate 0, heartbeat 0, rejected 10") {
				t.Errorf("stdout: %q", out)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			rejected := strings.Count(errOut, "record rejected")
			if tc.json {
				for _, l := range lines {
					var v map[string]any
					if err := json.Unmarshal([]byte(l), &v); err != nil {
						t.Errorf("not a JSON line: %q", l)
					}
				}
				if rejected != 10 {
					t.Errorf("%d record rejected lines, want 10:\n%s", rejected, errOut)
				}
				return
			}
			if rejected != 4 || !strings.Contains(errOut, `7 more "WARN record rejected" lines not shown`) {
				t.Errorf("want 3 lines and a count of 7 more:\n%s", errOut)
			}
			for _, noise := range []string{"applied migration", "ingested", "{"} {
				if strings.Contains(errOut, noise) {
					t.Errorf("stderr has %q:\n%s", noise, errOut)
				}
			}
		})
	}
}

func TestLogFormatErrors(t *testing.T) {
	_, _, err := run(t, nil, "", "migrate", "--log-format", "xml", "--db", "sqlite:"+filepath.Join(t.TempDir(), "r.db"))
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "want text or json") {
		t.Errorf("--log-format xml: %v", err)
	}
}

func TestHumanHandler(t *testing.T) {
	var b bytes.Buffer
	log := newLogger(&b, "debug", "text").With("poller", "realtime").WithGroup("round")
	log.Debug("done", "queues", 3, "note", "two words", "at", time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
		slog.Group("api", "throttled", 2), "took", 31275080*time.Nanosecond)
	got := b.String()
	want := `DEBUG done poller=realtime round.queues=3 round.note="two words" round.at=2026-11-25T08:00:00Z round.api.throttled=2 round.took=31ms` + "\n"
	if len(got) < 9 || got[9:] != want {
		t.Errorf("got  %q\nwant HH:MM:SS %q", got, want)
	}
}

// TestLogFormatDefaults: JSON for what machines read (Lambda, run), text
// for the other commands; the environment and --log-format override.
func TestLogFormatDefaults(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "d.yaml")
	if err := os.WriteFile(cfg, []byte("streams:\n  - {name: a, source: ctr}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "r.db")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		json bool
	}{
		{"migrate", nil, []string{"migrate", "--db", db}, false},
		{"migrate LOG_FORMAT=json", map[string]string{"LOG_FORMAT": "json"}, []string{"migrate", "--db", db}, true},
		{"run", map[string]string{"DB_DSN": db}, []string{"run", "--check", "--config", cfg}, true},
		{"run --log-format text", map[string]string{"DB_DSN": db}, []string{"run", "--check", "--config", cfg, "--log-format", "text"}, false},
		{"lambda", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMain()
			m.Stdout, m.Stderr = io.Discard, io.Discard
			m.Getenv = func(k string) string { return tc.env[k] }
			m.lambda = func(context.Context, *Main) error { return nil } // the runtime itself is TestLambdaBootstrap's
			if err := m.Run(context.Background(), tc.args); err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			_, isJSON := m.Logger.Handler().(*slog.JSONHandler)
			if isJSON != tc.json {
				t.Errorf("handler %T, want JSON %v", m.Logger.Handler(), tc.json)
			}
		})
	}
}
