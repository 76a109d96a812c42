// Package sqlite holds what is particular to the SQLite dialect of the store: its
// embedded schema migrations.
package sqlite

import "embed"

// Migrations are the sqlite schema migrations, applied in order by goose.
//
//go:embed migrations/*.sql
var Migrations embed.FS
