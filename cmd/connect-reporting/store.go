package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/report"
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
	if err := m.reportOptions(&opts); err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
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

// reportOptions adds what the KPI views need to opts: the TIME_ZONE zones
// (one IANA zone or a comma-separated list) after any zone the command
// already put there (its --time-zone), and SERVICE_LEVEL_SECONDS.
func (m *Main) reportOptions(opts *sqlstore.Options) error {
	zones, err := report.ParseZones(m.Getenv("TIME_ZONE"))
	if err != nil {
		return fmt.Errorf("TIME_ZONE: %w", err)
	}
	opts.TimeZones = mergeZones(opts.TimeZones, zones)
	if opts.ServiceLevelSeconds == 0 {
		if opts.ServiceLevelSeconds, err = report.ParseServiceLevelSeconds(m.Getenv("SERVICE_LEVEL_SECONDS")); err != nil {
			return fmt.Errorf("SERVICE_LEVEL_SECONDS: %w", err)
		}
	}
	return nil
}

// mergeZones returns a followed by the zones of b it lacks (by name).
func mergeZones(a, b []*time.Location) []*time.Location {
	out := append([]*time.Location(nil), a...)
	for _, z := range b {
		dup := false
		for _, x := range out {
			dup = dup || x.String() == z.String()
		}
		if !dup {
			out = append(out, z)
		}
	}
	return out
}
