package sqlstore

import (
	"os"
	"testing"

	"github.com/connect-reporting/connect-reporting/internal/mssqltest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore/storetest"
)

// The conformance suite, once per dialect: the same cases, the same
// expected rows. SQL Server's runs when MSSQL_DSN is set.

func TestConformanceSQLite(t *testing.T)   { storetest.Run(t, harness(DialectSQLite)) }
func TestConformancePostgres(t *testing.T) { storetest.Run(t, harness(DialectPostgres)) }

func TestConformanceSQLServer(t *testing.T) {
	if os.Getenv(mssqltest.Env) == "" {
		t.Skip("the SQL Server conformance suite runs when MSSQL_DSN is set")
	}
	storetest.Run(t, harness(DialectSQLServer))
}

// harness opens fresh stores of dialect for the suite.
func harness(dialect string) storetest.Harness {
	return storetest.Harness{
		Open: func(t testing.TB, o storetest.Options) storetest.Store {
			return openIngestStore(t, dialect, Options{StoreHeartbeats: o.StoreHeartbeats})
		},
		Quote: dialects[dialect].quoteIdent,
	}
}
