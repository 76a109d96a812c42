package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	cases := []struct {
		name, dsn, storage string
		dialect, driver    string
		conn               string // exact driver connection string
	}{
		{"sqlite scheme", "sqlite:reports.db", "", DialectSQLite, "sqlite",
			"file:reports.db?_pragma=busy_timeout%2810000%29&_pragma=journal_mode%28WAL%29&_pragma=synchronous%28NORMAL%29&_pragma=foreign_keys%281%29&_txlock=immediate"},
		{"bare .db path", "/var/lib/cr/reports.db", "", DialectSQLite, "sqlite",
			"file:/var/lib/cr/reports.db?_pragma=busy_timeout%2810000%29&_pragma=journal_mode%28WAL%29&_pragma=synchronous%28NORMAL%29&_pragma=foreign_keys%281%29&_txlock=immediate"},
		{"sqlite keeps given pragma", "sqlite:x.sqlite?_pragma=busy_timeout(1)", "", DialectSQLite, "sqlite",
			"file:x.sqlite?_pragma=busy_timeout%281%29&_pragma=journal_mode%28WAL%29&_pragma=synchronous%28NORMAL%29&_pragma=foreign_keys%281%29&_txlock=immediate"},
		{"memory", ":memory:", "", DialectSQLite, "sqlite",
			"file::memory:?_pragma=busy_timeout%2810000%29&_pragma=synchronous%28NORMAL%29&_pragma=foreign_keys%281%29&_txlock=immediate"},
		{"postgres url", "postgres://u:p@db:5432/ac?sslmode=disable", "", DialectPostgres, "pgx", "postgres://u:p@db:5432/ac?sslmode=disable"},
		{"postgresql url, STORAGE ignored", "postgresql://u@db/ac", "", DialectPostgres, "pgx", "postgresql://u@db/ac"},
		{"sqlserver url", "sqlserver://sa:pw@db:1433?database=AmazonConnect", "pgsql", DialectSQLServer, "sqlserver", "sqlserver://sa:pw@db:1433?database=AmazonConnect"},
		{"ADO.NET, STORAGE unset", "Server=db.example,2383;Database=AmazonConnect;User Id=admin;Password=XXX;MultipleActiveResultSets=True", "",
			DialectSQLServer, "sqlserver", "sqlserver://admin:XXX@db.example:2383?database=AmazonConnect"},
		{"ADO.NET with instance and options", "Data Source=tcp:db\\SQL1;Initial Catalog=AC;UID=a;PWD=b;Encrypt=True;TrustServerCertificate=True;Connect Timeout=30", "sqlserver",
			DialectSQLServer, "sqlserver", "sqlserver://a:b@db/SQL1?TrustServerCertificate=true&connection+timeout=30&database=AC&encrypt=true"},
		{"Npgsql", "Host=pg.example;Port=5433;Database=AmazonConnect;Username=admin;Password=s3cret", "pgsql",
			DialectPostgres, "pgx", "postgres://admin:s3cret@pg.example:5433/AmazonConnect"},
		{"Npgsql without STORAGE is still PostgreSQL", "Host=pg;Database=ac;Username=u;Password=p;SSL Mode=Require;Pooling=true", "",
			DialectPostgres, "pgx", "postgres://u:p@pg/ac?sslmode=require"},
		{"Npgsql SSL Mode in libpq's spelling", "Host=pg;Database=ac;Username=u;Password=p;SSL Mode=VerifyFull", "",
			DialectPostgres, "pgx", "postgres://u:p@pg/ac?sslmode=verify-full"},
		{"ADO-style with STORAGE=postgresql", "Server=pg,5432;Database=ac;User Id=u;Password=\"p;w\"", "postgresql",
			DialectPostgres, "pgx", "postgres://u:p;w@pg:5432/ac"},
		{"ADO-style with STORAGE=postgres, password with specials", "Server=pg;Database=ac;User Id=u;Password=a@b/c", "postgres",
			DialectPostgres, "pgx", "postgres://u:a%40b%2Fc@pg/ac"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDSN(tc.dsn, tc.storage)
			if err != nil {
				t.Fatalf("ParseDSN: %v", err)
			}
			if d.Dialect != tc.dialect || d.Driver != tc.driver {
				t.Errorf("dialect/driver = %s/%s, want %s/%s", d.Dialect, d.Driver, tc.dialect, tc.driver)
			}
			if d.Conn != tc.conn {
				t.Errorf("conn\n got %s\nwant %s", d.Conn, tc.conn)
			}
			for _, secret := range []string{"XXX", "s3cret", ":pw@", ":b@", "p;w", "a%40b"} {
				if strings.Contains(d.Conn, secret) && strings.Contains(d.Redacted, secret) {
					t.Errorf("Redacted %q shows the password", d.Redacted)
				}
			}
		})
	}
	// A ';' inside an unquoted Npgsql password ends the value: documented behaviour of keyword strings.
	d, err := ParseDSN("Host=pg.example;Port=5433;Database=AmazonConnect;Username=admin;Password=s3cr;et", "pgsql")
	if err == nil {
		t.Fatalf("unquoted ';' in a password should leave an invalid keyword, got %s", d.Redacted)
	}
}

func TestParseDSNErrors(t *testing.T) {
	cases := []struct {
		name, dsn, storage string
		want               string // substring of the error
	}{
		{"empty", "  ", "", "empty"},
		{"unknown scheme", "mysql://u:hunter2@h/db", "", `unknown scheme "mysql"`},
		{"not a dsn", "just-some-words", "", "cannot tell the database"},
		{"bad STORAGE", "Server=h;Password=hunter2", "oracle", `STORAGE="oracle"`},
		{"no server", "Database=x;User Id=u;Password=hunter2", "", "no Server="},
		{"bad port", "Server=h,99999;User Id=u;Password=hunter2", "", `port "99999"`},
		{"pg bad port", "Host=h;Port=abc;Password=hunter2", "", `port "abc"`},
		{"bad Port=", "Server=h;Port=x1;User Id=u;Password=hunter2", "", `sqlserver: port "x1"`},
		{"pg unknown keyword", "Host=h;Flavour=x;Password=hunter2", "pgsql", `unsupported keyword "flavour"`},
		{"pg SSL Mode libpq does not have", "Host=h;SSL Mode=Sometimes;Password=hunter2", "", "sslmode"},
		{"not key=value", "Server=h;hunter2", "", "part 2 is not Key=Value"},
		{"password before garbage", "Password=hunter2;garbage", "", "is not Key=Value"},
		{"integrated security", "Server=h;Integrated Security=SSPI;Password=hunter2", "", "Integrated Security"},
		{"postgres url without host", "postgres://u:hunter2@/db", "", "no host"},
		{"sqlserver url without host", "sqlserver://u:hunter2@", "", "no host"},
		{"bad url escape", "postgres://u:hunter2@h/db%zz", "", "postgres:"},
		{"sqlite without path", "sqlite:", "", "needs a path"},
		{"STORAGE=sqlite without path", "Foo=bar;Password=hunter2", "sqlite", "Data Source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDSN(tc.dsn, tc.storage)
			if err == nil {
				t.Fatal("ParseDSN succeeded")
			}
			if !errors.Is(err, ErrDSN) {
				t.Errorf("error %v is not ErrDSN", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// TestRedactedHidesQueryPasswords: a password given as a URL query
// parameter (pgx and go-mssqldb accept it) is hidden like one in the user
// info, so errors that name the database never show it.
func TestRedactedHidesQueryPasswords(t *testing.T) {
	for _, dsn := range []string{
		"postgres://app@db:5432/x?password=hunter2&sslmode=disable",
		"sqlserver://sa@db:1433?database=ac&Password=hunter2",
		"postgres://app:hunter2@db/x",
	} {
		d, err := ParseDSN(dsn, "")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(d.Redacted, "hunter2") || !strings.Contains(d.Conn, "hunter2") {
			t.Errorf("%s: redacted %q", dsn, d.Redacted)
		}
	}
	_, err := Open(context.Background(), "postgres://app@127.0.0.1:1/x?password=hunter2&connect_timeout=1", Options{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("open error %v", err)
	}
}

func TestStorageDialect(t *testing.T) {
	for in, want := range map[string]string{"": DialectSQLServer, "sqlserver": DialectSQLServer, "pgsql": DialectPostgres,
		"postgresql": DialectPostgres, "POSTGRES": DialectPostgres, "sqlite": DialectSQLite} {
		if got, err := StorageDialect(in); err != nil || got != want {
			t.Errorf("StorageDialect(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
