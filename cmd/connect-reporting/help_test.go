package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp: every command's --help (and -h, and `help CMD`) prints its usage
// on stdout, nothing on stderr, and succeeds.
func TestHelp(t *testing.T) {
	cases := []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"--help"}, []string{"Usage: connect-reporting <command>", "poll       one poller run: realtime | historical | config"}},
		{[]string{"-h"}, []string{"Usage: connect-reporting <command>"}},
		{[]string{"help"}, []string{"Usage: connect-reporting <command>"}},
		{[]string{"help", "demo"}, []string{"Usage: connect-reporting demo"}},
		{[]string{"demo", "--help"}, []string{"Usage: connect-reporting demo", "(default: 08:00 today in --time-zone"}},
		{[]string{"run", "--help"}, []string{"Usage: connect-reporting run --config FILE", "-check"}},
		{[]string{"migrate", "--help"}, []string{"Usage: connect-reporting migrate --db DSN"}},
		{[]string{"maintain", "--help"}, []string{"Usage: connect-reporting maintain --db DSN [--raw-days N] [--keep-days N]", "-keep-days"}},
		{[]string{"ingest", "--help"}, []string{"Usage: connect-reporting ingest agent-events|ctr", "-heartbeats"}},
		{[]string{"ingest", "ctr", "-h"}, []string{"Usage: connect-reporting ingest"}},
		{[]string{"poll", "--help"}, []string{"Usage: connect-reporting poll realtime|historical|config", "historical "}},
		{[]string{"poll", "realtime", "--help"}, []string{"Usage: connect-reporting poll realtime", "-duration"}},
		{[]string{"poll", "historical", "--help"}, []string{"Usage: connect-reporting poll historical", "-from"}},
		{[]string{"poll", "config", "--help"}, []string{"Usage: connect-reporting poll config", "-instance"}},
		{[]string{"serve", "--help"}, []string{"Usage: connect-reporting serve", "-refresh"}},
		{[]string{"simulate", "--help"}, []string{"Usage: connect-reporting simulate", "(default: now, to the second)"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := run(t, nil, "", tc.args...)
			if err != nil {
				t.Fatalf("exit %d: %v", exitCode(err), err)
			}
			if errOut != "" {
				t.Errorf("stderr: %q", errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
	// Every command of the table has a --help case above.
	for _, c := range NewMain().commands {
		found := false
		for _, tc := range cases {
			found = found || tc.args[0] == c.name
		}
		if !found {
			t.Errorf("command %s has no --help case", c.name)
		}
	}
}

// TestCommandLineErrors: newcomers' mistakes get exit code 2 and a message
// that says what to do.
func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		errHas string // in the error
		stderr string // in stderr
	}{
		{"no command", nil, 2, "", "Usage: connect-reporting <command>"},
		{"unknown command", []string{"dmeo"}, 2, `unknown command "dmeo"`, "Commands:"},
		{"unknown flag", []string{"serve", "--port", "8080"}, 2, "serve: flag provided but not defined: -port (see 'connect-reporting serve --help')", ""},
		{"ingest without kind", []string{"ingest"}, 2, "ingest: say agent-events or ctr", ""},
		{"ingest bad kind", []string{"ingest", "queues", "--db", "sqlite:x.db"}, 2, `"queues" is not agent-events or ctr`, ""},
		{"poll without poller", []string{"poll"}, 2, "name a poller: realtime, historical, config", "Pollers:"},
		{"poll unknown poller", []string{"poll", "queues"}, 2, `unknown poller "queues"`, ""},
		{"poll without instance", []string{"poll", "realtime", "--db", "sqlite:x.db"}, 2, "give --instance ID or set INSTANCE_ID", ""},
		{"run without config", []string{"run"}, 2, "run: give --config FILE", ""},
		{"migrate without db", []string{"migrate"}, 2, "give --db DSN or set DB_DSN", ""},
		{"demo extra argument", []string{"demo", "now"}, 2, `demo: unexpected arguments ["now"]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := run(t, nil, "", tc.args...)
			if err == nil || exitCode(err) != tc.code {
				t.Fatalf("err %v, exit %d; want exit %d", err, exitCode(err), tc.code)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q lacks %q", err, tc.errHas)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut)
			}
		})
	}
}

// TestIngestChecksFilesFirst: a missing file fails before the database is
// created (exit 1, nothing stored, nothing printed on stdout), and reading
// standard input is said on stderr.
func TestIngestChecksFilesFirst(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	out, _, err := run(t, nil, "", "ingest", "ctr", filepath.Join(dir, "missing.jsonl"), dir, "--db", db)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "missing.jsonl: no such file") ||
		!strings.Contains(err.Error(), dir+" is a directory") {
		t.Errorf("missing file: %v (exit %d)", err, exitCode(err))
	}
	if out != "" {
		t.Errorf("stdout: %q", out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the database was created: %v", err)
	}
	out, errOut, err := run(t, nil, "", "ingest", "ctr", "--db", db)
	if err != nil || !strings.Contains(errOut, "ingest: reading ctr from standard input") || !strings.Contains(out, "-: stored 0") {
		t.Errorf("stdin: %v\nstdout %q\nstderr %q", err, out, errOut)
	}
}

// TestPollAWSHints: `poll` without a region or without credentials fails
// before opening the database, naming AWS_REGION, the credentials'
// variables and AWS_ENDPOINT_URL_CONNECT for the simulator.
func TestPollAWSHints(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_SESSION_TOKEN": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ENDPOINT_URL_CONNECT": "",
	} {
		t.Setenv(k, v)
	}
	for _, tc := range []struct {
		name, instance, region, want string
	}{
		{"no region", "0a1b2c3d", "", "no AWS region"},
		{"no credentials", "0a1b2c3d", "eu-west-2", "no AWS credentials"},
		{"region from the instance ARN, no credentials", "arn:aws:connect:eu-west-2:123456789012:instance/0a1b2c3d", "", "no AWS credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tc.region)
			db := filepath.Join(t.TempDir(), "r.db")
			_, _, err := run(t, nil, "", "poll", "realtime", "--instance", tc.instance, "--db", db)
			if err == nil {
				t.Fatal("poll succeeded")
			}
			for _, w := range []string{tc.want, "AWS_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL_CONNECT"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Errorf("the database was created: %v", err)
			}
		})
	}
}

// TestDemoPortTaken: with the dashboard's port in use the demo fails before
// it stores anything, and suggests --addr.
func TestDemoPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	db := filepath.Join(t.TempDir(), "demo.db")
	_, _, err = run(t, nil, "", "demo", "--db", "sqlite:"+db, "--addr", ln.Addr().String(), "--duration", "2s", "--quiet")
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()+" is in use") || !strings.Contains(err.Error(), "--addr 127.0.0.1:8081") {
		t.Errorf("demo on a taken port: %v", err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the demo created its database: %v", err)
	}
}

// TestDemoResumeAndFresh: a demo on the database of an earlier run says it
// resumes it and offers --fresh; --fresh deletes it first.
func TestDemoResumeAndFresh(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if _, _, err := run(t, nil, "", "migrate", "--db", "sqlite:"+db); err != nil {
		t.Fatal(err)
	}
	args := []string{"demo", "--db", "sqlite:" + db, "--addr", "", "--duration", "1s", "--quiet", "--speed", "60", "--agents", "3", "--queues", "1"}
	out, _, err := run(t, nil, "", args...)
	if err != nil || !strings.Contains(out, "demo: resuming "+db+" from an earlier run") || !strings.Contains(out, "--fresh starts with an empty database") {
		t.Errorf("resume: %v\n%s", err, out)
	}
	out, _, err = run(t, nil, "", append(args, "--fresh")...)
	if err != nil || !strings.Contains(out, "demo: deleted "+db+"; starting with an empty database") || strings.Contains(out, "resuming") {
		t.Errorf("--fresh: %v\n%s", err, out)
	}
	_, _, err = run(t, nil, "", "demo", "--db", "postgres://u@127.0.0.1:1/x", "--fresh", "--addr", "")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--fresh deletes a SQLite file") {
		t.Errorf("--fresh on PostgreSQL: %v", err)
	}
}

// TestPollIMDSFallbackIsDebug: the AWS SDK's own "falling back to IMDSv1"
// warning (an instance metadata service that refuses tokens) is not shown
// at the default level; at debug it comes through slog.
func TestPollIMDSFallbackIsDebug(t *testing.T) {
	imds := httptest.NewServer(http.NotFoundHandler())
	defer imds.Close()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL, "AWS_REGION": "us-east-1", "AWS_PROFILE": "",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	for _, level := range []string{"", "debug"} {
		db := filepath.Join(t.TempDir(), "r.db")
		_, errOut, err := run(t, map[string]string{"LOG_LEVEL": level}, "", "poll", "realtime", "--instance", "i", "--db", db)
		if err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
			t.Fatalf("LOG_LEVEL=%q: %v", level, err)
		}
		shown := strings.Contains(errOut, "DEBUG falling back to IMDSv1")
		if shown != (level == "debug") || (level == "" && strings.Contains(errOut, "IMDSv1")) {
			t.Errorf("LOG_LEVEL=%q: stderr %q", level, errOut)
		}
	}
}
