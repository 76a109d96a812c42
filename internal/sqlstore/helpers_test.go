package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/mssqltest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// ingestDialects lists the dialects the integration tests run on; SQL
// Server joins when MSSQL_DSN is set.
func ingestDialects(t testing.TB) []string {
	return mssqltest.Dialects(DialectSQLite, DialectPostgres)
}

// testDSN returns the DSN of a fresh, empty database of dialect.
func testDSN(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case DialectSQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	case DialectPostgres:
		return pgtest.DSN(t)
	case DialectSQLServer:
		return mssqltest.DSN(t)
	}
	t.Fatalf("unknown dialect %q", dialect)
	return ""
}

// openIngestStore opens a fresh, migrated store of dialect.
func openIngestStore(t testing.TB, dialect string, opts Options) *Store {
	t.Helper()
	return openStoreDSN(t, testDSN(t, dialect), opts)
}

// openIngestStorePG opens a fresh PostgreSQL store and returns its DSN.
func openIngestStorePG(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	dsn := pgtest.DSN(t)
	return openStoreDSN(t, dsn, opts), dsn
}

func openStoreDSN(t testing.TB, dsn string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The records and table dumps of the conformance suite, for the tests of
// this package.
var (
	t0            = storetest.T0
	at            = storetest.At
	agentEvent    = storetest.AgentEvent
	contactRecord = storetest.ContactRecord
	rejected      = storetest.Rejected
	dumpTables    = storetest.DumpTables
	diffDumps     = storetest.DiffDumps
)

func f64(v float64) *float64 { return &v }

func wantRows(t *testing.T, s *Store, query string, want ...string) {
	t.Helper()
	storetest.WantRows(t, s.DB(), query, want...)
}

// storeConcurrently stores each writer's batches, in order, through a
// Store of its own on dsn, all writers at once, and fails t on the first
// batch that fails.
func storeConcurrently(t *testing.T, dsn string, opts Options, writers ...[]connectreporting.Batch) {
	t.Helper()
	stores := make([]*Store, len(writers))
	for i := range writers {
		stores[i] = openStoreDSN(t, dsn, opts)
	}
	errs := make(chan error, len(writers))
	for i, bs := range writers {
		go func() {
			for _, b := range bs {
				if _, err := stores[i].StoreBatch(context.Background(), b); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// eventBatches cuts evs into batches of n events, in order.
func eventBatches(evs []connectreporting.AgentEvent, n int) []connectreporting.Batch {
	var out []connectreporting.Batch
	for i := 0; i < len(evs); i += n {
		out = append(out, connectreporting.Batch{AgentEvents: evs[i:min(i+n, len(evs))]})
	}
	return out
}
