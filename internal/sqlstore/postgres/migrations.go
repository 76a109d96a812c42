// Package postgres holds what is particular to the PostgreSQL dialect of the store: its
// embedded schema migrations.
package postgres

import "embed"

// Migrations are the postgres schema migrations, applied in order by goose.
//
//go:embed migrations/*.sql
var Migrations embed.FS
