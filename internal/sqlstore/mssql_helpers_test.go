package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
)

// mssqlTestDSN creates a fresh database on the SQL Server of MSSQL_DSN (a
// sqlserver:// URL of a login that may CREATE DATABASE) and returns its DSN.
// Without MSSQL_DSN the test skips: no SQL Server runs on CI machines.
func mssqlTestDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("MSSQL_DSN")
	if base == "" {
		t.Skip("SQL Server integration tests run when MSSQL_DSN=sqlserver://user:pass@host:1433 is set")
	}
	d, err := ParseDSN(base, "")
	if err != nil {
		t.Fatalf("MSSQL_DSN: %v", err)
	}
	db, err := sql.Open("sqlserver", d.Conn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "cr_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database on MSSQL_DSN: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("sqlserver", d.Conn)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("ALTER DATABASE " + name + " SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE " + name)
	})
	u, _ := url.Parse(d.Conn)
	q := u.Query()
	q.Set("database", name)
	u.RawQuery = q.Encode()
	return u.String()
}
