package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connect-reporting/connect-reporting/internal/mssqltest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// run runs the whole program with args and env, returning stdout, stderr and the error.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := NewMain()
	m.Stdin = strings.NewReader(stdin)
	m.Stdout, m.Stderr = &out, &errb
	m.Getenv = func(k string) string { return env[k] }
	err := m.Run(context.Background(), args)
	if cerr := m.Close(); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	return out.String(), errb.String(), err
}

func dsns(t *testing.T) map[string]string {
	out := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "r.db")}
	if pgtest.Available() || os.Getenv("CI") != "" {
		out["postgres"] = pgtest.DSN(t)
	}
	if os.Getenv(mssqltest.Env) != "" {
		out["sqlserver"] = mssqltest.DSN(t)
	}
	return out
}

func TestMigrateTwiceIsANoop(t *testing.T) {
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			out, _, err := run(t, nil, "", "migrate", "--db", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "applied 00001_core.sql") || !strings.Contains(out, "migrated to version 24") {
				t.Errorf("first migrate said %q", out)
			}
			out, _, err = run(t, nil, "", "migrate", "--db", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out, "applied") || !strings.Contains(out, "current at version 24") {
				t.Errorf("second migrate said %q", out)
			}
		})
	}
}

func TestMigrateErrors(t *testing.T) {
	_, _, err := run(t, nil, "", "migrate")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "DB_DSN") {
		t.Errorf("no db: %v (exit %d)", err, exitCode(err))
	}
	_, _, err = run(t, map[string]string{"STORAGE": "pgsql"}, "", "migrate", "--db", "Host=127.0.0.1;Port=1;Database=x;Username=u;Password=hunter2;Timeout=1")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unreachable server: %v", err)
	}
}

func gz(t *testing.T, s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	p := filepath.Join(t.TempDir(), "x.json.gz")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fixture(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	if err := compactJSON(&c, b); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c.String()
}

// TestIngestFiles loads agent events and contact records from JSON lines,
// Firehose-style concatenated JSON, gzip and stdin, with a malformed record
// and duplicates, and checks the counts printed and the rows stored.
func TestIngestFiles(t *testing.T) {
	login := fixture(t, "../../internal/agentevents/testdata/login.json")
	change := fixture(t, "../../internal/agentevents/testdata/state_change_status.json")
	voice := fixture(t, "../../internal/ctr/testdata/voice_inbound.json")
	chat := fixture(t, "../../internal/ctr/testdata/chat.json")
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			lines := filepath.Join(dir, "events.jsonl")
			os.WriteFile(lines, []byte(login+"\n{not json\n"+change+"\n"), 0o644)
			out, _, err := run(t, nil, "", "ingest", "agent-events", lines, "--db", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "stored 2, updated 0, duplicate 0, heartbeat 0, rejected 1") {
				t.Errorf("jsonl: %q", out)
			}
			// Firehose concatenation, gzipped, and stdin: all duplicates now.
			out, _, err = run(t, nil, change+login, "ingest", "agent-events", "--db", dsn, gz(t, login+change), "-")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "total: stored 0, updated 0, duplicate 4, heartbeat 0, rejected 0") {
				t.Errorf("replay: %q", out)
			}
			// CTRs, with an agent event on the CTR stream (stored where it belongs).
			out, _, err = run(t, nil, voice+chat+voice+login, "ingest", "ctr", "--db", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "-: stored 2, updated 0, duplicate 2, heartbeat 0, rejected 0") {
				t.Errorf("ctr: %q", out)
			}
			db, err := sql.Open(driverOf(dsn), connOf(t, dsn))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for q, want := range map[string]int{
				"SELECT COUNT(*) FROM agent_event":     2,
				"SELECT COUNT(*) FROM contact_record":  2,
				"SELECT COUNT(*) FROM rejected_record": 1,
				"SELECT COUNT(*) FROM agent_state":     1,
			} {
				var n int
				if err := db.QueryRow(q).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != want {
					t.Errorf("%s = %d, want %d", q, n, want)
				}
			}
		})
	}
}

func TestIngestUsage(t *testing.T) {
	_, _, err := run(t, nil, "", "ingest", "queues", "--db", "sqlite:x.db")
	if err == nil || exitCode(err) != 2 {
		t.Errorf("bad kind: %v", err)
	}
	_, _, err = run(t, nil, "", "ingest", "ctr", filepath.Join(t.TempDir(), "missing.json"), "--db", "sqlite:"+filepath.Join(t.TempDir(), "r.db"))
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// TestIngestNULCharacter: a contact record whose attribute holds U+0000
// (which PostgreSQL cannot store) is stored, with U+FFFD in its place,
// instead of failing its batch on every retry.
func TestIngestNULCharacter(t *testing.T) {
	voice := fixture(t, "../../internal/ctr/testdata/voice_inbound.json")
	rec := strings.Replace(voice, `"Attributes":{`, `"Attributes":{"note":"a\u0000b",`, 1)
	if rec == voice {
		t.Fatal("fixture has no Attributes object")
	}
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			out, _, err := run(t, nil, rec, "ingest", "ctr", "--db", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "stored 1, updated 0, duplicate 0, heartbeat 0, rejected 0") {
				t.Errorf("ingest said %q", out)
			}
			db, err := sql.Open(driverOf(dsn), connOf(t, dsn))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var v string
			if err := db.QueryRow("SELECT value FROM contact_attribute WHERE name = 'note'").Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != "a\uFFFDb" {
				t.Errorf("note = %q", v)
			}
		})
	}
}
