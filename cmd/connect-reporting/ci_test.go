package main

import (
	"bytes"
	"database/sql"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ciPostgres runs .ci/postgres (the script .ci/run starts its PostgreSQL
// with) with PGPORT set to port ("" for unset).
func ciPostgres(t *testing.T, port string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"../../.ci/postgres"}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PGPORT=") })
	if port != "" {
		cmd.Env = append(cmd.Env, "PGPORT="+port)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return strings.TrimSpace(out.String()), errb.String(), err
}

func haveInitdb() bool {
	if _, err := exec.LookPath("initdb"); err == nil {
		return true
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	return len(m) > 0
}

// TestCIPostgresPortTaken: with 55432 (CI's first choice) taken by another
// listener, .ci/postgres starts PostgreSQL on another free port; with
// PGPORT=55432 it fails, printing the server's log; stop always leaves
// nothing behind.
func TestCIPostgresPortTaken(t *testing.T) {
	if !haveInitdb() {
		if os.Getenv("CI") != "" {
			t.Fatal("initdb is not installed (apt-get install -y postgresql)")
		}
		t.Skip("initdb is not installed (apt-get install -y postgresql)")
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:55432"); err == nil {
		defer ln.Close()
	} // else something holds it already: taken either way

	for _, tc := range []struct {
		name, pgport string
		ok           bool
	}{
		{"free port", "", true},
		{"PGPORT taken", "55432", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := os.MkdirTemp("", "ci-pg-test.")
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if _, serr, err := ciPostgres(t, "", "stop", dir); err != nil {
					t.Errorf("stop: %v\n%s", err, serr)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("stop left %s behind (%v)", dir, err)
				}
			}()
			dsn, serr, err := ciPostgres(t, tc.pgport, "start", dir)
			if !tc.ok {
				if err == nil {
					t.Fatalf("start on a taken PGPORT succeeded: %s", dsn)
				}
				if !strings.Contains(serr, "its log ("+dir+"/log)") || !strings.Contains(serr, "55432") {
					t.Errorf("the failure does not show the server's log:\n%s", serr)
				}
				return
			}
			if err != nil {
				t.Fatalf("start: %v\n%s", err, serr)
			}
			if !strings.HasPrefix(dsn, "postgres://postgres@127.0.0.1:") || strings.HasSuffix(dsn, ":55432") {
				t.Fatalf("start printed %q, want a URL on a port other than 55432", dsn)
			}
			db, err := sql.Open(driverOf(dsn), connOf(t, dsn))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var v string
			if err := db.QueryRow("SHOW fsync").Scan(&v); err != nil || v != "off" {
				t.Errorf("SHOW fsync = %q, %v; want the CI server's settings (off)", v, err)
			}
		})
	}
}
