package sqlstore

import (
	"errors"
	"testing"
)

// TestDialects pins what each dialect type answers for the statements the
// store rewrites: its name, placeholders, quoting and the prefix of a
// statement whose row count decides; an unknown name is refused.
func TestDialects(t *testing.T) {
	cases := []struct {
		name, bind, queue, countPrefix string
		maxParams                      int
	}{
		{DialectSQLite, "a = ? AND b IN (?, ?)", "queue", "", sqliteMaxParams},
		{DialectPostgres, "a = $1 AND b IN ($2, $3)", "queue", "", pgMaxParams},
		{DialectSQLServer, "a = @p1 AND b IN (@p2, @p3)", "[queue]", "SET NOCOUNT OFF; ", mssqlMaxParams},
	}
	if len(cases) != len(dialects) {
		t.Fatalf("%d dialects, %d cases", len(dialects), len(cases))
	}
	for _, tc := range cases {
		d, err := dialectNamed(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != tc.name {
			t.Errorf("dialect %q names itself %q", tc.name, d.String())
		}
		if got := d.bind("a = ? AND b IN (?, ?)"); got != tc.bind {
			t.Errorf("%s: bind = %q, want %q", tc.name, got, tc.bind)
		}
		if got := d.quoteIdent("queue"); got != tc.queue {
			t.Errorf("%s: quoteIdent(queue) = %q, want %q", tc.name, got, tc.queue)
		}
		if got := d.rowCountPrefix(); got != tc.countPrefix {
			t.Errorf("%s: rowCountPrefix = %q, want %q", tc.name, got, tc.countPrefix)
		}
		if got := d.maxParams(); got != tc.maxParams || got >= 2100 && tc.name == DialectSQLServer {
			t.Errorf("%s: maxParams = %d, want %d", tc.name, got, tc.maxParams)
		}
		if files, err := MigrationSQL(tc.name); err != nil || len(files) == 0 {
			t.Errorf("%s: %d migrations, %v", tc.name, len(files), err)
		}
	}
	if _, err := dialectNamed("oracle"); err == nil {
		t.Error("dialectNamed(oracle) = nil error")
	}
	if _, err := MigrationSQL("oracle"); err == nil {
		t.Error("MigrationSQL(oracle) = nil error")
	}
	var dsnErr *DSNError
	if _, err := ParseDSN("Data Source=x.db", "oracle"); !errors.As(err, &dsnErr) {
		t.Errorf("ParseDSN with STORAGE=oracle: %v, want a DSNError", err)
	}
}
