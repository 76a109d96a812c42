package main

import (
	"context"
	"fmt"

	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func init() {
	register(command{name: "migrate", summary: "create or upgrade the schema (also done at every start)", run: runMigrate})
}

func runMigrate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("migrate", "migrate --db DSN")
	db := m.dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
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
