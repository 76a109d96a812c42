// Package sqlserver holds what is particular to the SQL Server dialect of the store: its
// embedded schema migrations.
package sqlserver

import "embed"

// Migrations are the sqlserver schema migrations, applied in order by goose.
//
//go:embed migrations/*.sql
var Migrations embed.FS
