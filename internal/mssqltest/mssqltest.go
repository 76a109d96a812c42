// Package mssqltest gives integration tests a fresh SQL Server database
// when MSSQL_DSN names a server (a sqlserver:// URL of a login that may
// CREATE DATABASE), as pgtest does for PostgreSQL. Without MSSQL_DSN the
// SQL Server variants of the tests are not run: no SQL Server runs on the
// CI machines. The test binary must register the "sqlserver" driver
// (importing sqlstore does).
package mssqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
)

// Env is the variable naming the SQL Server.
const Env = "MSSQL_DSN"

// Dialects returns the given dialects, with "sqlserver" added when
// MSSQL_DSN is set.
func Dialects(ds ...string) []string {
	if os.Getenv(Env) != "" {
		ds = append(ds, "sqlserver")
	}
	return ds
}

// DSN creates a fresh database on the server of MSSQL_DSN, dropped when the
// test ends, and returns its DSN. Without MSSQL_DSN the test skips.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skip("SQL Server integration tests run when MSSQL_DSN=sqlserver://user:pass@host:1433 is set")
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "sqlserver" {
		t.Fatalf("MSSQL_DSN must be a sqlserver:// URL: %v", err)
	}
	db, err := sql.Open("sqlserver", base)
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
		db, err := sql.Open("sqlserver", base)
		if err != nil {
			return
		}
		defer db.Close()
		// SINGLE_USER ends the pool's sessions still in it; Azure SQL
		// Database has no SINGLE_USER, so it may fail there: drop anyway.
		_, _ = db.Exec("ALTER DATABASE " + name + " SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
		if _, err := db.Exec("DROP DATABASE " + name); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	q := u.Query()
	q.Set("database", name)
	u.RawQuery = q.Encode()
	return u.String()
}
