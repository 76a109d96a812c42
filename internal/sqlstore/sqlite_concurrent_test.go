package sqlstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const childDSNEnv = "SQLSTORE_TEST_CHILD_DSN"

// TestConcurrentSQLiteStart opens and migrates one new SQLite file from
// several starters at once, 20 times: every one must open, migrate and
// write without error, as two `migrate` runs or two daemons starting
// together do. The starters are stores of their own (each its *sql.DB) in
// this process, and in a few trials processes (this test binary,
// re-executed), since the lock is between processes.
func TestConcurrentSQLiteStart(t *testing.T) {
	inProcess := func(dsn string) error {
		s, err := Open(context.Background(), dsn, Options{})
		if err != nil {
			return err
		}
		defer s.Close()
		return startWrite(s)
	}
	subprocess := func(dsn string) error {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentSQLiteStartChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childDSNEnv+"="+dsn)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "child ok") {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	for _, tc := range []struct {
		name           string
		trials, starts int
		start          func(dsn string) error
	}{
		{"goroutines", 20, 4, inProcess},
		{"processes", 3, 3, subprocess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for trial := range tc.trials {
				dsn := "sqlite:" + filepath.Join(t.TempDir(), fmt.Sprintf("new-%d.db", trial))
				errs := make([]error, tc.starts)
				var wg sync.WaitGroup
				for i := range tc.starts {
					wg.Add(1)
					go func() { defer wg.Done(); errs[i] = tc.start(dsn) }()
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Errorf("trial %d, starter %d: %v", trial, i, err)
					}
				}
				checkStarts(t, dsn, tc.starts)
			}
		})
	}
}

// startWrite migrates s again (a no-op) and writes one checkpoint, as a
// starting daemon does.
func startWrite(s *Store) error {
	ctx := context.Background()
	if _, err := s.Migrate(ctx); err != nil {
		return err
	}
	// Process id and store: heap addresses repeat across processes.
	return s.SetCheckpoint(ctx, "start", fmt.Sprintf("%d-%p", os.Getpid(), s), time.Now())
}

func checkStarts(t *testing.T, dsn string, want int) {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM poll_checkpoint").Scan(&n); err != nil || n != want {
		t.Errorf("%d checkpoints (%v), want %d", n, err, want)
	}
}

// TestConcurrentSQLiteStartChild is one process of
// TestConcurrentSQLiteStart: open (migrating) and write once.
func TestConcurrentSQLiteStartChild(t *testing.T) {
	dsn := os.Getenv(childDSNEnv)
	if dsn == "" {
		t.Skip("run by TestConcurrentSQLiteStart")
	}
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := startWrite(s); err != nil {
		t.Fatal(err)
	}
	fmt.Println("child ok")
}

// TestSQLiteStartLockWaits: a second holder waits for the first, gives up
// when its context ends, and gets the lock once the first lets go.
func TestSQLiteStartLockWaits(t *testing.T) {
	conn := "file:" + filepath.Join(t.TempDir(), "l.db") + "?_txlock=immediate"
	first, second := newSQLiteStartLock(conn), newSQLiteStartLock(conn)
	ctx := context.Background()
	if err := first.Lock(ctx, nil); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := second.Lock(short, nil); err == nil {
		t.Fatal("second holder got the lock while the first held it")
	}
	if err := first.Unlock(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := second.Lock(ctx, nil); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	if err := second.Unlock(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if l := newSQLiteStartLock("file::memory:?_txlock=immediate"); l.path != "" {
		t.Errorf("in-memory database has lock file %q", l.path)
	}
}
