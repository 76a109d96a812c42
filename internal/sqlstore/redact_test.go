package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestRedact: one redaction serves every form a connection string comes
// in, valid or not, and hides the password while keeping what helps.
func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://app:hunter2-secret@db:5432/x", "postgres://app:xxxxx@db:5432/x"},
		{"postgres://app@db/x?sslmode=disable&password=hunter2-secret", "postgres://app@db/x?sslmode=disable&password=xxxxx"},
		{"sqlserver://sa:hunter2-secret@db:1433?database=ac", "sqlserver://sa:xxxxx@db:1433?database=ac"},
		{"reporter:hunter2-secret@db:5432/connect", "reporter:xxxxx@db:5432/connect"},
		{"postgres//reporter:hunter2-secret@db/connect", "postgres//reporter:xxxxx@db/connect"},
		{"postgres:/reporter:hunter2-secret@db/connect", "postgres:xxxxx@db/connect"},
		{"postgres://u:hunter2@secret/x@db/x", "postgres://u:xxxxx@db/x"},
		{"u:hunter2//secret@db", "u:xxxxx@db"},
		{"Server=db,1433;Database=AC;User Id=sa;Password=hunter2-secret;MultipleActiveResultSets=True",
			"Server=db,1433;Database=AC;User Id=sa;Password=xxxxx;MultipleActiveResultSets=True"},
		{"Server=db;User Id=sa;Pasword=hunter2-secret", "Server=db;User Id=sa;Pasword=xxxxx"},
		{`Host=pg;Username=u;Password="hunter2;secret";Flavour=x`, "Host=pg;Username=u;Password=xxxxx;Flavour=xxxxx"},
		{"Host=pg;Username=u;Password=hunter2;secret", "Host=pg;Username=u;Password=xxxxx;xxxxx"},
		{"sqlite:reports.db", "sqlite:reports.db"},
		{"user@db:5432/x", "user@db:5432/x"},
	}
	for _, tc := range cases {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// TestParseDSNNeverEchoesPasswords: every form of bad string, with a known
// password, is refused without showing it; unknown keywords are named.
func TestParseDSNNeverEchoesPasswords(t *testing.T) {
	cases := []struct {
		name, dsn, storage, want string
	}{
		{"scheme-less", "reporter:hunter2-secret@db:5432/connect", "", "cannot tell the database"},
		{"typo in scheme", "postgres//reporter:hunter2-secret@db/connect", "", "cannot tell the database"},
		{"typo with colon", "postgres:/reporter:hunter2-secret@db/connect", "", "cannot tell the database"},
		{"ADO mistyped key", "Server=db;Database=AC;User Id=sa;Pasword=hunter2-secret", "", `unsupported keyword "pasword"`},
		{"ADO unknown key", "Server=db;Flavour=x;User Id=sa;Password=hunter2-secret", "", `unsupported keyword "flavour"`},
		{"ADO password tail after ';'", "Server=db;User Id=sa;Password=hunter2;secret=1", "", "keyword after Password="},
		{"Npgsql password tail", "Host=db;Username=u;Password=hunter2;secret=x", "", "keyword after Password="},
		{"pg bad sslmode", "postgres://u:hunter2-secret@db/x?sslmode=bogus", "", "sslmode"},
		{"pg bad port", "postgres://u:hunter2-secret@db:99999/x", "", "postgres:"},
		{"pg bad escape in password", "postgres://u:hunter2-secret%zz@db/x", "", "escape"},
		{"Npgsql bad ssl mode", "Host=db;Username=u;Password=hunter2-secret;SSL Mode=sometimes", "", "sslmode"},
		{"ADO bad encrypt", "Server=db;User Id=sa;Password=hunter2-secret;Encrypt=perhaps", "", "sqlserver:"},
		{"sqlserver url bad encrypt", "sqlserver://sa:hunter2-secret@db?encrypt=perhaps", "", "sqlserver:"},
		{"unknown scheme", "mysql://u:hunter2-secret@db/x", "", `unknown scheme "mysql"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDSN(tc.dsn, tc.storage)
			if err == nil {
				t.Fatalf("accepted: %s", d.Redacted)
			}
			if !errors.Is(err, ErrDSN) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want ErrDSN saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestOpenErrorsScrubbed: connection failures name the database but never
// its password, for each driver.
func TestOpenErrorsScrubbed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20e9)
	defer cancel()
	for _, dsn := range []string{
		"postgres://app:hunter2-secret@127.0.0.1:1/x?connect_timeout=2",
		"Host=127.0.0.1;Port=1;Username=app;Password=hunter2-secret;Timeout=2",
		"sqlserver://sa:hunter2-secret@127.0.0.1:1?database=x&dial+timeout=2",
		"Server=127.0.0.1,1;Database=x;User Id=sa;Password=hunter2-secret;Connect Timeout=2",
	} {
		_, err := Open(ctx, dsn, Options{})
		if err == nil {
			t.Errorf("%s: opened", Redact(dsn))
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error shows the password: %v", Redact(dsn), err)
		}
	}
}

// TestScrubErr: a driver error that echoes the password, raw or escaped,
// loses it and still unwraps to the driver's error.
func TestScrubErr(t *testing.T) {
	const pw = "p@ss word/hunter2"
	driver := errors.New("login failed for sa:p%40ss%20word%2Fhunter2 (p@ss word/hunter2, p%40ss+word%2Fhunter2)")
	err := scrubErr(driver, pw)
	if strings.Contains(err.Error(), "hunter2") || !errors.Is(err, driver) {
		t.Errorf("scrubbed: %v (is driver error: %v)", err, errors.Is(err, driver))
	}
}
