// Package pgtest gives tests a real PostgreSQL database on loopback.
//
// With TEST_PG_DSN set (a URL of a server where the user may CREATE
// DATABASE, as .ci/run exports), every DSN call creates a fresh database
// there. Without it, the first call starts a throwaway server of the
// PostgreSQL installed on the machine (initdb and pg_ctl from PATH or
// /usr/lib/postgresql/*/bin), as an unprivileged user when running as root,
// and Main stops it when the tests end. Where PostgreSQL is not installed the
// tests skip with a message that says how to enable them, except under CI
// (CI=true), where a skip would hide a missing install and is a failure.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// EnvDSN names the environment variable holding an admin DSN of a running server.
const EnvDSN = "TEST_PG_DSN"

var (
	once    sync.Once
	admin   string // admin URL (without database) of the server in use
	setup   error  // why no server is available
	skip    bool   // setup failed because PostgreSQL is not installed
	started *server
)

type server struct {
	dir    string
	pgCtl  string
	runAs  string
	stopMu sync.Mutex
}

// Main runs the tests of a package and stops the server pgtest started, if
// any. Use it from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m interface{ Run() int }) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the server this process started (a no-op otherwise).
func Stop() {
	if started != nil {
		started.stop()
		started = nil
	}
}

// DSN returns the URL of a new, empty database, dropped when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	u := AdminURL(t)
	name := "t_" + randHex(8)
	db, err := sql.Open("pgx", u+"/postgres")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", u+"/postgres")
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return u + "/" + name
}

// AdminURL returns the URL (no database path) of the server tests use,
// starting one if needed, or skips the test.
func AdminURL(t testing.TB) string {
	t.Helper()
	once.Do(func() { admin, skip, setup = findServer() })
	if setup != nil {
		if skip && os.Getenv("CI") == "" {
			t.Skipf("pgtest: %v (install PostgreSQL, e.g. apt-get install -y postgresql, or set %s=postgres://user@127.0.0.1:5432)", setup, EnvDSN)
		}
		t.Fatalf("pgtest: %v", setup)
	}
	return admin
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func findServer() (adminURL string, notInstalled bool, err error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", false, fmt.Errorf("%s: %w", EnvDSN, err)
		}
		u.Path, u.RawQuery = "", ""
		return u.String(), false, nil
	}
	bin, err := findBin()
	if err != nil {
		return "", true, err
	}
	s, u, err := startServer(bin)
	if err != nil {
		return "", false, err
	}
	started = s
	return u, false, nil
}

func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL is not installed (no initdb in PATH or /usr/lib/postgresql/*/bin)")
}

func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs initdb and pg_ctl start in a temporary directory.
// PostgreSQL refuses to run as root, so under root it runs as the
// "postgres" user when it exists, else "nobody".
func startServer(bin string) (*server, string, error) {
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, "", err
	}
	s := &server{dir: dir, pgCtl: filepath.Join(bin, "pg_ctl")}
	if os.Geteuid() == 0 {
		name := "postgres"
		u, err := user.Lookup(name)
		if err != nil {
			name = "nobody"
			if u, err = user.Lookup(name); err != nil {
				return nil, "", fmt.Errorf("running as root and no unprivileged user to run PostgreSQL as: %w", err)
			}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, "", err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, "", err
		}
		s.runAs = name
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "-N"); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("initdb: %w: %s", err, out)
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
		out, err := s.run(s.pgCtl, "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
		if err == nil {
			return s, fmt.Sprintf("postgres://postgres@127.0.0.1:%d", port), nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		lastErr = fmt.Errorf("pg_ctl start: %w: %s %s", err, out, log)
	}
	os.RemoveAll(dir)
	return nil, "", lastErr
}

func (s *server) run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", s.runAs, "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

func (s *server) stop() {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	_, _ = s.run(s.pgCtl, "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.dir)
}

// Available reports whether a PostgreSQL server can be had, without failing
// or skipping a test (benchmarks use it to choose their sub-benchmarks).
func Available() bool {
	once.Do(func() { admin, skip, setup = findServer() })
	return setup == nil
}

// SplitHostPort returns the host:port of a DSN from DSN or AdminURL.
func SplitHostPort(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return u.Host
}

// WithHost returns dsn with its host:port replaced (to route it through a proxy).
func WithHost(dsn, hostport string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Host = hostport
	return u.String()
}
