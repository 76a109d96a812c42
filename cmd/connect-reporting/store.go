package main

import (
	"context"
	"errors"
	"flag"

	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// dbFlag registers --db on fs. Without it the DSN comes from DB_DSN; STORAGE
// decides the dialect of ADO.NET / Npgsql keyword strings.
func (m *Main) dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "", "database: sqlite:PATH (or PATH.db), postgres://…, sqlserver://…, or an ADO.NET/Npgsql string (default $DB_DSN)")
}

// openStore opens and migrates the store named by dsn (or DB_DSN) and
// closes it with Main.
func (m *Main) openStore(ctx context.Context, dsn string, opts sqlstore.Options) (*sqlstore.Store, error) {
	dsn, err := m.dsn(dsn)
	if err != nil {
		return nil, err
	}
	opts.Storage = m.Getenv("STORAGE")
	if opts.Logger == nil {
		opts.Logger = m.Logger
	}
	s, err := sqlstore.Open(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	m.OnClose(s.Close)
	return s, nil
}

// dsn is the --db flag's value, else DB_DSN; neither is a usage error.
func (m *Main) dsn(flag string) (string, error) {
	if dsn := firstSet(flag, m.Getenv("DB_DSN")); dsn != "" {
		return dsn, nil
	}
	return "", &ExitError{Code: 2, Err: errors.New("no database: give --db DSN or set DB_DSN")}
}
