package main

import (
	"context"
	"fmt"

	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func runMigrate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("migrate", "migrate --db DSN")
	db := m.dbFlag(fs)
	if pos, err := m.parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("migrate", "unexpected arguments %q", pos)
	}
	s, err := m.openStore(ctx, *db, sqlstore.Options{SkipMigrate: true})
	if err != nil {
		return err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	for _, a := range applied {
		fmt.Fprintf(m.Stdout, "applied %s (%s)\n", a.Source, a.Duration.Round(1e6))
	}
	if len(applied) == 0 {
		fmt.Fprintf(m.Stdout, "%s schema is current at version %d\n", s.Dialect(), v)
	} else {
		fmt.Fprintf(m.Stdout, "%s schema migrated to version %d\n", s.Dialect(), v)
	}
	return nil
}
